import { routes, TesseraProblem } from '@tessera/protocol';
import type { RouteModule } from '../http/principals.ts';
import { bindRoute, noContent, ok } from '../http/route.ts';
import { recordAudit } from '../audit/audit-log.ts';
import type { Executor } from '../storage/db.ts';
import { login, logout, SESSION_COOKIE, type AdminPrincipal } from './admin-auth.ts';
import { countServerAuditEntries } from './session-queries.ts';

export const LOGIN_FAILED_ACTION = 'admin.login_failed';
const LOGIN_WINDOW_MS = 15 * 60 * 1000;
const MAX_FAILED_LOGINS = 10;

export const sessionBody = (admin: AdminPrincipal) => ({
  admin: { id: admin.id, email: admin.email, name: admin.name, operator: admin.operator },
  roles: admin.rolesBySlug,
});

/**
 * Failed sign-ins are counted from the audit log, not in memory, so every instance behind
 * the load balancer applies the same limit.
 */
const recentFailedLogins = (executor: Executor, email: string) =>
  countServerAuditEntries(executor, { action: LOGIN_FAILED_ACTION, actorEmail: email, since: new Date(Date.now() - LOGIN_WINDOW_MS) });

export const registerSessionRoutes: RouteModule = (router, ctx, guards) => {
  bindRoute(router, ctx, guards, routes.login, async ({ req, body }) => {
    if ((await recentFailedLogins(ctx.db, body.email)) >= MAX_FAILED_LOGINS) {
      throw new TesseraProblem('forbidden', 'too many failed sign-ins for this e-mail; wait 15 minutes and try again');
    }
    let admin: AdminPrincipal;
    try {
      admin = await login(req);
    } catch (error) {
      if (error instanceof TesseraProblem && error.code === 'invalid_credentials') {
        await recordAudit(ctx.db, { authorityId: null, actor: body.email, action: LOGIN_FAILED_ACTION });
      }
      throw error;
    }
    await recordAudit(ctx.db, { authorityId: null, actor: admin.email, action: 'admin.login', target: admin.id });
    return ok(sessionBody(admin));
  });

  bindRoute(router, ctx, guards, routes.session, async ({ admin }) => ok(sessionBody(admin)));

  bindRoute(router, ctx, guards, routes.logout, async ({ req, res }) => {
    await logout(req);
    // A session without a signed-in user (or after logout's regeneration) is dropped too.
    if (req.session) await new Promise<void>((resolve) => req.session.destroy(() => resolve()));
    res.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'lax', secure: ctx.config.secureCookies });
    return noContent();
  });
};
