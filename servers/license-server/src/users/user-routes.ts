import { routes, TesseraProblem } from '@tessera/protocol';
import { adminActor } from '../audit/actor.ts';
import type { RouteModule } from '../http/principals.ts';
import { bindRoute, created, ok } from '../http/route.ts';
import { searchDevices } from './admin-device-queries.ts';
import { createUser, revokeDevice, updateUser } from './manage-users.ts';
import { decodeCursor, toPage } from '../storage/list-cursor.ts';
import { findUser, searchUsers } from './user-queries.ts';
import { toAdminDevice, toUser } from './user-view.ts';

/** The admin API over an authority's users and their devices. */
export const registerUserRoutes: RouteModule = (router, ctx, guards) => {
  bindRoute(router, ctx, guards, routes.listUsers, async ({ authority, query }) => {
    const rows = await searchUsers(ctx.db, authority.id, { q: query.q, limit: query.limit, cursor: query.cursor ? decodeCursor(query.cursor) : undefined });
    const page = toPage(rows, query.limit);
    return ok({ items: page.rows.map((r) => toUser(r, authority.issuer)), nextCursor: page.nextCursor });
  });

  bindRoute(router, ctx, guards, routes.createUser, async ({ authority, admin, body }) => {
    const row = await createUser(ctx, authority, adminActor(admin), body);
    return created(toUser(row, authority.issuer));
  });

  bindRoute(router, ctx, guards, routes.getUser, async ({ authority, params }) => {
    const row = await findUser(ctx.db, authority.id, params.userId);
    if (!row) throw new TesseraProblem('not_found', `no user ${params.userId}`);
    return ok(toUser(row, authority.issuer));
  });

  bindRoute(router, ctx, guards, routes.updateUser, async ({ authority, admin, params, body }) => {
    const row = await updateUser(ctx, authority, adminActor(admin), params.userId, body);
    return ok(toUser(row, authority.issuer));
  });

  bindRoute(router, ctx, guards, routes.listAdminDevices, async ({ authority, query }) => {
    const rows = await searchDevices(ctx.db, authority.id, {
      userId: query.userId,
      status: query.status,
      q: query.q,
      limit: query.limit,
      cursor: query.cursor ? decodeCursor(query.cursor) : undefined,
    });
    const page = toPage(rows, query.limit);
    return ok({ items: page.rows.map((r) => toAdminDevice(r.client, r.username)), nextCursor: page.nextCursor });
  });

  bindRoute(router, ctx, guards, routes.revokeDevice, async ({ authority, admin, params }) => {
    const row = await revokeDevice(ctx, authority, adminActor(admin), params.clientId);
    return ok(toAdminDevice(row.client, row.username));
  });
};
