import { newId } from '@tessera/protocol';
import type { Executor } from '../storage/db.ts';
import { auditLog } from '../storage/schema.ts';

export interface AuditEvent {
  authorityId: string | null;
  /** Who did it: an administrator's e-mail, or `system`. */
  actor: string | null;
  action: string;
  target?: string | null;
  details?: Record<string, unknown>;
}

/** Appends to the audit log; call it inside the transaction of the action it records. */
export async function recordAudit(executor: Executor, event: AuditEvent): Promise<void> {
  await executor.insert(auditLog).values({
    id: newId('audit'),
    authorityId: event.authorityId,
    actor: event.actor,
    action: event.action,
    target: event.target ?? null,
    details: event.details ?? null,
  });
}
