import { routes, TesseraProblem } from '@tessera/protocol';
import type { RouteModule } from '../http/principals.ts';
import { bindRoute, created, ok } from '../http/route.ts';
import { addPeer, findPeer, listPeers, refreshPeerKeys, setPeerStatus, toPeer } from './peers.ts';
import { fetchEntityConfiguration } from './remote-configuration.ts';

/** The admin API over an authority's peers. */
export const registerPeerRoutes: RouteModule = (router, ctx, guards) => {
  bindRoute(router, ctx, guards, routes.listPeers, async ({ authority }) => {
    return ok({ items: (await listPeers(ctx.db, authority.id)).map(toPeer) });
  });

  bindRoute(router, ctx, guards, routes.discoverPeer, async ({ query }) => {
    const { claims, signedBy } = await fetchEntityConfiguration(query.issuer, { timeoutMs: ctx.config.peerTimeoutMs });
    return ok({ issuer: query.issuer, name: claims.name, operator: claims.operator, thumbprint: signedBy, versions: claims.versions });
  });

  bindRoute(router, ctx, guards, routes.addPeer, async ({ authority, admin, body }) => {
    return created(toPeer(await addPeer(ctx, authority, admin.email, body)));
  });

  bindRoute(router, ctx, guards, routes.getPeer, async ({ authority, params }) => {
    const peer = await findPeer(ctx.db, authority.id, params.peerId);
    if (!peer) throw new TesseraProblem('peer_unknown', `no peer ${params.peerId}`);
    return ok(toPeer(peer));
  });

  bindRoute(router, ctx, guards, routes.suspendPeer, async ({ authority, admin, params }) => {
    return ok(toPeer(await setPeerStatus(ctx, authority, params.peerId, 'suspended', admin.email)));
  });

  bindRoute(router, ctx, guards, routes.resumePeer, async ({ authority, admin, params }) => {
    return ok(toPeer(await setPeerStatus(ctx, authority, params.peerId, 'active', admin.email)));
  });

  bindRoute(router, ctx, guards, routes.refreshPeer, async ({ authority, admin, params }) => {
    const peer = await findPeer(ctx.db, authority.id, params.peerId);
    if (!peer) throw new TesseraProblem('peer_unknown', `no peer ${params.peerId}`);
    return ok(toPeer(await refreshPeerKeys(ctx, authority, peer, admin.email)));
  });
};
