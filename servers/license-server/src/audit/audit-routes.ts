import { routes } from '@tessera/protocol';
import { decodeCursor, toPage } from '../storage/list-cursor.ts';
import type { RouteModule } from '../http/principals.ts';
import { bindRoute, ok } from '../http/route.ts';
import { listAuditEntries } from './audit-queries.ts';

export const registerAuditRoutes: RouteModule = (router, ctx, guards) => {
  bindRoute(router, ctx, guards, routes.listAudit, async ({ authority, query }) => {
    const rows = await listAuditEntries(
      ctx.db,
      authority.id,
      { action: query.action, actor: query.actor },
      query.limit + 1,
      query.cursor ? decodeCursor(query.cursor) : undefined,
    );
    const page = toPage(rows, query.limit);
    return ok({
      items: page.rows.map((r) => ({ id: r.id, at: r.at.toISOString(), actor: r.actor, action: r.action, target: r.target, details: r.details })),
      nextCursor: page.nextCursor,
    });
  });
};
