import { routes, TesseraProblem } from '@tessera/protocol';
import type { RouteModule } from '../http/app.ts';
import { bindRoute, created, ok } from '../http/route.ts';
import { findAdminMove, listAdminMoves } from './move-queries.ts';
import { acknowledgeMove, requestMove } from './request-move.ts';

export const registerMoveRoutes: RouteModule = (router, ctx, guards) => {
  bindRoute(router, ctx, guards, routes.requestMove, async ({ authority, device, body }) => {
    return created(await requestMove(ctx, { authority, clientId: device.clientId, userId: device.userId }, body));
  });

  bindRoute(router, ctx, guards, routes.acknowledgeMove, async ({ authority, device, params }) => {
    return ok(await acknowledgeMove(ctx, { authority, clientId: device.clientId }, params.moveId));
  });

  bindRoute(router, ctx, guards, routes.listMoves, async ({ authority, query }) => {
    return ok(await listAdminMoves(ctx.db, authority.id, query));
  });

  bindRoute(router, ctx, guards, routes.getMove, async ({ authority, params }) => {
    const move = await findAdminMove(ctx.db, authority.id, params.moveId);
    if (!move) throw new TesseraProblem('move_unknown', `no move ${params.moveId} at ${authority.issuer}`);
    return ok(move);
  });
};
