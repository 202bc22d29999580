import { randomBytes } from 'node:crypto';
import {
  decodeJwsUnverified,
  envelopeClaimsSchema,
  isSupportedVersion,
  PROTOCOL_VERSION,
  signJws,
  TesseraProblem,
  TOKEN_TYPES,
  verifyJws,
  type EnvelopeClaims,
} from '@tessera/protocol';
import type { AuthorityRef } from '../authorities/authority-directory.ts';
import type { AppContext } from '../context.ts';
import { findPeerByIssuer, refreshPeerKeys, trustedKeysOf, peerSigningKey, type PeerRow } from './peers.ts';
import { claimNonce } from '../storage/replay-queries.ts';

/** Envelopes live one minute: long enough for a slow peer, short enough to bound the replay store. */
const ENVELOPE_LIFETIME_SECONDS = 60;

export async function sealEnvelope(ctx: AppContext, authority: AuthorityRef, audience: string, msg: string, body: object, re?: string): Promise<{ token: string; jti: string }> {
  const key = await ctx.keyring.signingKey(authority.id);
  const iat = Math.floor(Date.now() / 1000);
  const jti = randomBytes(18).toString('base64url');
  const claims: EnvelopeClaims = { iss: authority.issuer, aud: audience, iat, exp: iat + ENVELOPE_LIFETIME_SECONDS, jti, ver: PROTOCOL_VERSION, msg, ...(re ? { re } : {}), body: body as Record<string, unknown> };
  return { token: await signJws(claims, { typ: TOKEN_TYPES.federationEnvelope, key: key.key, kid: key.kid }), jti };
}

export interface OpenedEnvelope {
  claims: EnvelopeClaims;
  peer: PeerRow;
}

// Unknown kids trigger at most one refresh per peer in this window, so a stream of forged
// envelopes cannot make this server hammer a peer's entity configuration.
const REFRESH_INTERVAL_MS = 10_000;
const lastRefresh = new Map<string, number>();

/**
 * Opens an envelope from a peer: the caller must be a known, active peer; the signature must
 * verify with a key pinned for it (refetching its configuration once on an unknown kid); it
 * must be addressed to this authority, inside its time window, of a supported version, and —
 * for requests — never seen before (the store is in the database so every instance agrees).
 */
export async function openEnvelope(ctx: AppContext, authority: AuthorityRef, token: string, options: { expectIssuer?: string; replayCheck: boolean }): Promise<OpenedEnvelope> {
  let unverified: Record<string, unknown>;
  try {
    unverified = decodeJwsUnverified(token).payload;
  } catch {
    throw new TesseraProblem('envelope_invalid', 'the body is not a compact JWS with a JSON payload');
  }
  if (typeof unverified.ver === 'string' && !isSupportedVersion(unverified.ver)) {
    throw new TesseraProblem('unsupported_version', `protocol version ${unverified.ver} is not supported; this server speaks ${PROTOCOL_VERSION}`);
  }
  const issuer = typeof unverified.iss === 'string' ? unverified.iss : '';
  if (!issuer) throw new TesseraProblem('envelope_invalid', 'the envelope names no issuer (iss)');
  if (options.expectIssuer && issuer !== options.expectIssuer) throw new TesseraProblem('envelope_invalid', `the answer comes from ${issuer}, not ${options.expectIssuer}`);
  let peer = await findPeerByIssuer(ctx.db, authority.id, issuer);
  if (!peer) throw new TesseraProblem('peer_untrusted', `${issuer || 'the caller'} is not a peer of ${authority.issuer}`);
  if (peer.status !== 'active') throw new TesseraProblem('peer_suspended', `the peer ${issuer} is suspended at ${authority.issuer}`);

  const verify = (p: PeerRow) =>
    verifyJws(token, {
      typ: TOKEN_TYPES.federationEnvelope,
      schema: envelopeClaimsSchema,
      problem: 'envelope_invalid',
      resolveKey: peerSigningKey(p),
    });
  let claims: EnvelopeClaims;
  try {
    ({ payload: claims } = await verify(peer));
  } catch (error) {
    const header = safeHeader(token);
    const knownKid = trustedKeysOf(peer).keys.some((k) => k.kid === header.kid);
    const last = lastRefresh.get(peer.id) ?? 0;
    if (knownKid || Date.now() - last < REFRESH_INTERVAL_MS) throw error;
    // The peer may have rotated past the keys we know: its new configuration must be signed
    // by a key we already trust (refreshPeerKeys checks), then we try once more.
    lastRefresh.set(peer.id, Date.now());
    peer = await refreshPeerKeys(ctx, authority, peer, null).catch(() => {
      throw error;
    });
    ({ payload: claims } = await verify(peer));
  }

  if (claims.aud !== authority.issuer) throw new TesseraProblem('envelope_misaddressed', `the envelope is addressed to ${claims.aud}, not ${authority.issuer}`);
  const now = Math.floor(Date.now() / 1000);
  const skew = ctx.config.clockSkewSeconds;
  if (claims.exp + skew <= now) throw new TesseraProblem('envelope_expired', 'the envelope has expired');
  if (claims.iat - skew > now) throw new TesseraProblem('envelope_expired', "the envelope is dated in the future beyond the accepted clock skew");
  if (options.replayCheck) {
    const fresh = await claimNonce(ctx.db, { store: 'federation', authorityId: authority.id, issuer: claims.iss, jti: claims.jti, expiresAt: new Date((claims.exp + skew) * 1000) });
    if (!fresh) throw new TesseraProblem('envelope_replayed', `the envelope ${claims.jti} was already received`);
  }
  // A peer signing with a key other than the one it named active has rotated: its next key took
  // over and it announced a fresh one. Learn that now, while its configuration is signed by a
  // key we trust — its following rotation would otherwise activate a key we never saw.
  const activeKid = trustedKeysOf(peer).activeKeys?.sig;
  if (activeKid && safeHeader(token).kid !== activeKid && Date.now() - (lastRefresh.get(peer.id) ?? 0) >= REFRESH_INTERVAL_MS) {
    lastRefresh.set(peer.id, Date.now());
    const current = peer;
    peer = await refreshPeerKeys(ctx, authority, current, null).catch(() => current);
  }
  return { claims, peer };
}

function safeHeader(token: string): Record<string, unknown> {
  try {
    return decodeJwsUnverified(token).header;
  } catch {
    return {};
  }
}
