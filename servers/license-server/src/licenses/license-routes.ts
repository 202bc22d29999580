import { routes, TesseraProblem } from '@tessera/protocol';
import type { RouteModule } from '../http/principals.ts';
import { bindRoute, created, ok } from '../http/route.ts';
import { issueLicense } from './issue-license.ts';
import { findAdminLicense, findClientLicense, licenseOrigin, listAdminLicenses, listClientLicenses, type LicenseRow } from './license-queries.ts';

const toLicenseStatus = (row: LicenseRow) => ({
  licenseId: row.id,
  contentId: row.contentId,
  clientId: row.clientId,
  state: row.state,
  origin: licenseOrigin(row),
  issuedAt: row.issuedAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
});

export const registerLicenseRoutes: RouteModule = (router, ctx, guards) => {
  bindRoute(router, ctx, guards, routes.issueLicense, async ({ authority, device, body }) => {
    const issued = await issueLicense(ctx, { authority, clientId: device.clientId, userId: device.userId }, body.contentId);
    return issued.created ? created(issued.license) : ok(issued.license);
  });

  bindRoute(router, ctx, guards, routes.listDeviceLicenses, async ({ authority, device }) => {
    const rows = await listClientLicenses(ctx.db, authority.id, device.clientId);
    return ok({ items: rows.map(toLicenseStatus) });
  });

  bindRoute(router, ctx, guards, routes.licenseStatus, async ({ authority, device, params }) => {
    const row = await findClientLicense(ctx.db, authority.id, { clientId: device.clientId, licenseId: params.licenseId });
    if (!row) throw new TesseraProblem('license_unknown', `device ${device.clientId} holds no license ${params.licenseId}`);
    return ok(toLicenseStatus(row));
  });

  bindRoute(router, ctx, guards, routes.listLicenses, async ({ authority, query }) => {
    return ok(await listAdminLicenses(ctx.db, authority.id, query));
  });

  bindRoute(router, ctx, guards, routes.getLicense, async ({ authority, params }) => {
    const license = await findAdminLicense(ctx.db, authority.id, params.licenseId);
    if (!license) throw new TesseraProblem('license_unknown', `no license ${params.licenseId} at ${authority.issuer}`);
    return ok(license);
  });
};
