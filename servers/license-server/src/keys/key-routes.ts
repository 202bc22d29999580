import { routes } from '@tessera/protocol';
import { adminActor } from '../audit/actor.ts';
import type { RouteModule } from '../http/principals.ts';
import { bindRoute, ok } from '../http/route.ts';
import { signEntityConfiguration } from './entity-configuration.ts';
import { toAuthorityKey } from './key-view.ts';
import { listKeys, retireAuthorityKey, revokeAuthorityKey, rotateAuthorityKeys } from './manage-keys.ts';

/** The authority's public identity (entity configuration, key set) and the admin API over its keys. */
export const registerKeyRoutes: RouteModule = (router, ctx, guards) => {
  bindRoute(router, ctx, guards, routes.entityConfiguration, async ({ authority, res }) => {
    // Short: peers refetch on an unknown kid anyway, and a rotation should reach them soon.
    res
      .status(200)
      .set('Cache-Control', 'public, max-age=60')
      .type(routes.entityConfiguration.responses[200])
      .send(await signEntityConfiguration(ctx, authority));
    return 'handled';
  });

  bindRoute(router, ctx, guards, routes.jwks, async ({ authority, res }) => {
    // Verifiers refetch on an unknown kid, and a key is published as next before it signs,
    // so a few minutes of caching never hides a key a verifier needs.
    res.set('Cache-Control', 'public, max-age=300, stale-while-revalidate=60');
    return ok(await ctx.keyring.jwks(authority.id));
  });

  bindRoute(router, ctx, guards, routes.listKeys, async ({ authority }) => {
    return ok({ items: (await listKeys(ctx, authority)).map(toAuthorityKey) });
  });

  bindRoute(router, ctx, guards, routes.rotateKeys, async ({ authority, admin, body }) => {
    const { keys } = await rotateAuthorityKeys(ctx, authority, adminActor(admin), body.use);
    return ok({ items: keys.map(toAuthorityKey) });
  });

  bindRoute(router, ctx, guards, routes.retireKey, async ({ authority, admin, params }) => {
    return ok(toAuthorityKey(await retireAuthorityKey(ctx, authority, adminActor(admin), params.kid)));
  });

  bindRoute(router, ctx, guards, routes.revokeKey, async ({ authority, admin, params }) => {
    const { key } = await revokeAuthorityKey(ctx, authority, adminActor(admin), params.kid);
    return ok(toAuthorityKey(key));
  });
};
