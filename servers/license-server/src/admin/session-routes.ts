import { routes, TesseraProblem } from '@tessera/protocol';
import type { RouteModule } from '../http/principals.ts';
import { bindRoute, noContent, ok } from '../http/route.ts';
import { recordAudit } from '../audit/audit-log.ts';
import { login, logout, SESSION_COOKIE, type AdminPrincipal } from './admin-auth.ts';
import { attemptSucceeded, reserveAttempt } from '../limits/password-attempts.ts';

export const LOGIN_FAILED_ACTION = 'admin.login_failed';

export const sessionBody = (admin: AdminPrincipal) => ({
  admin: { id: admin.id, email: admin.email, name: admin.name, operator: admin.operator },
  roles: admin.rolesBySlug,
});

export const registerSessionRoutes: RouteModule = (router, ctx, guards) => {
  bindRoute(router, ctx, guards, routes.login, async ({ req, body }) => {
    // Taken before the password is checked, so concurrent guesses cannot outrun the count.
    const attempt = await reserveAttempt(ctx.db, ctx.config, { realm: 'admin', account: body.email, ip: req.ip });
    let admin: AdminPrincipal;
    try {
      admin = await login(req);
      await attemptSucceeded(ctx.db, attempt);
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
