import { and, desc, eq, type SQL } from 'drizzle-orm';
import { afterCursor, cursorAt, type ListCursor } from '../storage/list-cursor.ts';
import type { Executor } from '../storage/db.ts';
import { auditLog } from '../storage/schema.ts';

export type AuditRow = typeof auditLog.$inferInsert;

export async function insertAuditEntry(executor: Executor, row: AuditRow): Promise<void> {
  await executor.insert(auditLog).values(row);
}

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
    .select({
      id: auditLog.id,
      at: auditLog.at,
      actor: auditLog.actor,
      action: auditLog.action,
      target: auditLog.target,
      details: auditLog.details,
      cursorAt: cursorAt(auditLog.at),
    })
    .from(auditLog)
    .where(and(...where))
    .orderBy(desc(auditLog.at), desc(auditLog.id))
    .limit(limit);
}
