import { and, asc, desc, eq, inArray, or, sql, type SQL } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { adminMoveSchema, MoveState } from '@tessera/protocol';
import type { z } from 'zod';
import { afterCursor, cursorAt, decodeCursor, toPage } from '../storage/list-cursor.ts';
import { LIVE_STATES } from '../licenses/license-queries.ts';
import type { Executor, Tx } from '../storage/db.ts';
import { accountLinks, authorities, clients, contents, ledgerEntries, licenses, moveEvents, moves, prices } from '../storage/schema.ts';

export type MoveRow = typeof moves.$inferSelect;
export type AdminMove = z.infer<typeof adminMoveSchema>;

/**
 * Everything a same-authority move needs, in one round trip and without locks: the source
 * license as its holder sees it, the content key and move price, and the destination device.
 * The transaction that follows locks the license and re-checks what can change.
 */
export async function loadMoveRequest(
  executor: Executor,
  authorityId: string,
  params: { licenseId: string; sourceClientId: string; destinationClientId: string },
) {
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

/**
 * Everything a cross-authority move asks the destination with, in one round trip and without
 * locks: the source license, the content's description and prices, the source device's
 * certificate. The reservation that follows locks the license and re-checks it.
 */
export async function loadCrossAuthorityMoveRequest(executor: Executor, authorityId: string, params: { licenseId: string; sourceClientId: string }) {
  const [row] = await executor
    .select({
      license: { id: licenses.id, state: licenses.state, contentId: licenses.contentId, userId: licenses.userId, rights: licenses.rights },
      content: {
        id: contents.id,
        title: contents.title,
        mediaType: contents.mediaType,
        size: contents.size,
        sha256: contents.sha256,
        packageSha256: contents.packageSha256,
        licensePrice: contents.licensePrice,
        movePrice: contents.movePrice,
      },
      clientCertificate: clients.certificate,
      listedPrice: prices.amount,
      currency: authorities.currency,
    })
    .from(licenses)
    .innerJoin(contents, and(eq(contents.authorityId, licenses.authorityId), eq(contents.id, licenses.contentId)))
    .innerJoin(clients, and(eq(clients.authorityId, licenses.authorityId), eq(clients.id, licenses.clientId)))
    .innerJoin(authorities, eq(authorities.id, licenses.authorityId))
    .leftJoin(prices, and(eq(prices.authorityId, licenses.authorityId), eq(prices.kind, 'move')))
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
    .where(
      and(
        eq(licenses.authorityId, authorityId),
        eq(licenses.clientId, params.clientId),
        eq(licenses.contentId, params.contentId),
        inArray(licenses.state, LIVE_STATES),
      ),
    );
  return rows.length > 0;
}

/**
 * The destination device of a move asked for by a peer, and whether its owner linked their
 * account to the peer's user (DESIGN §7): `linked` is null when they did not.
 */
export async function findLinkedDestination(executor: Executor, authorityId: string, params: { clientId: string; peerIssuer: string; peerUserId: string }) {
  const [row] = await executor
    .select({ id: clients.id, userId: clients.userId, status: clients.status, publicJwk: clients.publicJwk, linked: accountLinks.id })
    .from(clients)
    .leftJoin(
      accountLinks,
      and(
        eq(accountLinks.authorityId, clients.authorityId),
        eq(accountLinks.userId, clients.userId),
        eq(accountLinks.peerIssuer, params.peerIssuer),
        eq(accountLinks.peerUserId, params.peerUserId),
      ),
    )
    .where(and(eq(clients.authorityId, authorityId), eq(clients.id, params.clientId)));
  return row ?? null;
}

export type MoveRecord = Omit<typeof moves.$inferInsert, 'createdAt' | 'updatedAt' | 'attempts' | 'nextAttemptAt' | 'lastError'> & { authorityId: string };

/**
 * Writes a move in the given state. A move reserved earlier (the cross-authority path commits
 * its reservation first) is brought forward and leaves the retry queue; a same-authority move
 * is written once, completed.
 */
export async function saveMove(executor: Executor, move: MoveRecord): Promise<MoveRow> {
  const [row] = await executor
    .insert(moves)
    .values(move)
    .onConflictDoUpdate({
      target: [moves.authorityId, moves.id],
      set: {
        state: move.state,
        dstLicenseId: move.dstLicenseId,
        certificate: move.certificate,
        signedBy: move.signedBy,
        lastError: null,
        nextAttemptAt: null,
        updatedAt: sql`now()`,
      },
    })
    .returning();
  return row!;
}

/**
 * Writes a new move: a cross-authority reservation at the source, or the destination's record
 * of what it signed. A second write of one move ID is a unique violation, on which concurrent
 * requests for that move settle.
 */
export async function insertMove(executor: Executor, move: typeof moves.$inferInsert & { authorityId: string }): Promise<MoveRow> {
  const [row] = await executor.insert(moves).values(move).returning();
  return row!;
}

export async function findMove(executor: Executor, authorityId: string, moveId: string): Promise<MoveRow | null> {
  const [row] = await executor
    .select()
    .from(moves)
    .where(and(eq(moves.authorityId, authorityId), eq(moves.id, moveId)));
  return row ?? null;
}

/** A move as a device of this authority may see it: one it moves away from, or one coming to it. */
export async function findDeviceMove(
  executor: Executor,
  authorityId: string,
  params: { moveId: string; issuer: string; clientId: string },
): Promise<MoveRow | null> {
  const [row] = await executor
    .select()
    .from(moves)
    .where(
      and(
        eq(moves.authorityId, authorityId),
        eq(moves.id, params.moveId),
        or(
          and(eq(moves.srcIssuer, params.issuer), eq(moves.srcClientId, params.clientId)),
          and(eq(moves.dstIssuer, params.issuer), eq(moves.dstClientId, params.clientId)),
        ),
      ),
    );
  return row ?? null;
}

/** Locks a move of this authority; settlement acts only on what it finds under the lock. */
export async function lockMove(tx: Tx, authorityId: string, moveId: string): Promise<MoveRow | null> {
  const [row] = await tx
    .select()
    .from(moves)
    .where(and(eq(moves.authorityId, authorityId), eq(moves.id, moveId)))
    .for('update');
  return row ?? null;
}

/** A definite refusal from the destination ends the move: it leaves the retry queue. */
export async function saveMoveRefusal(executor: Executor, authorityId: string, moveId: string, refusal: { code: string; detail: string }): Promise<MoveRow> {
  const [row] = await executor
    .update(moves)
    .set({ state: 'aborted', refusalCode: refusal.code, refusalDetail: refusal.detail, nextAttemptAt: null, updatedAt: sql`now()` })
    .where(and(eq(moves.authorityId, authorityId), eq(moves.id, moveId)))
    .returning();
  return row!;
}

/** Puts a move that is still reserved back in the retry queue; null when it was settled meanwhile. */
export async function postponeReservedMove(
  executor: Executor,
  authorityId: string,
  moveId: string,
  retry: { lastError: string; nextAttemptAt: Date },
): Promise<MoveRow | null> {
  const [row] = await executor
    .update(moves)
    .set({ lastError: retry.lastError, nextAttemptAt: retry.nextAttemptAt, updatedAt: sql`now()` })
    .where(and(eq(moves.authorityId, authorityId), eq(moves.id, moveId), eq(moves.state, 'reserved')))
    .returning();
  return row ?? null;
}

/**
 * The recovery loop's claim, across every authority on this server (the loop serves them all):
 * one UPDATE … SKIP LOCKED pushes the due reserved moves a lease ahead, so several instances
 * never work on the same move at once and a crashed instance's claim simply expires.
 */
export async function claimDueReservedMoves(executor: Executor, params: { leaseMs: number; batch: number }): Promise<{ authorityId: string; id: string }[]> {
  const claimed = (await executor.execute(sql`
    update moves m set next_attempt_at = now() + ${`${params.leaseMs} milliseconds`}::interval, attempts = m.attempts + 1
    from (
      select authority_id, id from moves
      where state = 'reserved' and role = 'source' and next_attempt_at <= now()
      order by next_attempt_at
      limit ${params.batch}
      for update skip locked
    ) due
    where m.authority_id = due.authority_id and m.id = due.id
    returning m.authority_id, m.id`)) as unknown as { rows: { authority_id: string; id: string }[] };
  return claimed.rows.map((r) => ({ authorityId: r.authority_id, id: r.id }));
}

/** What this authority booked for a move of one kind (the destination's federation fee), if anything. */
export async function findMoveCharge(executor: Executor, authorityId: string, params: { moveId: string; kind: 'federation_fee' }) {
  const [row] = await executor
    .select({ amount: ledgerEntries.amount, currency: ledgerEntries.currency })
    .from(ledgerEntries)
    .where(and(eq(ledgerEntries.authorityId, authorityId), eq(ledgerEntries.moveId, params.moveId), eq(ledgerEntries.kind, params.kind)));
  return row ?? null;
}

/** Appends to a move's timeline, numbering after what is already there (one statement). */
export async function appendMoveEvents(
  executor: Executor,
  authorityId: string,
  moveId: string,
  events: { state: MoveState; note: string | null }[],
): Promise<void> {
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
export async function lockMoveForDestination(
  tx: Tx,
  authorityId: string,
  params: { moveId: string; issuer: string; clientId: string },
): Promise<MoveRow | null> {
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
  const [row, events] = await Promise.all([
    findMove(executor, authorityId, moveId),
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
