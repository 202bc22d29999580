import { randomBytes } from 'node:crypto';
import {
  decodeJwsUnverified,
  ENVELOPE_MAX_LIFETIME_SECONDS,
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
import { findPeerByIssuer, type PeerRow } from './peer-queries.ts';
import { claimNonce } from '../storage/replay-queries.ts';
import { signingKeyIn, type TrustedKeys } from './trusted-keys.ts';
import { verifyFromPeer } from './verify-from-peer.ts';

/**
 * SPEC §10.4 lets an envelope live up to `ENVELOPE_MAX_LIFETIME_SECONDS` (120 s) and says this
 * implementation uses 60: long enough for a slow peer, short enough to bound the replay store.
 */
export const ENVELOPE_LIFETIME_SECONDS = 60;

export async function sealEnvelope(
  ctx: AppContext,
  authority: AuthorityRef,
  audience: string,
  msg: string,
  body: object,
  re?: string,
): Promise<{ token: string; jti: string }> {
  const key = await ctx.keyring.signingKey(authority.id);
  const iat = Math.floor(Date.now() / 1000);
  const jti = randomBytes(18).toString('base64url');
  const claims: EnvelopeClaims = {
    iss: authority.issuer,
    aud: audience,
    iat,
    exp: iat + ENVELOPE_LIFETIME_SECONDS,
    jti,
    ver: PROTOCOL_VERSION,
    msg,
    ...(re ? { re } : {}),
    body: body as Record<string, unknown>,
  };
  return { token: await signJws(claims, { typ: TOKEN_TYPES.federationEnvelope, key: key.key, kid: key.kid }), jti };
}

export interface OpenedEnvelope {
  claims: EnvelopeClaims;
  peer: PeerRow;
}

/**
 * Verifies an envelope against a given key set: the signature with one of its signing keys,
 * the strict claims, the audience and the time window (SPEC §10.4). No storage, no network:
 * which keys to give it, and whether to refetch them, is `verifyFromPeer`'s decision.
 */
export async function verifyEnvelope(
  token: string,
  keys: TrustedKeys,
  expected: { audience: string; skewSeconds: number; now?: number },
): Promise<EnvelopeClaims> {
  const { payload: claims } = await verifyJws(token, {
    typ: TOKEN_TYPES.federationEnvelope,
    schema: envelopeClaimsSchema,
    problem: 'envelope_invalid',
    resolveKey: (header) => signingKeyIn(keys, header.kid),
    // jose's claim checks: `aud`, `exp`, and an `iat` neither in the future nor older than an envelope may live.
    claims: {
      audience: expected.audience,
      clockToleranceSeconds: expected.skewSeconds,
      maxAgeSeconds: ENVELOPE_MAX_LIFETIME_SECONDS,
      now: expected.now,
      expired: 'envelope_expired',
      misaddressed: 'envelope_misaddressed',
    },
  });
  return claims;
}

/**
 * Opens an envelope from a peer: the caller must be a known, active peer; the signature must
 * verify with a key trusted for it (`verifyFromPeer` refetches them once on an unknown kid); it
 * must be addressed to this authority, inside its time window, of a supported version, and —
 * for requests — never seen before (the store is in the database so every instance agrees).
 */
export async function openEnvelope(
  ctx: AppContext,
  authority: AuthorityRef,
  token: string,
  options: { expectIssuer?: string; replayCheck: boolean },
): Promise<OpenedEnvelope> {
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
  if (options.expectIssuer && issuer !== options.expectIssuer)
    throw new TesseraProblem('envelope_invalid', `the answer comes from ${issuer}, not ${options.expectIssuer}`);
  const known = await findPeerByIssuer(ctx.db, authority.id, issuer);
  if (!known) throw new TesseraProblem('peer_untrusted', `${issuer || 'the caller'} is not a peer of ${authority.issuer}`);
  if (known.status !== 'active') throw new TesseraProblem('peer_suspended', `the peer ${issuer} is suspended at ${authority.issuer}`);

  const skew = ctx.config.clockSkewSeconds;
  const { verified: claims, peer } = await verifyFromPeer(ctx, authority, known, token, (keys) =>
    verifyEnvelope(token, keys, { audience: authority.issuer, skewSeconds: skew }),
  );
  if (options.replayCheck) {
    const fresh = await claimNonce(ctx.db, {
      store: 'federation',
      authorityId: authority.id,
      issuer: claims.iss,
      jti: claims.jti,
      expiresAt: new Date((claims.exp + skew) * 1000),
    });
    if (!fresh) throw new TesseraProblem('envelope_replayed', `the envelope ${claims.jti} was already received`);
  }
  return { claims, peer };
}
