import { routes, TesseraProblem } from '@tessera/protocol';
import { asc, eq, inArray } from 'drizzle-orm';
import { adminActor } from '../audit/actor.ts';
import { recordAudit } from '../audit/audit-log.ts';
import type { AppContext } from '../context.ts';
import type { RouteModule } from '../http/principals.ts';
import { bindRoute, created, ok } from '../http/route.ts';
import { authorities } from '../storage/schema.ts';
import { createAuthority } from './create-authority.ts';

type AuthorityRow = typeof authorities.$inferSelect;

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
    const rows = await ctx.db
      .select()
      .from(authorities)
      .where(visible ? inArray(authorities.id, visible) : undefined)
      .orderBy(asc(authorities.slug));
    return ok({ items: rows.map((row) => authorityJson(ctx, row)) });
  });

  bindRoute(router, ctx, guards, routes.createAuthority, async ({ admin, body }) => {
    if (!admin.operator) throw new TesseraProblem('forbidden', 'only server operators may create authorities');
    return created(authorityJson(ctx, await createAuthority(ctx, adminActor(admin), body, { owner: admin.id })));
  });


  bindRoute(router, ctx, guards, routes.getAuthority, async ({ authority }) => {
    const [row] = await ctx.db.select().from(authorities).where(eq(authorities.id, authority.id));
    if (!row) throw new TesseraProblem('authority_unknown', `no authority "${authority.slug}" on this server`);
    return ok(authorityJson(ctx, row));
  });

  bindRoute(router, ctx, guards, routes.updateAuthority, async ({ admin, authority, body }) => {
    const changes = Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined)) as typeof body;
    const row = await ctx.db.transaction(async (tx) => {
      const [before] = await tx.select().from(authorities).where(eq(authorities.id, authority.id)).for('update');
      if (!before) throw new TesseraProblem('authority_unknown', `no authority "${authority.slug}" on this server`);
      if (Object.keys(changes).length === 0) return before;
      const [after] = await tx.update(authorities).set(changes).where(eq(authorities.id, authority.id)).returning();
      await recordAudit(tx, {
        authorityId: authority.id,
        actor: admin.email,
        action: 'authority.updated',
        target: authority.id,
        details: { before: Object.fromEntries(Object.keys(changes).map((k) => [k, before[k as keyof typeof before]])), after: changes },
      });
      return after!;
    });
    return ok(authorityJson(ctx, row));
  });
};
