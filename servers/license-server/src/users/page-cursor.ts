import { sql, type SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import { idSchema, TesseraProblem } from '@tessera/protocol';

/**
 * Keyset pagination, newest first, over (timestamp, id). The cursor is opaque to clients:
 * base64url of the last row's timestamp in epoch microseconds and its ID. Microseconds
 * because PostgreSQL keeps them and a JavaScript Date would round them away, repeating rows.
 */
export interface PageCursor {
  micros: string;
  id: string;
}

/** Select this beside the row so its cursor can be built exactly. */
export const cursorMicros = (column: PgColumn): SQL<string> => sql<string>`(extract(epoch from ${column}) * 1000000)::bigint::text`.mapWith(String);

export const encodeCursor = (micros: string, id: string): string => Buffer.from(JSON.stringify([micros, id])).toString('base64url');

export function decodeCursor(cursor: string): PageCursor {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(value) && value.length === 2) {
      const [micros, id] = value;
      if (typeof micros === 'string' && /^\d{1,19}$/.test(micros) && idSchema.safeParse(id).success) return { micros, id: id as string };
    }
  } catch {
    /* fall through */
  }
  throw new TesseraProblem('invalid_request', 'the cursor is not one this server returned', { errors: [{ path: 'cursor', message: 'invalid cursor' }] });
}

/** Rows strictly after the cursor in (timestamp desc, id desc) order. */
export const afterCursor = (timestamp: PgColumn, id: PgColumn, cursor: PageCursor): SQL =>
  sql`(${timestamp}, ${id}) < (timestamptz 'epoch' + ${cursor.micros}::bigint * interval '1 microsecond', ${cursor.id})`;

/** Splits the limit+1 rows fetched into a page and the next cursor. */
export function toPage<R extends { cursorMicros: string; id: string }>(rows: R[], limit: number): { rows: R[]; nextCursor: string | null } {
  if (rows.length <= limit) return { rows, nextCursor: null };
  const pageRows = rows.slice(0, limit);
  const last = pageRows[pageRows.length - 1]!;
  return { rows: pageRows, nextCursor: encodeCursor(last.cursorMicros, last.id) };
}

/** `q` is matched as a substring, so LIKE's wildcards in it are taken literally. */
export const containsPattern = (q: string): string => `%${q.replace(/[\\%_]/g, '\\$&')}%`;
