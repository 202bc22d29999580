import { and, asc, eq, sql } from 'drizzle-orm';
import type { AdminRole } from '@tessera/protocol';
import type { Executor, Tx } from '../storage/db.ts';
import { adminRoles, adminUsers, authorities } from '../storage/schema.ts';

/*
 * Administrator accounts belong to the server, not to an authority: one person may serve
 * several authorities. What they may do in one is their role there, always looked up with
 * that authority in the `where`.
 */

export type AdminAccountRow = typeof adminUsers.$inferSelect;

/** E-mails are unique case-insensitively, so they are looked up the same way. */
export async function findAdminAccountByEmail(executor: Executor, email: string): Promise<AdminAccountRow | null> {
  const [row] = await executor
    .select()
    .from(adminUsers)
    .where(eq(sql`lower(${adminUsers.email})`, email.toLowerCase()));
  return row ?? null;
}

export async function findAdminAccount(executor: Executor, adminId: string): Promise<AdminAccountRow | null> {
  const [row] = await executor.select().from(adminUsers).where(eq(adminUsers.id, adminId));
  return row ?? null;
}

export async function insertAdminAccount(executor: Executor, row: typeof adminUsers.$inferInsert): Promise<void> {
  await executor.insert(adminUsers).values(row);
}

/** An account and every role it holds, with each authority's slug: one row per role (one with nulls when it has none). */
export function listAdminAccountRoles(executor: Executor, adminId: string) {
  return executor
    .select({ admin: adminUsers, authorityId: adminRoles.authorityId, role: adminRoles.role, slug: authorities.slug })
    .from(adminUsers)
    .leftJoin(adminRoles, eq(adminRoles.adminId, adminUsers.id))
    .leftJoin(authorities, eq(authorities.id, adminRoles.authorityId))
    .where(eq(adminUsers.id, adminId));
}

/** Gives an account a role in the authority; null when it already holds one there. */
export async function grantAdminRole(executor: Executor, authorityId: string, params: { adminId: string; role: AdminRole }) {
  const [row] = await executor.insert(adminRoles).values({ authorityId, adminId: params.adminId, role: params.role }).onConflictDoNothing().returning();
  return row ?? null;
}

const memberColumns = { id: adminUsers.id, email: adminUsers.email, name: adminUsers.name, role: adminRoles.role, createdAt: adminRoles.createdAt };

export function listMembers(executor: Executor, authorityId: string) {
  return executor
    .select(memberColumns)
    .from(adminRoles)
    .innerJoin(adminUsers, eq(adminUsers.id, adminRoles.adminId))
    .where(eq(adminRoles.authorityId, authorityId))
    .orderBy(asc(adminRoles.createdAt), asc(adminUsers.id));
}

/** The member's role row, locked; null for an administrator who has no role in this authority. */
export async function lockMember(tx: Tx, authorityId: string, adminId: string) {
  const [member] = await tx
    .select(memberColumns)
    .from(adminRoles)
    .innerJoin(adminUsers, eq(adminUsers.id, adminRoles.adminId))
    .where(and(eq(adminRoles.authorityId, authorityId), eq(adminRoles.adminId, adminId)))
    .for('update', { of: adminRoles });
  return member ?? null;
}

/** Locks every owner row of the authority and returns the owners' account IDs. */
export async function lockOwners(tx: Tx, authorityId: string): Promise<string[]> {
  const owners = await tx
    .select({ adminId: adminRoles.adminId })
    .from(adminRoles)
    .where(and(eq(adminRoles.authorityId, authorityId), eq(adminRoles.role, 'owner')))
    .for('update');
  return owners.map((o) => o.adminId);
}

export async function setMemberRole(tx: Tx, authorityId: string, adminId: string, role: AdminRole): Promise<void> {
  await tx
    .update(adminRoles)
    .set({ role })
    .where(and(eq(adminRoles.authorityId, authorityId), eq(adminRoles.adminId, adminId)));
}

export async function removeMember(tx: Tx, authorityId: string, adminId: string): Promise<void> {
  await tx.delete(adminRoles).where(and(eq(adminRoles.authorityId, authorityId), eq(adminRoles.adminId, adminId)));
}
