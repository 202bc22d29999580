import { routes } from '@tessera/protocol';
import { and, desc, eq, type SQL } from 'drizzle-orm';
import { afterCursor, cursorAt, decodeCursor, toPage, type ListCursor } from '../storage/list-cursor.ts';
import type { RouteModule } from '../http/principals.ts';
import { bindRoute, ok } from '../http/route.ts';
import type { Executor } from '../storage/db.ts';
import { auditLog } from '../storage/schema.ts';

export interface AuditFilter {
  action?: string | undefined;
  actor?: string | undefined;
}

/** The authority's audit entries newest first. */
export function listAuditEntries(executor: Executor, authorityId: string, filter: AuditFilter, limit: number, cursor?: ListCursor) {
  const where: (SQL | undefined)[] = [eq(auditLog.authorityId, authorityId)];
  if (filter.action) where.push(eq(auditLog.action, filter.action));
  if (filter.actor) where.push(eq(auditLog.actor, filter.actor));
  if (cursor) where.push(afterCursor(auditLog.at, auditLog.id, cursor));
  return executor
    .select({ id: auditLog.id, at: auditLog.at, actor: auditLog.actor, action: auditLog.action, target: auditLog.target, details: auditLog.details, cursorAt: cursorAt(auditLog.at) })
    .from(auditLog)
    .where(and(...where))
    .orderBy(desc(auditLog.at), desc(auditLog.id))
    .limit(limit);
}

export const registerAuditRoutes: RouteModule = (router, ctx, guards) => {
  bindRoute(router, ctx, guards, routes.listAudit, async ({ authority, query }) => {
    const rows = await listAuditEntries(ctx.db, authority.id, { action: query.action, actor: query.actor }, query.limit + 1, query.cursor ? decodeCursor(query.cursor) : undefined);
    const page = toPage(rows, query.limit);
    return ok({
      items: page.rows.map((r) => ({ id: r.id, at: r.at.toISOString(), actor: r.actor, action: r.action, target: r.target, details: r.details })),
      nextCursor: page.nextCursor,
    });
  });
};
