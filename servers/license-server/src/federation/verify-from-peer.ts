import { decodeProtectedHeader } from 'jose';
import type { AuthorityRef } from '../authorities/authority-directory.ts';
import type { AppContext } from '../context.ts';
import { refreshPeerKeys } from './manage-peers.ts';
import { claimKeyRefreshSlot, type PeerRow } from './peer-queries.ts';
import { trustedKeysOf, type TrustedKeys } from './trusted-keys.ts';

/**
 * SPEC §2.4: a server refetches a peer's keys because of what its tokens name at most once per
 * peer in this window, so tokens naming made-up keys cannot make it hammer the peer.
 */
export const KEY_REFRESH_INTERVAL_SECONDS = 10;

/**
 * Verifies a token from a peer with the keys this authority trusts for it — the one place that
 * decides when a token makes those keys be refetched (SPEC §2.4, §10.3):
 *
 * - its kid is one we do not hold: the peer may have rotated past the keys we know, so its
 *   configuration is refetched (it must be signed by a key we already trust) and the token is
 *   verified once more; a kid still unknown is refused with the verifier's own problem;
 * - it verified with a key other than the one the peer names active: its next key took over and
 *   it announced a fresh one. Learn that now, while its configuration is signed by a key we
 *   trust — its following rotation would otherwise activate a key we never saw.
 *
 * Both share one refresh slot per peer, kept in the database so every instance honours it.
 * `verify` is pure over the key set it is given and throws the token's problem. The answer
 * carries the peer as it is now, with the keys the token was checked against or learnt since.
 */
export async function verifyFromPeer<T>(
  ctx: AppContext,
  authority: AuthorityRef,
  peer: PeerRow,
  token: string,
  verify: (keys: TrustedKeys) => Promise<T>,
): Promise<{ verified: T; peer: PeerRow }> {
  const kid = kidOf(token);
  let verified: T;
  try {
    verified = await verify(trustedKeysOf(peer));
  } catch (error) {
    if (kid === undefined || trustedKeysOf(peer).keys.some((k) => k.kid === kid)) throw error;
    const refreshed = await refreshWithinLimit(ctx, authority, peer);
    if (!refreshed) throw error;
    return { verified: await verify(trustedKeysOf(refreshed)), peer: refreshed };
  }
  const activeKid = trustedKeysOf(peer).activeKeys?.sig;
  if (activeKid && kid !== activeKid) return { verified, peer: (await refreshWithinLimit(ctx, authority, peer)) ?? peer };
  return { verified, peer };
}

/** The peer with freshly fetched keys, or null when the slot is taken or the refresh failed (its outcome is the peer's last contact). */
async function refreshWithinLimit(ctx: AppContext, authority: AuthorityRef, peer: PeerRow): Promise<PeerRow | null> {
  const slot = await claimKeyRefreshSlot(ctx.db, { authorityId: authority.id, issuer: peer.issuer, intervalSeconds: KEY_REFRESH_INTERVAL_SECONDS });
  if (!slot) return null;
  return refreshPeerKeys(ctx, authority, peer, null).catch(() => null);
}

function kidOf(token: string): string | undefined {
  try {
    const { kid } = decodeProtectedHeader(token);
    return typeof kid === 'string' ? kid : undefined;
  } catch {
    return undefined;
  }
}
