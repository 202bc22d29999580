import { routes, TesseraProblem } from '@tessera/protocol';
import { adminActor } from '../audit/actor.ts';
import type { RouteModule } from '../http/principals.ts';
import { bindRoute, created, ok } from '../http/route.ts';
import { addPeer, discoverPeer, refreshPeer, setPeerStatus } from './manage-peers.ts';
import { findPeer, listPeers } from './peer-queries.ts';
import { toPeer } from './peers.ts';

/** The admin API over an authority's peers. */
export const registerPeerRoutes: RouteModule = (router, ctx, guards) => {
  bindRoute(router, ctx, guards, routes.listPeers, async ({ authority }) => {
    return ok({ items: (await listPeers(ctx.db, authority.id)).map(toPeer) });
  });

  bindRoute(router, ctx, guards, routes.discoverPeer, async ({ authority, admin, query }) => {
    const { claims, signedBy } = await discoverPeer(ctx, authority, adminActor(admin), query.issuer);
    return ok({ issuer: query.issuer, name: claims.name, operator: claims.operator, thumbprint: signedBy, versions: claims.versions });
  });

  bindRoute(router, ctx, guards, routes.addPeer, async ({ authority, admin, body }) => {
    return created(toPeer(await addPeer(ctx, authority, adminActor(admin), body)));
  });

  bindRoute(router, ctx, guards, routes.getPeer, async ({ authority, params }) => {
    const peer = await findPeer(ctx.db, authority.id, params.peerId);
    if (!peer) throw new TesseraProblem('peer_unknown', `no peer ${params.peerId}`);
    return ok(toPeer(peer));
  });

  bindRoute(router, ctx, guards, routes.suspendPeer, async ({ authority, admin, params }) => {
    return ok(toPeer(await setPeerStatus(ctx, authority, adminActor(admin), params.peerId, 'suspended')));
  });

  bindRoute(router, ctx, guards, routes.resumePeer, async ({ authority, admin, params }) => {
    return ok(toPeer(await setPeerStatus(ctx, authority, adminActor(admin), params.peerId, 'active')));
  });

  bindRoute(router, ctx, guards, routes.refreshPeer, async ({ authority, admin, params }) => {
    return ok(toPeer(await refreshPeer(ctx, authority, adminActor(admin), params.peerId)));
  });
};
