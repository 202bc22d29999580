import { newId } from '@tessera/protocol';
import type { Executor } from '../storage/db.ts';
import { insertAuditEntry } from './audit-queries.ts';

/**
 * Every action the audit log records, with what it means. The names are stored and filtered on
 * (`GET …/audit?action=`), so they never change once written, not even to fix their grammar
 * (`keys.rotate` beside `key.retire`); a new action is added here, and `recordAudit` accepts
 * nothing else.
 */
export const AUDIT_ACTIONS = {
  'admin.login': 'an administrator signed in to the admin API (server-wide)',
  'admin.login_failed': 'a sign-in was refused; counted to slow down password guessing (server-wide)',
  'admin.account_created': 'an administrator account without a role was created (server-wide)',
  'admin.added': 'an administrator was given a role in the authority, their account created if new',
  'admin.role_changed': "an administrator's role in the authority changed",
  'admin.removed': 'an administrator lost their role in the authority',
  'authority.created': 'the authority was created, with its keys and first prices',
  'authority.updated': "the authority's settings changed (details: before and after)",
  'user.create': 'a user account was created',
  'user.update': "a user's display name or password changed",
  'user.suspend': 'a user was suspended: their devices are refused',
  'user.reinstate': 'a suspended user was made active again',
  'user.linked': "a user's account was linked to their account at a peer",
  'user.unlinked': 'a link to an account at a peer was removed',
  'device.revoke': 'a device was revoked: the device API refuses it',
  'content.upload': 'a content was uploaded and packaged',
  'content.update': 'a content was edited (details: each field changed, from and to)',
  'prices.updated': 'the price list or its currency changed (details: before and after)',
  'invoice.issued': 'an invoice was issued for a period',
  'invoice.paid': 'an invoice was marked paid',
  'invoice.void': 'an invoice was voided; its charges stay linked to it and are not billed again',
  'keys.rotate': 'the next keys of one or both uses became active, the active ones retired',
  'key.retire': 'an active key was retired: the next key of its use took over',
  'key.revoke': 'a next or retired key was withdrawn from the key set',
  'peer.discovered': "an administrator had this server fetch an authority's entity configuration (details: the issuer and the outcome)",
  'peer.added': 'a peer authority was added, its thumbprint pinned',
  'peer.refreshed': "a peer's configuration and keys were fetched again",
  'peer.suspended': "a peer's envelopes are refused and moves to it held",
  'peer.resumed': 'a suspended peer is trusted again',
} as const;

export type AuditAction = keyof typeof AUDIT_ACTIONS;

export interface AuditEvent {
  /** Null for server-wide actions (administrator accounts and sign-ins). */
  authorityId: string | null;
  /** Who did it: `actorName` of an actor (an administrator's e-mail, `cli`, a job or a peer). */
  actor: string | null;
  action: AuditAction;
  target?: string | null;
  details?: Record<string, unknown>;
}

/** Appends to the audit log; call it inside the transaction of the action it records. */
export async function recordAudit(executor: Executor, event: AuditEvent): Promise<void> {
  await insertAuditEntry(executor, {
    id: newId('audit'),
    authorityId: event.authorityId,
    actor: event.actor,
    action: event.action,
    target: event.target ?? null,
    details: event.details ?? null,
  });
}
