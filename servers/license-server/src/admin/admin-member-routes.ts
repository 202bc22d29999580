import { routes, TesseraProblem, type AdminRole } from '@tessera/protocol';
import { and, asc, eq } from 'drizzle-orm';
import { adminActor } from '../audit/actor.ts';
import { recordAudit } from '../audit/audit-log.ts';
import type { RouteModule } from '../http/principals.ts';
import { bindRoute, created, noContent, ok } from '../http/route.ts';
import type { Executor, Tx } from '../storage/db.ts';
import { adminRoles, adminUsers } from '../storage/schema.ts';
import { addAdministrator } from './manage-admins.ts';

const memberJson = (m: { id: string; email: string; name: string | null; role: AdminRole; createdAt: Date }) => ({
  id: m.id,
  email: m.email,
  name: m.name,
  role: m.role,
  createdAt: m.createdAt.toISOString(),
});

const memberColumns = { id: adminUsers.id, email: adminUsers.email, name: adminUsers.name, role: adminRoles.role, createdAt: adminRoles.createdAt };

export function listMembers(executor: Executor, authorityId: string) {
  return executor
    .select(memberColumns)
    .from(adminRoles)
    .innerJoin(adminUsers, eq(adminUsers.id, adminRoles.adminId))
    .where(eq(adminRoles.authorityId, authorityId))
    .orderBy(asc(adminRoles.createdAt), asc(adminUsers.id));
}

/** The member's role row, locked, or `not_found` — an admin of another authority is unknown here. */
async function lockMember(tx: Tx, authorityId: string, adminId: string) {
  const [member] = await tx
    .select(memberColumns)
    .from(adminRoles)
    .innerJoin(adminUsers, eq(adminUsers.id, adminRoles.adminId))
    .where(and(eq(adminRoles.authorityId, authorityId), eq(adminRoles.adminId, adminId)))
    .for('update', { of: adminRoles });
  if (!member) throw new TesseraProblem('not_found', `no administrator ${adminId} in this authority`);
  return member;
}

/**
 * Locks every owner row of the authority before counting them, so two owners demoting
 * each other at the same moment cannot leave the authority without an owner.
 */
async function assertAnotherOwner(tx: Tx, authorityId: string, adminId: string, verb: string) {
  const owners = await tx
    .select({ adminId: adminRoles.adminId })
    .from(adminRoles)
    .where(and(eq(adminRoles.authorityId, authorityId), eq(adminRoles.role, 'owner')))
    .for('update');
  if (!owners.some((o) => o.adminId !== adminId)) {
    throw new TesseraProblem('conflict', `cannot ${verb} the last owner of this authority; make someone else owner first`);
  }
}

export const registerAdminMemberRoutes: RouteModule = (router, ctx, guards) => {
  bindRoute(router, ctx, guards, routes.listAdmins, async ({ authority }) => ok({ items: (await listMembers(ctx.db, authority.id)).map(memberJson) }));

  bindRoute(router, ctx, guards, routes.addAdmin, async ({ admin, authority, body }) => created(memberJson(await addAdministrator(ctx, authority, adminActor(admin), body))));

  bindRoute(router, ctx, guards, routes.updateAdmin, async ({ admin, authority, params, body }) => {
    const member = await ctx.db.transaction(async (tx) => {
      const before = await lockMember(tx, authority.id, params.adminId);
      if (before.role === body.role) return before;
      if (before.role === 'owner') await assertAnotherOwner(tx, authority.id, params.adminId, 'demote');
      await tx
        .update(adminRoles)
        .set({ role: body.role })
        .where(and(eq(adminRoles.authorityId, authority.id), eq(adminRoles.adminId, params.adminId)));
      await recordAudit(tx, {
        authorityId: authority.id,
        actor: admin.email,
        action: 'admin.role_changed',
        target: params.adminId,
        details: { email: before.email, from: before.role, to: body.role },
      });
      return { ...before, role: body.role };
    });
    return ok(memberJson(member));
  });

  bindRoute(router, ctx, guards, routes.removeAdmin, async ({ admin, authority, params }) => {
    await ctx.db.transaction(async (tx) => {
      const member = await lockMember(tx, authority.id, params.adminId);
      if (member.role === 'owner') await assertAnotherOwner(tx, authority.id, params.adminId, 'remove');
      await tx.delete(adminRoles).where(and(eq(adminRoles.authorityId, authority.id), eq(adminRoles.adminId, params.adminId)));
      await recordAudit(tx, {
        authorityId: authority.id,
        actor: admin.email,
        action: 'admin.removed',
        target: params.adminId,
        details: { email: member.email, role: member.role },
      });
    });
    return noContent();
  });
};
