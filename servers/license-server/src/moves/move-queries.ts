import { and, asc, desc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { adminMoveSchema, MoveState } from '@tessera/protocol';
import type { z } from 'zod';
import { afterCursor, cursorAt, decodeCursor, toPage } from '../storage/list-cursor.ts';
import { LIVE_STATES } from '../licenses/license-queries.ts';
import type { Executor, Tx } from '../storage/db.ts';
import { authorities, clients, contents, licenses, moveEvents, moves, prices } from '../storage/schema.ts';

export type MoveRow = typeof moves.$inferSelect;
export type AdminMove = z.infer<typeof adminMoveSchema>;

/**
 * Everything a same-authority move needs, in one round trip and without locks: the source
 * license as its holder sees it, the content key and move price, and the destination device.
 * The transaction that follows locks the license and re-checks what can change.
 */
export async function loadMoveRequest(executor: Executor, authorityId: string, params: { licenseId: string; sourceClientId: string; destinationClientId: string }) {
  const destination = alias(clients, 'destination');
  const [row] = await executor
    .select({
      license: { id: licenses.id, state: licenses.state, contentId: licenses.contentId, userId: licenses.userId, rights: licenses.rights },
      content: { contentKeySealed: contents.contentKeySealed, licensePrice: contents.licensePrice, movePrice: contents.movePrice },
      listedPrice: prices.amount,
      currency: authorities.currency,
      destination: { id: destination.id, userId: destination.userId, status: destination.status, publicJwk: destination.publicJwk },
      destinationLicensed: sql<boolean>`exists (
        select 1 from licenses held
        where held.authority_id = ${licenses.authorityId} and held.client_id = ${params.destinationClientId}
          and held.content_id = ${licenses.contentId} and held.state in ('active', 'moving'))`.mapWith(Boolean),
    })
    .from(licenses)
    .innerJoin(contents, and(eq(contents.authorityId, licenses.authorityId), eq(contents.id, licenses.contentId)))
    .innerJoin(authorities, eq(authorities.id, licenses.authorityId))
    .leftJoin(prices, and(eq(prices.authorityId, licenses.authorityId), eq(prices.kind, 'move')))
    .leftJoin(destination, and(eq(destination.authorityId, licenses.authorityId), eq(destination.id, params.destinationClientId)))
    .where(and(eq(licenses.authorityId, authorityId), eq(licenses.id, params.licenseId), eq(licenses.clientId, params.sourceClientId)));
  return row ?? null;
}

/** Locks a device's license for the rest of the transaction; concurrent moves of it queue here. */
export async function lockClientLicense(tx: Tx, authorityId: string, params: { licenseId: string; clientId: string }) {
  const [row] = await tx
    .select()
    .from(licenses)
    .where(and(eq(licenses.authorityId, authorityId), eq(licenses.id, params.licenseId), eq(licenses.clientId, params.clientId)))
    .for('update');
  return row ?? null;
}

export async function setLicenseState(executor: Executor, authorityId: string, licenseId: string, state: 'active' | 'moving' | 'moved'): Promise<void> {
  await executor
    .update(licenses)
    .set({ state, updatedAt: sql`now()` })
    .where(and(eq(licenses.authorityId, authorityId), eq(licenses.id, licenseId)));
}

export async function findDestinationClient(executor: Executor, authorityId: string, clientId: string) {
  const [row] = await executor
    .select({ id: clients.id, userId: clients.userId, status: clients.status })
    .from(clients)
    .where(and(eq(clients.authorityId, authorityId), eq(clients.id, clientId)));
  return row ?? null;
}

export async function hasLiveLicense(executor: Executor, authorityId: string, params: { clientId: string; contentId: string }): Promise<boolean> {
  const rows = await executor
    .select({ id: licenses.id })
    .from(licenses)
    .where(and(eq(licenses.authorityId, authorityId), eq(licenses.clientId, params.clientId), eq(licenses.contentId, params.contentId), inArray(licenses.state, LIVE_STATES)));
  return rows.length > 0;
}

export type MoveRecord = Omit<typeof moves.$inferInsert, 'createdAt' | 'updatedAt' | 'attempts' | 'nextAttemptAt' | 'lastError'> & { authorityId: string };

/**
 * Writes a move in the given state. A move reserved earlier (the cross-authority path commits
 * its reservation first) is brought forward; a same-authority move is written once, completed.
 */
export async function saveMove(executor: Executor, move: MoveRecord): Promise<MoveRow> {
  const [row] = await executor
    .insert(moves)
    .values(move)
    .onConflictDoUpdate({
      target: [moves.authorityId, moves.id],
      set: { state: move.state, dstLicenseId: move.dstLicenseId, certificate: move.certificate, signedBy: move.signedBy, updatedAt: sql`now()` },
    })
    .returning();
  return row!;
}

/** Appends to a move's timeline, numbering after what is already there (one statement). */
export async function appendMoveEvents(executor: Executor, authorityId: string, moveId: string, events: { state: MoveState; note: string | null }[]): Promise<void> {
  if (!events.length) return;
  const values = sql.join(
    events.map((e, i) => sql`(${i + 1}::int, ${e.state}, ${e.note})`),
    sql`, `,
  );
  await executor.execute(sql`
    insert into move_events (authority_id, move_id, seq, state, note)
    select ${authorityId}, ${moveId},
           coalesce((select max(seq) from move_events where authority_id = ${authorityId} and move_id = ${moveId}), 0) + v.n, v.state, v.note
    from (values ${values}) as v(n, state, note)`);
}

/** A move as its destination device may act on it, locked. */
export async function lockMoveForDestination(tx: Tx, authorityId: string, params: { moveId: string; issuer: string; clientId: string }): Promise<MoveRow | null> {
  const [row] = await tx
    .select()
    .from(moves)
    .where(and(eq(moves.authorityId, authorityId), eq(moves.id, params.moveId), eq(moves.dstIssuer, params.issuer), eq(moves.dstClientId, params.clientId)))
    .for('update');
  return row ?? null;
}

export async function setMoveState(executor: Executor, authorityId: string, moveId: string, state: MoveState): Promise<void> {
  await executor
    .update(moves)
    .set({ state, updatedAt: sql`now()` })
    .where(and(eq(moves.authorityId, authorityId), eq(moves.id, moveId)));
}

// ---- the admin side ----

export function toAdminMove(row: MoveRow): AdminMove {
  return {
    id: row.id,
    state: row.state,
    contentId: row.contentId,
    userId: row.userId,
    role: row.role,
    source: { authority: row.srcIssuer, clientId: row.srcClientId, licenseId: row.srcLicenseId },
    destination: { authority: row.dstIssuer, clientId: row.dstClientId, licenseId: row.dstLicenseId },
    signedBy: row.signedBy,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export interface AdminMoveFilters {
  limit: number;
  cursor?: string | undefined;
  state?: MoveState | undefined;
  userId?: string | undefined;
  contentId?: string | undefined;
}

export async function listAdminMoves(executor: Executor, authorityId: string, filters: AdminMoveFilters) {
  const where: SQL[] = [eq(moves.authorityId, authorityId)];
  if (filters.state) where.push(eq(moves.state, filters.state));
  if (filters.userId) where.push(eq(moves.userId, filters.userId));
  if (filters.contentId) where.push(eq(moves.contentId, filters.contentId));
  if (filters.cursor) where.push(afterCursor(moves.createdAt, moves.id, decodeCursor(filters.cursor)));
  const rows = await executor
    .select({ move: moves, id: moves.id, cursorAt: cursorAt(moves.createdAt) })
    .from(moves)
    .where(and(...where))
    .orderBy(desc(moves.createdAt), desc(moves.id))
    .limit(filters.limit + 1);
  const page = toPage(rows, filters.limit);
  return { items: page.rows.map((r) => toAdminMove(r.move)), nextCursor: page.nextCursor };
}

export async function findAdminMove(executor: Executor, authorityId: string, moveId: string) {
  const [[row], events] = await Promise.all([
    executor.select().from(moves).where(and(eq(moves.authorityId, authorityId), eq(moves.id, moveId))),
    executor
      .select({ state: moveEvents.state, at: moveEvents.at, note: moveEvents.note })
      .from(moveEvents)
      .where(and(eq(moveEvents.authorityId, authorityId), eq(moveEvents.moveId, moveId)))
      .orderBy(asc(moveEvents.seq)),
  ]);
  if (!row) return null;
  return {
    ...toAdminMove(row),
    certificate: row.certificate,
    events: events.map((e) => ({ state: e.state, at: e.at.toISOString(), note: e.note })),
  };
}
