import { addPeerRequestSchema, newId, TesseraProblem } from '@tessera/protocol';
import type { z } from 'zod';
import { actorName, type Actor } from '../audit/actor.ts';
import { recordAudit } from '../audit/audit-log.ts';
import type { AuthorityRef } from '../authorities/authority-directory.ts';
import type { AppContext } from '../context.ts';
import { isUniqueViolation } from '../storage/db-errors.ts';
import {
  findPeer,
  findPeerByIssuer,
  findPeersDueForRefresh,
  insertPeer,
  postponePeerRefresh,
  recordContact,
  storePeerConfiguration,
  updatePeerStatus,
  type PeerRow,
} from './peer-queries.ts';
import { fetchEntityConfiguration, type VerifiedConfiguration } from './remote-configuration.ts';
import { signingKeyIn, trustedKeysOf, type TrustedKeys } from './trusted-keys.ts';

/*
 * What an operator does with peers (DESIGN §7, SPEC §10.3). Each action takes the actor, so the
 * admin API and `tessera-server peer …` run the same function and each records itself in the
 * audit log.
 */

export type NewPeer = z.input<typeof addPeerRequestSchema>;

/**
 * When to refetch a peer's configuration: at its expiry, and at the latest ten minutes after
 * this fetch — so a peer learns each announced `next` key while the configuration is still
 * signed by a key it trusts, even when no message passes between two rotations.
 */
const refreshDue = (config: VerifiedConfiguration): Date => new Date(Math.min(config.claims.exp * 1000, Date.now() + 10 * 60_000));

const keysOf = (config: VerifiedConfiguration): TrustedKeys => ({ keys: config.claims.jwks.keys, activeKeys: config.claims.activeKeys });

/**
 * Fetches an authority's entity configuration to show the thumbprint an operator compares out of
 * band. It makes this server call an address an administrator typed, so it is audited, refused
 * or not, with what came of it.
 */
export async function discoverPeer(ctx: AppContext, authority: AuthorityRef, actor: Actor, issuer: string): Promise<VerifiedConfiguration> {
  const audit = (outcome: string) =>
    recordAudit(ctx.db, { authorityId: authority.id, actor: actorName(actor), action: 'peer.discovered', target: null, details: { issuer, outcome } });
  try {
    const config = await fetchEntityConfiguration(issuer, ctx.config);
    await audit('ok');
    return config;
  } catch (error) {
    await audit(error instanceof TesseraProblem ? error.code : 'error');
    throw error;
  }
}

/**
 * Peers with an authority: fetches its entity configuration and accepts it only when it is
 * signed by the key whose thumbprint the operator pinned after comparing it out of band.
 * The input is parsed with the admin API's schema, so the issuer is stored canonical (SPEC §1.3).
 */
export async function addPeer(ctx: AppContext, authority: AuthorityRef, actor: Actor, newPeer: NewPeer): Promise<PeerRow> {
  const input = addPeerRequestSchema.parse(newPeer);
  const { issuer } = input;
  if (issuer === authority.issuer) throw new TesseraProblem('invalid_request', 'an authority cannot peer with itself');
  if (await findPeerByIssuer(ctx.db, authority.id, issuer)) throw new TesseraProblem('peer_exists', `${authority.issuer} already peers with ${issuer}`);
  const config = await fetchEntityConfiguration(issuer, ctx.config);
  if (config.signedBy !== input.thumbprint) {
    throw new TesseraProblem(
      'peer_thumbprint_mismatch',
      `the entity configuration of ${issuer} is signed by the key ${config.signedBy}, not the pinned ${input.thumbprint}; compare the thumbprint with the peer's operator again`,
    );
  }
  try {
    return await ctx.db.transaction(async (tx) => {
      const row = await insertPeer(tx, {
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
      });
      await recordAudit(tx, {
        authorityId: authority.id,
        actor: actorName(actor),
        action: 'peer.added',
        target: row.id,
        details: { issuer, thumbprint: input.thumbprint },
      });
      return row;
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new TesseraProblem('peer_exists', `${authority.issuer} already peers with ${issuer}`);
    throw error;
  }
}

/** An operator refetches a peer's configuration now (see `refreshPeerKeys`). */
export async function refreshPeer(ctx: AppContext, authority: AuthorityRef, actor: Actor, peerId: string): Promise<PeerRow> {
  const peer = await findPeer(ctx.db, authority.id, peerId);
  if (!peer) throw new TesseraProblem('peer_unknown', `no peer ${peerId}`);
  return refreshPeerKeys(ctx, authority, peer, actor);
}

/**
 * Refetches a peer's entity configuration. New keys are accepted only when the configuration
 * is signed by a key this authority already trusts: a rotation announced through the peer's
 * `next` key is followed; a configuration signed by a stranger is refused, whatever it says.
 * An operator's refresh is audited; the server's own (`actor` null) only shows as last contact.
 */
export async function refreshPeerKeys(ctx: AppContext, authority: AuthorityRef, peer: PeerRow, actor: Actor | null): Promise<PeerRow> {
  let config: VerifiedConfiguration;
  try {
    config = await fetchEntityConfiguration(peer.issuer, ctx.config);
  } catch (error) {
    await recordContact(ctx.db, authority.id, peer.id, error instanceof TesseraProblem ? error.code : 'peer_unreachable');
    throw error;
  }
  if (!signingKeyIn(trustedKeysOf(peer), config.signedBy)) {
    await recordContact(ctx.db, authority.id, peer.id, 'peer_key_untrusted');
    throw new TesseraProblem(
      'peer_key_untrusted',
      `the new configuration of ${peer.issuer} is signed by ${config.signedBy}, which ${authority.issuer} does not trust; re-pin the peer after comparing thumbprints out of band`,
    );
  }
  return ctx.db.transaction(async (tx) => {
    const row = await storePeerConfiguration(tx, authority.id, peer.id, {
      jwks: keysOf(config) as PeerRow['jwks'],
      operator: config.claims.operator,
      configExpiresAt: refreshDue(config),
    });
    if (!row) throw new TesseraProblem('peer_unknown', `no peer ${peer.id}`);
    if (actor)
      await recordAudit(tx, {
        authorityId: authority.id,
        actor: actorName(actor),
        action: 'peer.refreshed',
        target: peer.id,
        details: { signedBy: config.signedBy },
      });
    return row;
  });
}

/** Suspends a peer (its envelopes are refused, moves to it wait) or resumes it. */
export async function setPeerStatus(ctx: AppContext, authority: AuthorityRef, actor: Actor, peerId: string, status: PeerRow['status']): Promise<PeerRow> {
  return ctx.db.transaction(async (tx) => {
    const row = await updatePeerStatus(tx, authority.id, peerId, status);
    if (!row) throw new TesseraProblem('peer_unknown', `no peer ${peerId}`);
    await recordAudit(tx, {
      authorityId: authority.id,
      actor: actorName(actor),
      action: status === 'suspended' ? 'peer.suspended' : 'peer.resumed',
      target: peerId,
      details: { issuer: row.issuer },
    });
    return row;
  });
}

/**
 * Keeps peers' keys current: a peer whose configuration is due (see `refreshDue`) is refetched
 * (the new one must still be signed by a key we trust). Following each rotation as it is announced
 * is what keeps a peer trusted across many rotations without an operator re-pinning it.
 */
export async function refreshExpiredPeers(ctx: AppContext): Promise<void> {
  for (const peer of await findPeersDueForRefresh(ctx.db, 20)) {
    await refreshPeerKeys(ctx, await ctx.authorities.bySlug(peer.authoritySlug), peer, null).catch(async (err: unknown) => {
      ctx.logger.warn({ err: (err as Error).message, peer: peer.issuer }, 'peer refresh failed; retrying in a minute');
      await postponePeerRefresh(ctx.db, peer.authorityId, peer.id, 60);
    });
  }
}
