import { TesseraProblem, type Peer } from '@tessera/protocol';
import type { AuthorityRef } from '../authorities/authority-directory.ts';
import type { Executor } from '../storage/db.ts';
import { findPeerByIssuer, type PeerRow } from './peer-queries.ts';
import { trustedKeysOf } from './trusted-keys.ts';

/*
 * A peer as the rest of the server sees it: moves/ and tessera-server read peers and their
 * trusted keys from here. What an operator does to a peer is in manage-peers.ts.
 */

export { findPeer, findPeerByIssuer, listPeers, recordContact, type PeerRow } from './peer-queries.ts';
export { peerSigningKey, trustedKeysOf, type TrustedKeys } from './trusted-keys.ts';
export { refreshExpiredPeers } from './manage-peers.ts';

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

/** A peer this authority may talk to: known and not suspended. */
export async function activePeer(executor: Executor, authority: AuthorityRef, issuer: string): Promise<PeerRow> {
  const peer = await findPeerByIssuer(executor, authority.id, issuer);
  if (!peer) throw new TesseraProblem('peer_unknown', `${authority.issuer} does not peer with ${issuer}`);
  if (peer.status !== 'active') throw new TesseraProblem('peer_suspended', `the peer ${issuer} is suspended at ${authority.issuer}`);
  return peer;
}
