import { createUserRequestSchema, newId, TesseraProblem } from '@tessera/protocol';
import type { z } from 'zod';
import { hashPassword } from '../admin/passwords.ts';
import { actorName, type Actor } from '../audit/actor.ts';
import { recordAudit } from '../audit/audit-log.ts';
import type { AuthorityRef } from '../authorities/authority-directory.ts';
import type { AppContext } from '../context.ts';
import { lockDevice, markDeviceRevoked, type AdminDeviceRow } from './admin-device-queries.ts';
import { findUser, insertUser, lockUser, updateUserRow, type UserListRow } from './user-queries.ts';

export type NewUser = z.input<typeof createUserRequestSchema>;

/** Creates a user account for any actor, validated with the admin API's schema. */
export async function createUser(ctx: AppContext, authority: AuthorityRef, actor: Actor, newUser: NewUser): Promise<UserListRow> {
  const input = createUserRequestSchema.parse(newUser);
  const passwordHash = await hashPassword(input.password);
  return ctx.db.transaction(async (tx) => {
    const id = newId('user');
    const inserted = await insertUser(tx, { authorityId: authority.id, id, username: input.username, displayName: input.displayName ?? null, passwordHash });
    if (!inserted) throw new TesseraProblem('user_exists', `a user named "${input.username}" already exists (usernames ignore case)`);
    await recordAudit(tx, {
      authorityId: authority.id,
      actor: actorName(actor),
      action: 'user.create',
      target: id,
      details: { username: input.username, displayName: input.displayName ?? null },
    });
    return (await findUser(tx, authority.id, id))!;
  });
}

export interface UserChanges {
  status?: 'active' | 'suspended' | undefined;
  displayName?: string | null | undefined;
  password?: string | undefined;
}

/** Suspends, reinstates or edits a user; a suspended user's devices are refused from the next request on. */
export async function updateUser(ctx: AppContext, authority: AuthorityRef, actor: Actor, userId: string, changes: UserChanges): Promise<UserListRow> {
  // Hashing is slow, so it happens before the row is locked.
  const passwordHash = changes.password === undefined ? undefined : await hashPassword(changes.password);
  return ctx.db.transaction(async (tx) => {
    const current = await lockUser(tx, authority.id, userId);
    if (!current) throw new TesseraProblem('not_found', `no user ${userId}`);
    const set: Parameters<typeof updateUserRow>[3] = {};
    const details: Record<string, unknown> = {};
    if (changes.status !== undefined && changes.status !== current.status) set.status = details.status = changes.status;
    if (changes.displayName !== undefined && changes.displayName !== current.displayName) set.displayName = details.displayName = changes.displayName;
    if (passwordHash !== undefined) {
      set.passwordHash = passwordHash;
      details.passwordChanged = true;
    }
    if (Object.keys(set).length > 0) {
      await updateUserRow(tx, authority.id, userId, set);
      const action = set.status === 'suspended' ? 'user.suspend' : set.status === 'active' ? 'user.reinstate' : 'user.update';
      await recordAudit(tx, { authorityId: authority.id, actor: actorName(actor), action, target: userId, details });
    }
    return (await findUser(tx, authority.id, userId))!;
  });
}

/** Revokes a device: the device API refuses it from then on. Revoking it again changes nothing. */
export async function revokeDevice(ctx: AppContext, authority: AuthorityRef, actor: Actor, clientId: string): Promise<AdminDeviceRow> {
  return ctx.db.transaction(async (tx) => {
    const device = await lockDevice(tx, authority.id, clientId);
    if (!device) throw new TesseraProblem('not_found', `no device ${clientId}`);
    if (device.client.status === 'revoked') return device;
    const client = await markDeviceRevoked(tx, authority.id, clientId, new Date());
    await recordAudit(tx, {
      authorityId: authority.id,
      actor: actorName(actor),
      action: 'device.revoke',
      target: clientId,
      details: { userId: client.userId, username: device.username, leafId: client.leafId, label: client.label },
    });
    return { ...device, client };
  });
}
