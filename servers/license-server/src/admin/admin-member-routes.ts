import { routes, TesseraProblem, type AdminRole } from '@tessera/protocol';
import { adminActor } from '../audit/actor.ts';
import { recordAudit } from '../audit/audit-log.ts';
import type { RouteModule } from '../http/principals.ts';
import { bindRoute, created, noContent, ok } from '../http/route.ts';
import type { Tx } from '../storage/db.ts';
import { listMembers, lockMember, lockOwners, removeMember, setMemberRole } from './admin-queries.ts';
import { addAdministrator } from './manage-admins.ts';

const memberJson = (m: { id: string; email: string; name: string | null; role: AdminRole; createdAt: Date }) => ({
  id: m.id,
  email: m.email,
  name: m.name,
  role: m.role,
  createdAt: m.createdAt.toISOString(),
});

/** The member's role row, locked, or `not_found` — an admin of another authority is unknown here. */
async function lockExistingMember(tx: Tx, authorityId: string, adminId: string) {
  const member = await lockMember(tx, authorityId, adminId);
  if (!member) throw new TesseraProblem('not_found', `no administrator ${adminId} in this authority`);
  return member;
}

/**
 * Locks every owner row of the authority before counting them, so two owners demoting
 * each other at the same moment cannot leave the authority without an owner.
 */
async function assertAnotherOwner(tx: Tx, authorityId: string, adminId: string, verb: string) {
  const owners = await lockOwners(tx, authorityId);
  if (!owners.some((owner) => owner !== adminId)) {
    throw new TesseraProblem('conflict', `cannot ${verb} the last owner of this authority; make someone else owner first`);
  }
}

export const registerAdminMemberRoutes: RouteModule = (router, ctx, guards) => {
  bindRoute(router, ctx, guards, routes.listAdmins, async ({ authority }) => ok({ items: (await listMembers(ctx.db, authority.id)).map(memberJson) }));

  bindRoute(router, ctx, guards, routes.addAdmin, async ({ admin, authority, body }) =>
    created(memberJson(await addAdministrator(ctx, authority, adminActor(admin), body))),
  );

  bindRoute(router, ctx, guards, routes.updateAdmin, async ({ admin, authority, params, body }) => {
    const member = await ctx.db.transaction(async (tx) => {
      const before = await lockExistingMember(tx, authority.id, params.adminId);
      if (before.role === body.role) return before;
      if (before.role === 'owner') await assertAnotherOwner(tx, authority.id, params.adminId, 'demote');
      await setMemberRole(tx, authority.id, params.adminId, body.role);
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
      const member = await lockExistingMember(tx, authority.id, params.adminId);
      if (member.role === 'owner') await assertAnotherOwner(tx, authority.id, params.adminId, 'remove');
      await removeMember(tx, authority.id, params.adminId);
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
