import type { PublicEcJwk } from '@tessera/protocol';
import type { PeerRow } from './peer-queries.ts';

/** The peer's keys as this authority trusts them, with the kids in use now. */
export interface TrustedKeys {
  keys: PublicEcJwk[];
  activeKeys?: { sig: string; enc: string };
}

export const trustedKeysOf = (row: PeerRow): TrustedKeys => (row.jwks ?? { keys: [] }) as TrustedKeys;

/** The trusted signing key (never an encryption key) with this kid, or null. */
export const signingKeyIn = (keys: TrustedKeys, kid: unknown): PublicEcJwk | null =>
  keys.keys.find((k) => k.kid === kid && (k.use === undefined || k.use === 'sig')) ?? null;

/** Resolves a JWS header to one of the peer's trusted signing keys (never an encryption key), or null. */
export const peerSigningKey =
  (peer: PeerRow) =>
  (header: { kid?: unknown }): PublicEcJwk | null =>
    signingKeyIn(trustedKeysOf(peer), header.kid);
