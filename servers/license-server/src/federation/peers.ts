import { and, asc, eq, sql } from 'drizzle-orm';
import { newId, TesseraProblem, type Peer, type PublicEcJwk } from '@tessera/protocol';
import type { AuthorityRef } from '../authorities/authority-directory.ts';
import { recordAudit } from '../audit/audit-log.ts';
import type { AppContext } from '../context.ts';
import type { Db, Executor } from '../storage/db.ts';
import { isUniqueViolation } from '../storage/db-errors.ts';
import { peers } from '../storage/schema.ts';
import { fetchEntityConfiguration, type VerifiedConfiguration } from './remote-configuration.ts';

export type PeerRow = typeof peers.$inferSelect;

/** The peer's keys as this authority trusts them, with the kids in use now. */
export interface TrustedKeys {
  keys: PublicEcJwk[];
  activeKeys?: { sig: string; enc: string };
}

export const trustedKeysOf = (row: PeerRow): TrustedKeys => (row.jwks ?? { keys: [] }) as TrustedKeys;

/** Resolves a JWS header to one of the peer's trusted signing keys (never an encryption key), or null. */
export const peerSigningKey =
  (peer: PeerRow) =>
  (header: { kid?: unknown }): PublicEcJwk | null =>
    trustedKeysOf(peer).keys.find((k) => k.kid === header.kid && (k.use === undefined || k.use === 'sig')) ?? null;

export function toPeer(row: PeerRow): Peer {
  return {
    id: row.id,
    issuer: row.issuer,
    name: row.name,
    status: row.status,
    pinnedThumbprint: row.pinnedThumbprint,
    trustedKeys: trustedKeysOf(row).keys.map((k) => ({ kid: k.kid ?? '', use: (k.use === 'enc' ? 'enc' : 'sig') as 'sig' | 'enc' })),
    lastContactAt: row.lastContactAt?.toISOString() ?? null,
    lastOutcome: row.lastOutcome,
    createdAt: row.createdAt.toISOString(),
  };
}

export async function listPeers(db: Db, authorityId: string): Promise<PeerRow[]> {
  return db.select().from(peers).where(eq(peers.authorityId, authorityId)).orderBy(asc(peers.createdAt));
}

export async function findPeer(executor: Executor, authorityId: string, peerId: string): Promise<PeerRow | undefined> {
  const [row] = await executor.select().from(peers).where(and(eq(peers.authorityId, authorityId), eq(peers.id, peerId)));
  return row;
}

export async function findPeerByIssuer(executor: Executor, authorityId: string, issuer: string): Promise<PeerRow | undefined> {
  const [row] = await executor.select().from(peers).where(and(eq(peers.authorityId, authorityId), eq(peers.issuer, issuer)));
  return row;
}

/** A peer this authority may talk to: known and not suspended. */
export async function activePeer(executor: Executor, authority: AuthorityRef, issuer: string): Promise<PeerRow> {
  const peer = await findPeerByIssuer(executor, authority.id, issuer);
  if (!peer) throw new TesseraProblem('peer_unknown', `${authority.issuer} does not peer with ${issuer}`);
  if (peer.status !== 'active') throw new TesseraProblem('peer_suspended', `the peer ${issuer} is suspended at ${authority.issuer}`);
  return peer;
}

/**
 * When to refetch a peer's configuration: at its expiry, and at the latest ten minutes after
 * this fetch — so a peer learns each announced `next` key while the configuration is still
 * signed by a key it trusts, even when no message passes between two rotations.
 */
const refreshDue = (config: VerifiedConfiguration): Date => new Date(Math.min(config.claims.exp * 1000, Date.now() + 10 * 60_000));

const keysOf = (config: VerifiedConfiguration): TrustedKeys => ({ keys: config.claims.jwks.keys, activeKeys: config.claims.activeKeys });

/**
 * Peers with an authority: fetches its entity configuration and accepts it only when it is
 * signed by the key whose thumbprint the operator pinned after comparing it out of band.
 */
/** `input.issuer` is canonical (SPEC §1.3): the route and the CLI parse it so. */
export async function addPeer(ctx: AppContext, authority: AuthorityRef, actor: string, input: { issuer: string; thumbprint: string; name?: string | undefined }): Promise<PeerRow> {
  const { issuer } = input;
  if (issuer === authority.issuer) throw new TesseraProblem('invalid_request', 'an authority cannot peer with itself');
  if (await findPeerByIssuer(ctx.db, authority.id, issuer)) throw new TesseraProblem('peer_exists', `${authority.issuer} already peers with ${issuer}`);
  const config = await fetchEntityConfiguration(issuer, { timeoutMs: ctx.config.peerTimeoutMs });
  if (config.signedBy !== input.thumbprint) {
    throw new TesseraProblem('peer_thumbprint_mismatch', `the entity configuration of ${issuer} is signed by the key ${config.signedBy}, not the pinned ${input.thumbprint}; compare the thumbprint with the peer's operator again`);
  }
  try {
    return await ctx.db.transaction(async (tx) => {
      const [row] = await tx
        .insert(peers)
        .values({
          authorityId: authority.id,
          id: newId('peer'),
          issuer,
          name: input.name ?? config.claims.name,
          operator: config.claims.operator,
          pinnedThumbprint: input.thumbprint,
          jwks: keysOf(config) as PeerRow['jwks'],
          configExpiresAt: refreshDue(config),
          lastContactAt: new Date(),
          lastOutcome: 'ok',
        })
        .returning();
      await recordAudit(tx, { authorityId: authority.id, actor, action: 'peer.added', target: row!.id, details: { issuer, thumbprint: input.thumbprint } });
      return row!;
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new TesseraProblem('peer_exists', `${authority.issuer} already peers with ${issuer}`);
    throw error;
  }
}

/**
 * Refetches a peer's entity configuration. New keys are accepted only when the configuration
 * is signed by a key this authority already trusts: a rotation announced through the peer's
 * `next` key is followed; a configuration signed by a stranger is refused, whatever it says.
 */
export async function refreshPeerKeys(ctx: AppContext, authority: AuthorityRef, peer: PeerRow, actor: string | null): Promise<PeerRow> {
  let config: VerifiedConfiguration;
  try {
    config = await fetchEntityConfiguration(peer.issuer, { timeoutMs: ctx.config.peerTimeoutMs });
  } catch (error) {
    await recordContact(ctx.db, authority.id, peer.id, error instanceof TesseraProblem ? error.code : 'peer_unreachable');
    throw error;
  }
  const trusted = trustedKeysOf(peer).keys.some((k) => k.kid === config.signedBy && (k.use === undefined || k.use === 'sig'));
  if (!trusted) {
    await recordContact(ctx.db, authority.id, peer.id, 'peer_key_untrusted');
    throw new TesseraProblem('peer_key_untrusted', `the new configuration of ${peer.issuer} is signed by ${config.signedBy}, which ${authority.issuer} does not trust; re-pin the peer after comparing thumbprints out of band`);
  }
  return ctx.db.transaction(async (tx) => {
    const [row] = await tx
      .update(peers)
      .set({ jwks: keysOf(config) as PeerRow['jwks'], operator: config.claims.operator, configExpiresAt: refreshDue(config), lastContactAt: new Date(), lastOutcome: 'ok' })
      .where(and(eq(peers.authorityId, authority.id), eq(peers.id, peer.id)))
      .returning();
    if (actor) await recordAudit(tx, { authorityId: authority.id, actor, action: 'peer.refreshed', target: peer.id, details: { signedBy: config.signedBy } });
    return row!;
  });
}

export async function setPeerStatus(ctx: AppContext, authority: AuthorityRef, peerId: string, status: 'active' | 'suspended', actor: string): Promise<PeerRow> {
  return ctx.db.transaction(async (tx) => {
    const [row] = await tx
      .update(peers)
      .set({ status })
      .where(and(eq(peers.authorityId, authority.id), eq(peers.id, peerId)))
      .returning();
    if (!row) throw new TesseraProblem('peer_unknown', `no peer ${peerId}`);
    await recordAudit(tx, { authorityId: authority.id, actor, action: status === 'suspended' ? 'peer.suspended' : 'peer.resumed', target: peerId, details: { issuer: row.issuer } });
    return row;
  });
}

/** Records the outcome of the last exchange with a peer, for operators (console: last contact). */
export async function recordContact(db: Executor, authorityId: string, peerId: string, outcome: string): Promise<void> {
  await db
    .update(peers)
    .set({ lastContactAt: sql`now()`, lastOutcome: outcome })
    .where(and(eq(peers.authorityId, authorityId), eq(peers.id, peerId)));
}

/**
 * Keeps peers' keys current: a peer whose configuration is due (see `refreshDue`) is refetched
 * (the new one must still be signed by a key we trust). Following each rotation as it is announced
 * is what keeps a peer trusted across many rotations without an operator re-pinning it.
 */
export async function refreshExpiredPeers(ctx: AppContext): Promise<void> {
  const due = await ctx.db
    .select()
    .from(peers)
    .where(and(eq(peers.status, 'active'), sql`${peers.configExpiresAt} < now()`))
    .limit(20);
  for (const peer of due) {
    const [authority] = await ctx.db.execute(sql`select slug from authorities where id = ${peer.authorityId}`).then((r) => (r as unknown as { rows: { slug: string }[] }).rows);
    if (!authority) continue;
    await refreshPeerKeys(ctx, await ctx.authorities.bySlug(authority.slug), peer, null).catch(async (err: unknown) => {
      ctx.logger.warn({ err: (err as Error).message, peer: peer.issuer }, 'peer refresh failed; retrying in a minute');
      await ctx.db.update(peers).set({ configExpiresAt: sql`now() + interval '1 minute'` }).where(and(eq(peers.authorityId, peer.authorityId), eq(peers.id, peer.id)));
    });
  }
}
