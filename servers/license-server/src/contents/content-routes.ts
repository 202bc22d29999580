import { routes, TesseraProblem } from '@tessera/protocol';
import { recordAudit } from '../audit/audit-log.ts';
import type { RouteModule } from '../http/principals.ts';
import { bindRoute, created, ok } from '../http/route.ts';
import { findAdminContent, findCatalogEntry, listAdminContents, listCatalog, lockContent, updateContentRow, type ContentPatch } from './content-queries.ts';
import { supplyPackage } from './supply-package.ts';
import { checkUploadHeaders, uploadContent } from './upload-content.ts';

export const registerContentRoutes: RouteModule = (router, ctx, guards) => {
  // ---- administration ----
  bindRoute(router, ctx, guards, routes.uploadContent, async ({ authority, admin, query, req, res }) => {
    let plaintextLength: number;
    try {
      plaintextLength = checkUploadHeaders(req, ctx.config.maxUploadBytes);
      if (query.id && (await findCatalogEntry(ctx.db, authority.id, query.id))) {
        throw new TesseraProblem('content_exists', `a content ${query.id} already exists at this authority`);
      }
    } catch (error) {
      // The body was not read: do not let the connection drain a file we refused.
      res.setHeader('Connection', 'close');
      throw error;
    }
    const content = await uploadContent(ctx, { authorityId: authority.id, actor: admin.email, metadata: query, body: req, plaintextLength });
    return created(content);
  });

  bindRoute(router, ctx, guards, routes.listAdminContents, async ({ authority, query }) => ok(await listAdminContents(ctx.db, authority.id, query)));

  bindRoute(router, ctx, guards, routes.getAdminContent, async ({ authority, params }) => {
    const content = await findAdminContent(ctx.db, authority.id, params.contentId);
    if (!content) throw new TesseraProblem('content_unknown', `no content ${params.contentId} in ${authority.slug}`);
    return ok(content);
  });

  bindRoute(router, ctx, guards, routes.updateContent, async ({ authority, admin, params, body }) => {
    await ctx.db.transaction(async (tx) => {
      const current = await lockContent(tx, authority.id, params.contentId);
      if (!current) throw new TesseraProblem('content_unknown', `no content ${params.contentId} in ${authority.slug}`);
      // A content that arrived by a cross-authority move has no package here: it cannot be offered.
      if (current.originIssuer && body.status === 'available') {
        throw new TesseraProblem(
          'content_unavailable',
          `${params.contentId} was published by ${current.originIssuer}; only its licenses live here, it cannot be offered in this catalogue`,
        );
      }
      const patch: ContentPatch = {};
      const changes: Record<string, { from: unknown; to: unknown }> = {};
      for (const field of ['title', 'description', 'status', 'licensePrice', 'movePrice'] as const) {
        const value = field === 'description' && body.description === '' ? null : body[field];
        if (value === undefined || value === current[field]) continue;
        (patch as Record<string, unknown>)[field] = value;
        changes[field] = { from: current[field], to: value };
      }
      if (Object.keys(patch).length === 0) return;
      await updateContentRow(tx, authority.id, params.contentId, patch);
      await recordAudit(tx, { authorityId: authority.id, actor: admin.email, action: 'content.update', target: params.contentId, details: changes });
    });
    return ok((await findAdminContent(ctx.db, authority.id, params.contentId))!);
  });

  // ---- devices ----
  bindRoute(router, ctx, guards, routes.catalog, async ({ device, query }) => ok(await listCatalog(ctx.db, device.authority.id, query)));

  bindRoute(router, ctx, guards, routes.getContent, async ({ device, params }) => {
    const entry = await findCatalogEntry(ctx.db, device.authority.id, params.contentId);
    if (!entry) throw new TesseraProblem('content_unknown', `no content ${params.contentId} at ${device.authority.issuer}`);
    return ok(entry);
  });

  bindRoute(router, ctx, guards, routes.downloadPackage, async ({ device, params, req, res }) => {
    await supplyPackage(ctx, device, params.contentId, req, res);
    return 'handled';
  });
};
