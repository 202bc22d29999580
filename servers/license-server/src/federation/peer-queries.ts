import { and, asc, eq, lte, sql } from 'drizzle-orm';
import type { Executor } from '../storage/db.ts';
import { authorities, federationNonces, peers } from '../storage/schema.ts';

export type PeerRow = typeof peers.$inferSelect;
export type NewPeerRow = typeof peers.$inferInsert;

export async function listPeers(executor: Executor, authorityId: string): Promise<PeerRow[]> {
  return executor.select().from(peers).where(eq(peers.authorityId, authorityId)).orderBy(asc(peers.createdAt));
}

export async function findPeer(executor: Executor, authorityId: string, peerId: string): Promise<PeerRow | undefined> {
  const [row] = await executor
    .select()
    .from(peers)
    .where(and(eq(peers.authorityId, authorityId), eq(peers.id, peerId)));
  return row;
}

export async function findPeerByIssuer(executor: Executor, authorityId: string, issuer: string): Promise<PeerRow | undefined> {
  const [row] = await executor
    .select()
    .from(peers)
    .where(and(eq(peers.authorityId, authorityId), eq(peers.issuer, issuer)));
  return row;
}

/** Inserts a peer; a second peer with the same issuer violates `peers_issuer`. */
export async function insertPeer(executor: Executor, row: NewPeerRow & { authorityId: string }): Promise<PeerRow> {
  const [inserted] = await executor.insert(peers).values(row).returning();
  return inserted!;
}

/** Replaces the trusted key set with that of a configuration just accepted; the exchange counts as a contact. */
export async function storePeerConfiguration(
  executor: Executor,
  authorityId: string,
  peerId: string,
  accepted: { jwks: PeerRow['jwks']; operator: string | null; configExpiresAt: Date },
): Promise<PeerRow | undefined> {
  const [row] = await executor
    .update(peers)
    .set({ ...accepted, lastContactAt: new Date(), lastOutcome: 'ok' })
    .where(and(eq(peers.authorityId, authorityId), eq(peers.id, peerId)))
    .returning();
  return row;
}

export async function updatePeerStatus(executor: Executor, authorityId: string, peerId: string, status: PeerRow['status']): Promise<PeerRow | undefined> {
  const [row] = await executor
    .update(peers)
    .set({ status })
    .where(and(eq(peers.authorityId, authorityId), eq(peers.id, peerId)))
    .returning();
  return row;
}

/** Records the outcome of the last exchange with a peer, for operators (console: last contact). */
export async function recordContact(executor: Executor, authorityId: string, peerId: string, outcome: string): Promise<void> {
  await executor
    .update(peers)
    .set({ lastContactAt: sql`now()`, lastOutcome: outcome })
    .where(and(eq(peers.authorityId, authorityId), eq(peers.id, peerId)));
}

/**
 * Active peers of every authority whose configuration is due for a refetch, with their
 * authority's slug. The only query here across authorities: it feeds the server's refresh job.
 */
export async function findPeersDueForRefresh(executor: Executor, limit: number): Promise<(PeerRow & { authoritySlug: string })[]> {
  const rows = await executor
    .select({ peer: peers, authoritySlug: authorities.slug })
    .from(peers)
    .innerJoin(authorities, eq(authorities.id, peers.authorityId))
    .where(and(eq(peers.status, 'active'), sql`${peers.configExpiresAt} < now()`))
    .limit(limit);
  return rows.map((r) => ({ ...r.peer, authoritySlug: r.authoritySlug }));
}

/** A refetch that failed is tried again after `seconds`. */
export async function postponePeerRefresh(executor: Executor, authorityId: string, peerId: string, seconds: number): Promise<void> {
  await executor
    .update(peers)
    .set({ configExpiresAt: sql`now() + make_interval(secs => ${seconds})` })
    .where(and(eq(peers.authorityId, authorityId), eq(peers.id, peerId)));
}

/*
 * The slot for a refetch of a peer's keys prompted by its tokens lives in the federation replay
 * store, under a name no envelope jti can take (jtis have no colon), and expires like a nonce:
 * the store is shared by every instance, so the limit holds for the server, not per process.
 */
const KEY_REFRESH_SLOT = 'refresh:keys';

/**
 * Takes the peer's key refresh slot for `intervalSeconds`: true when it was free (never taken,
 * or taken longer ago than its interval), false while another refresh holds it. Atomic, so two
 * instances meeting the same unknown kid at once refetch once between them.
 */
export async function claimKeyRefreshSlot(executor: Executor, slot: { authorityId: string; issuer: string; intervalSeconds: number }): Promise<boolean> {
  const until = sql`now() + make_interval(secs => ${slot.intervalSeconds})`;
  const claimed = await executor
    .insert(federationNonces)
    .values({ authorityId: slot.authorityId, issuer: slot.issuer, jti: KEY_REFRESH_SLOT, expiresAt: until })
    .onConflictDoUpdate({
      target: [federationNonces.authorityId, federationNonces.issuer, federationNonces.jti],
      set: { expiresAt: until },
      setWhere: lte(federationNonces.expiresAt, sql`now()`),
    })
    .returning({ jti: federationNonces.jti });
  return claimed.length > 0;
}
