import { routes, TesseraProblem } from '@tessera/protocol';
import type { RouteModule } from '../http/principals.ts';
import { bindRoute, created, ok } from '../http/route.ts';
import { findAdminMove, findDeviceMove, listAdminMoves } from './move-queries.ts';
import { acknowledgeMove, requestMove } from './request-move.ts';
import { requestCrossAuthorityMove, toMoveResponse } from './cross-authority-move.ts';

export const registerMoveRoutes: RouteModule = (router, ctx, guards) => {
  bindRoute(router, ctx, guards, routes.requestMove, async ({ authority, device, body }) => {
    const source = { authority, clientId: device.clientId, userId: device.userId };
    const destinationIssuer = body.destination.authority ?? authority.issuer;
    if (destinationIssuer === authority.issuer) return created(await requestMove(ctx, source, body));
    const { move, refusal } = await requestCrossAuthorityMove(ctx, source, body, destinationIssuer);
    if (refusal) throw refusal;
    // Unanswered yet: the move is reserved, the server keeps asking; the device polls GET /moves/{id}.
    return move.state === 'reserved' ? { status: 202 as const, body: toMoveResponse(move) } : created(toMoveResponse(move));
  });

  bindRoute(router, ctx, guards, routes.getDeviceMove, async ({ authority, device, params }) => {
    const move = await findDeviceMove(ctx.db, authority.id, { moveId: params.moveId, issuer: authority.issuer, clientId: device.clientId });
    if (!move) throw new TesseraProblem('move_unknown', `no move ${params.moveId} of device ${device.clientId}`);
    return ok(toMoveResponse(move));
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
