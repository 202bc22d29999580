import { and, desc, eq, ilike, or, type SQL } from 'drizzle-orm';
import type { Executor, Tx } from '../storage/db.ts';
import { clients, users } from '../storage/schema.ts';
import { afterCursor, containsPattern, cursorAt, type ListCursor } from '../storage/list-cursor.ts';

const deviceFields = {
  client: clients,
  username: users.username,
  cursorAt: cursorAt(clients.registeredAt),
};
const withOwner = and(eq(users.authorityId, clients.authorityId), eq(users.id, clients.userId));

export type AdminDeviceRow = { client: typeof clients.$inferSelect; username: string; cursorAt: string };

export interface DeviceSearch {
  userId?: string | undefined;
  status?: 'active' | 'revoked' | undefined;
  q?: string | undefined;
  limit: number;
  cursor?: ListCursor | undefined;
}

/** Newest first; one row more than the limit tells whether a next page exists. */
export async function searchDevices(executor: Executor, authorityId: string, search: DeviceSearch) {
  const where: SQL[] = [eq(clients.authorityId, authorityId)];
  if (search.userId) where.push(eq(clients.userId, search.userId));
  if (search.status) where.push(eq(clients.status, search.status));
  if (search.q) {
    const pattern = containsPattern(search.q);
    where.push(or(ilike(clients.label, pattern), ilike(clients.id, pattern))!);
  }
  if (search.cursor) where.push(afterCursor(clients.registeredAt, clients.id, search.cursor));
  const rows = await executor
    .select(deviceFields)
    .from(clients)
    .innerJoin(users, withOwner)
    .where(and(...where))
    .orderBy(desc(clients.registeredAt), desc(clients.id))
    .limit(search.limit + 1);
  return rows.map((r) => ({ ...r, id: r.client.id }));
}

export async function lockDevice(tx: Tx, authorityId: string, clientId: string): Promise<AdminDeviceRow | undefined> {
  const [row] = await tx
    .select(deviceFields)
    .from(clients)
    .innerJoin(users, withOwner)
    .where(and(eq(clients.authorityId, authorityId), eq(clients.id, clientId)))
    .for('update', { of: clients });
  return row;
}

export async function markDeviceRevoked(tx: Tx, authorityId: string, clientId: string, at: Date) {
  const [row] = await tx
    .update(clients)
    .set({ status: 'revoked', revokedAt: at })
    .where(and(eq(clients.authorityId, authorityId), eq(clients.id, clientId)))
    .returning();
  return row!;
}
