import { routes, TesseraProblem } from '@tessera/protocol';
import { adminActor } from '../audit/actor.ts';
import { recordAudit } from '../audit/audit-log.ts';
import type { AppContext } from '../context.ts';
import type { RouteModule } from '../http/principals.ts';
import { bindRoute, created, ok } from '../http/route.ts';
import { findAuthority, listAuthorities, lockAuthority, updateAuthorityRow, type AuthorityRow } from './authority-queries.ts';
import { createAuthority } from './create-authority.ts';

export const authorityJson = (ctx: AppContext, row: AuthorityRow) => ({
  id: row.id,
  slug: row.slug,
  name: row.name,
  operator: row.operator,
  issuer: ctx.authorities.issuer(row.slug),
  deviceLimit: row.deviceLimit,
  currency: row.currency,
  createdAt: row.createdAt.toISOString(),
});

export const registerAuthorityRoutes: RouteModule = (router, ctx, guards) => {
  bindRoute(router, ctx, guards, routes.listAuthorities, async ({ admin }) => {
    const visible = admin.operator ? undefined : [...admin.roles.keys()];
    if (visible && visible.length === 0) return ok({ items: [] });
    const rows = await listAuthorities(ctx.db, visible);
    return ok({ items: rows.map((row) => authorityJson(ctx, row)) });
  });

  bindRoute(router, ctx, guards, routes.createAuthority, async ({ admin, body }) => {
    if (!admin.operator) throw new TesseraProblem('forbidden', 'only server operators may create authorities');
    return created(authorityJson(ctx, await createAuthority(ctx, adminActor(admin), body, { owner: admin.id })));
  });

  bindRoute(router, ctx, guards, routes.getAuthority, async ({ authority }) => {
    const row = await findAuthority(ctx.db, authority.id);
    if (!row) throw new TesseraProblem('authority_unknown', `no authority "${authority.slug}" on this server`);
    return ok(authorityJson(ctx, row));
  });

  bindRoute(router, ctx, guards, routes.updateAuthority, async ({ admin, authority, body }) => {
    const changes = Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined)) as typeof body;
    const row = await ctx.db.transaction(async (tx) => {
      const before = await lockAuthority(tx, authority.id);
      if (!before) throw new TesseraProblem('authority_unknown', `no authority "${authority.slug}" on this server`);
      if (Object.keys(changes).length === 0) return before;
      const after = await updateAuthorityRow(tx, authority.id, changes);
      await recordAudit(tx, {
        authorityId: authority.id,
        actor: admin.email,
        action: 'authority.updated',
        target: authority.id,
        details: { before: Object.fromEntries(Object.keys(changes).map((k) => [k, before[k as keyof typeof before]])), after: changes },
      });
      return after;
    });
    return ok(authorityJson(ctx, row));
  });
};
