import 'server-only';
import { routes, type AdminRole, type AdminSession, type RouteName } from '@tessera/protocol';

const rank: Record<AdminRole, number> = { viewer: 1, billing: 2, admin: 3, owner: 4 };

/** Operation IDs of the admin routes the signed-in administrator may call in one authority. */
export type Permissions = Partial<Record<RouteName, boolean>>;

/** The role in an authority; server operators are owners everywhere (as the server decides). */
export function roleIn(session: AdminSession, authority: string): AdminRole | null {
  if (session.admin.operator) return 'owner';
  return session.roles.find((r) => r.authority === authority)?.role ?? null;
}

/**
 * Mirrors the server's checks from the route catalogue's `minRole`, so the console shows no
 * button the server would refuse. The server still decides: this is only what is shown.
 */
export function permissionsIn(session: AdminSession, authority: string): Permissions {
  const role = roleIn(session, authority);
  const allowed: Permissions = {};
  for (const [name, spec] of Object.entries(routes) as [RouteName, (typeof routes)[RouteName]][]) {
    if (spec.auth !== 'admin') continue;
    const minRole = 'minRole' in spec ? spec.minRole : undefined;
    allowed[name] = minRole ? role !== null && rank[role] >= rank[minRole] : name === 'createAuthority' ? session.admin.operator : true;
  }
  return allowed;
}
