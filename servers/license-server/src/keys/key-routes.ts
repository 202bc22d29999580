import { routes } from '@tessera/protocol';
import { asc, eq } from 'drizzle-orm';
import type { RouteModule } from '../http/app.ts';
import { bindRoute, ok } from '../http/route.ts';
import { authorityKeys } from '../storage/schema.ts';
import { signEntityConfiguration } from './entity-configuration.ts';

export const registerKeyRoutes: RouteModule = (router, ctx, guards) => {
  bindRoute(router, ctx, guards, routes.entityConfiguration, async ({ authority, res }) => {
    // Short: peers refetch on an unknown kid anyway, and a rotation should reach them soon.
    res.status(200).set('Cache-Control', 'public, max-age=60').type('application/tessera-entity+jwt').send(await signEntityConfiguration(ctx, authority));
    return 'handled';
  });

  bindRoute(router, ctx, guards, routes.jwks, async ({ authority, res }) => {
    // Verifiers refetch on an unknown kid, so a short max-age is enough for rotations.
    res.set('Cache-Control', 'public, max-age=300, stale-while-revalidate=60');
    return ok(await ctx.keyring.jwks(authority.id));
  });

  bindRoute(router, ctx, guards, routes.listKeys, async ({ authority }) => {
    const rows = await ctx.db.select().from(authorityKeys).where(eq(authorityKeys.authorityId, authority.id)).orderBy(asc(authorityKeys.createdAt));
    return ok({
        items: rows.map((k) => ({
          kid: k.kid,
          use: k.use,
          status: k.status,
          publicKey: { kty: 'EC' as const, crv: 'P-256' as const, x: k.publicJwk.x, y: k.publicJwk.y },
          createdAt: k.createdAt.toISOString(),
          activatedAt: k.activatedAt?.toISOString() ?? null,
          retiredAt: k.retiredAt?.toISOString() ?? null,
        })),
    });
  });
};
