import { sql, type SQL } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import { TesseraProblem } from '@tessera/protocol';

/**
 * Keyset pagination over (created_at desc, id desc). The cursor carries the timestamp as the
 * database renders it, to the microsecond: a JavaScript Date keeps only milliseconds, and a
 * truncated cursor would skip rows created within the same millisecond.
 */
export interface ListCursor {
  at: string;
  id: string;
}

const AT_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

/** The column rendered as the cursor's `at`. */
export const cursorAt = (column: AnyPgColumn): SQL<string> => sql<string>`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

export function encodeCursor(cursor: ListCursor): string {
  return Buffer.from(JSON.stringify([cursor.at, cursor.id]), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): ListCursor {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      typeof value[0] === 'string' &&
      AT_PATTERN.test(value[0]) &&
      typeof value[1] === 'string' &&
      value[1].length <= 64
    ) {
      return { at: value[0], id: value[1] };
    }
  } catch {
    /* fall through */
  }
  throw new TesseraProblem('invalid_request', 'the cursor is not one this server handed out; start again without it', {
    errors: [{ path: 'cursor', message: 'not a cursor this server handed out' }],
  });
}

/** Rows strictly after the cursor in (created_at desc, id desc) order. */
export const afterCursor = (createdAt: AnyPgColumn, id: AnyPgColumn, cursor: ListCursor): SQL =>
  sql`(${createdAt}, ${id}) < (${cursor.at}::timestamptz, ${cursor.id})`;

/** Splits a `limit + 1` fetch into a page and the cursor of its last item. */
export function toPage<T extends { cursorAt: string; id: string }>(rows: T[], limit: number): { rows: T[]; nextCursor: string | null } {
  if (rows.length <= limit) return { rows, nextCursor: null };
  const page = rows.slice(0, limit);
  const last = page[page.length - 1]!;
  return { rows: page, nextCursor: encodeCursor({ at: last.cursorAt, id: last.id }) };
}

/** `q` is matched as a substring, so LIKE's wildcards in it are taken literally. */
export const containsPattern = (q: string): string => `%${q.replace(/[\\%_]/g, '\\$&')}%`;
