import type { Express, Request } from 'express';
import session from 'express-session';
import type { PassportStatic } from 'passport';
import { Strategy as LocalStrategy } from 'passport-local';
import { TesseraProblem, type AdminRole, type RouteSpec } from '@tessera/protocol';
import type { AuthorityRef } from '../authorities/authority-directory.ts';
import type { AppContext } from '../context.ts';
import type { AdminPrincipal, Middleware } from '../http/principals.ts';
import { findAdminAccountByEmail, listAdminAccountRoles } from './admin-queries.ts';
import { verifyPassword } from './passwords.ts';
import { DatabaseSessionStore } from './session-store.ts';

export type { AdminPrincipal } from '../http/principals.ts';

export const roleRank: Record<AdminRole, number> = { viewer: 1, billing: 2, admin: 3, owner: 4 };

export const SESSION_COOKIE = 'tessera.sid';

async function loadAdmin(ctx: AppContext, id: string): Promise<AdminPrincipal | null> {
  const rows = await listAdminAccountRoles(ctx.db, id);
  const first = rows[0];
  if (!first) return null;
  const roles = new Map<string, AdminRole>();
  const rolesBySlug: AdminPrincipal['rolesBySlug'] = [];
  for (const r of rows) {
    if (r.authorityId && r.role && r.slug) {
      roles.set(r.authorityId, r.role);
      rolesBySlug.push({ authority: r.slug, role: r.role });
    }
  }
  return { id: first.admin.id, email: first.admin.email, name: first.admin.name, operator: first.admin.isOperator, roles, rolesBySlug };
}

/** The role an administrator holds in an authority; server operators are owners everywhere. */
export function roleIn(admin: AdminPrincipal, authorityId: string): AdminRole | null {
  return admin.operator ? 'owner' : (admin.roles.get(authorityId) ?? null);
}

export function configureAdminAuth(app: Express, ctx: AppContext, passport: PassportStatic): DatabaseSessionStore {
  const store = new DatabaseSessionStore(ctx.db);
  app.use(
    '/admin',
    session({
      name: SESSION_COOKIE,
      secret: ctx.secrets.derive('admin-session-cookie').toString('base64url'),
      store,
      resave: false,
      saveUninitialized: false,
      rolling: true,
      proxy: ctx.config.secureCookies,
      cookie: { httpOnly: true, sameSite: 'lax', secure: ctx.config.secureCookies, maxAge: 8 * 3600 * 1000, path: '/' },
    }),
  );
  passport.use(
    'admin-local',
    new LocalStrategy({ usernameField: 'email', passwordField: 'password', session: true }, (email, password, done) => {
      findAdminAccountByEmail(ctx.db, email).then(async (row) => {
        const ok = await verifyPassword(row?.passwordHash, password);
        done(null, ok && row ? { id: row.id } : false);
      }, done);
    }),
  );
  passport.serializeUser((user, done) => done(null, (user as { id: string }).id));
  passport.deserializeUser((id: string, done) => {
    loadAdmin(ctx, id).then((admin) => done(null, admin ?? false), done);
  });
  app.use('/admin', passport.initialize(), passport.session());
  return store;
}

/** Signs an administrator in with passport-local and starts a fresh session (no fixation). */
export function login(req: Request): Promise<AdminPrincipal> {
  const passport = req.app.locals.passport as PassportStatic;
  return new Promise((resolve, reject) => {
    passport.authenticate('admin-local', (err: unknown, user: { id: string } | false) => {
      if (err) return reject(err);
      if (!user) return reject(new TesseraProblem('invalid_credentials', 'wrong e-mail or password'));
      req.logIn(user, (loginError) => {
        if (loginError) return reject(loginError);
        // logIn stores only what the strategy returned ({id}); load the full principal with its roles.
        passport.deserializeUser(user.id, req, (err: unknown, admin?: Express.User | false) => {
          if (err) return reject(err);
          if (!admin) return reject(new TesseraProblem('invalid_credentials', 'wrong e-mail or password'));
          req.user = admin;
          resolve(admin as unknown as AdminPrincipal);
        });
      });
    })(req, req.res!, reject);
  });
}

export function logout(req: Request): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!req.user) return resolve();
    req.logout((err) => {
      if (err) return reject(err);
      req.session.destroy(() => resolve());
    });
  });
}

/** Route guard: a signed-in administrator, and for authority routes the route's least role. */
export const adminGuard =
  (spec: RouteSpec): Middleware =>
  (req, res, next) => {
    const admin = req.user as AdminPrincipal | undefined;
    if (!admin || !('roles' in admin)) return next(new TesseraProblem('unauthenticated', 'sign in to the admin API first'));
    const authority = res.locals.authority as AuthorityRef | undefined;
    if (authority) {
      const role = roleIn(admin, authority.id);
      // Another authority's administrators learn nothing, not even that it exists.
      if (!role) return next(new TesseraProblem('authority_unknown', `no authority "${authority.slug}" on this server`));
      if (spec.minRole && roleRank[role] < roleRank[spec.minRole]) {
        return next(new TesseraProblem('forbidden', `this needs the ${spec.minRole} role; you are ${role}`));
      }
    }
    res.locals.admin = admin;
    next();
  };
