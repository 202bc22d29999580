import { routes, TesseraProblem, userGlobalId } from '@tessera/protocol';
import type { RouteModule } from '../http/principals.ts';
import { bindRoute, created, ok } from '../http/route.ts';
import { deviceLimitOf, listUserDevices, revokeUserDevice } from './client-queries.ts';
import { toDevice } from './device-view.ts';
import { registerDevice } from './register-device.ts';
import { verifyRegistrationProof } from './registration-proof.ts';

export const registerRegistrationRoutes: RouteModule = (router, ctx, guards) => {
  bindRoute(router, ctx, guards, routes.registerDevice, async ({ authority, body, req }) => {
    const thumbprint = await verifyRegistrationProof(req, authority, body.publicKey, ctx);
    const registration = await registerDevice(ctx, {
      authority,
      username: body.credentials.username,
      password: body.credentials.password,
      publicKey: body.publicKey,
      thumbprint,
      label: body.label,
      clientAddress: req.ip,
    });
    return created(registration);
  });

  bindRoute(router, ctx, guards, routes.whoami, async ({ authority, device }) =>
    ok({
      clientId: device.clientId,
      leafId: device.leafId,
      label: device.label,
      authority: authority.issuer,
      user: { id: device.userId, username: device.username, globalId: userGlobalId(device.userId, authority.issuer) },
    }),
  );

  bindRoute(router, ctx, guards, routes.listDevices, async ({ authority, device }) => {
    const [rows, limit] = await Promise.all([listUserDevices(ctx.db, authority.id, device.userId), deviceLimitOf(ctx.db, authority.id)]);
    return ok({ items: rows.map(toDevice), limit });
  });

  bindRoute(router, ctx, guards, routes.deactivateDevice, async ({ authority, device, params }) => {
    // The device's licenses are left as they are: revocation is about the device, not its purchases.
    const row = await revokeUserDevice(ctx.db, authority.id, device.userId, params.clientId);
    if (!row) throw new TesseraProblem('not_found', `you have no device ${params.clientId}`);
    return ok(toDevice(row));
  });
};
