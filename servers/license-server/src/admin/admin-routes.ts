import { routes } from '@tessera/protocol';
import { registerAuditRoutes } from '../audit/audit-routes.ts';
import { registerAuthorityRoutes } from '../authorities/authority-routes.ts';
import { registerBillingRoutes } from '../billing/billing-routes.ts';
import type { RouteModule } from '../http/principals.ts';
import { bindRoute, ok } from '../http/route.ts';
import { registerAdminMemberRoutes } from './admin-member-routes.ts';
import { overviewStats } from './overview-stats.ts';
import { registerSessionRoutes } from './session-routes.ts';

/** The admin API of sessions, authorities, administrators, billing, audit and overview. */
export const registerAdminRoutes: RouteModule = (router, ctx, guards) => {
  registerSessionRoutes(router, ctx, guards);
  registerAuthorityRoutes(router, ctx, guards);
  registerAdminMemberRoutes(router, ctx, guards);
  registerBillingRoutes(router, ctx, guards);
  registerAuditRoutes(router, ctx, guards);
  bindRoute(router, ctx, guards, routes.getStats, async ({ authority, query }) => {
    // One read-only snapshot, so the totals and the series agree with each other.
    const stats = await ctx.db.transaction((tx) => overviewStats(tx, authority, query.days), { isolationLevel: 'repeatable read', accessMode: 'read only' });
    return ok(stats);
  });
};
