import { and, asc, eq, sql } from 'drizzle-orm';
import type { PublicEcJwk } from '@tessera/protocol';
import type { Executor, Tx } from '../storage/db.ts';
import { authorities, clients, users } from '../storage/schema.ts';

export type ClientRow = typeof clients.$inferSelect;

/** Usernames are unique case-insensitively, so they are looked up the same way. */
export async function findUserByUsername(executor: Executor, authorityId: string, username: string) {
  const [row] = await executor
    .select({ id: users.id, username: users.username, passwordHash: users.passwordHash, status: users.status })
    .from(users)
    .where(and(eq(users.authorityId, authorityId), eq(sql`lower(${users.username})`, username.toLowerCase())));
  return row;
}

/**
 * Locks the user for the rest of the registration: concurrent registrations of the same
 * user queue here, so the device count read after it cannot be stale.
 */
export async function lockUserForRegistration(tx: Tx, authorityId: string, userId: string) {
  const [row] = await tx
    .select({ status: users.status, deviceLimit: authorities.deviceLimit })
    .from(users)
    .innerJoin(authorities, eq(authorities.id, users.authorityId))
    .where(and(eq(users.authorityId, authorityId), eq(users.id, userId)))
    .for('update', { of: users });
  return row;
}

/**
 * Must run as its own statement after the lock: in READ COMMITTED each statement takes a
 * fresh snapshot, so it sees the devices committed by whoever held the lock before.
 */
export async function countActiveDevicesAndKey(tx: Tx, authorityId: string, userId: string, thumbprint: string) {
  const result = (await tx.execute(sql`
    select
      (select count(*)::int from clients where authority_id = ${authorityId} and user_id = ${userId} and status = 'active') as active,
      exists (select 1 from clients where authority_id = ${authorityId} and thumbprint = ${thumbprint}) as key_taken`)) as unknown as {
    rows: { active: number; key_taken: boolean }[];
  };
  const row = result.rows[0]!;
  return { activeDevices: Number(row.active), keyTaken: row.key_taken === true };
}

/** Leaves are handed out once and never again, even if the device is later revoked. */
export async function assignLeafId(tx: Tx, authorityId: string): Promise<number> {
  const [row] = await tx
    .update(authorities)
    .set({ nextLeafId: sql`${authorities.nextLeafId} + 1` })
    .where(eq(authorities.id, authorityId))
    .returning({ leafId: sql<number>`${authorities.nextLeafId} - 1`.mapWith(Number) });
  return row!.leafId;
}

/** Returns undefined when the key is already registered at this authority (unique thumbprint). */
export async function insertClient(tx: Tx, values: typeof clients.$inferInsert): Promise<ClientRow | undefined> {
  const [row] = await tx.insert(clients).values(values).onConflictDoNothing().returning();
  return row;
}

export async function listUserDevices(executor: Executor, authorityId: string, userId: string): Promise<ClientRow[]> {
  return executor
    .select()
    .from(clients)
    .where(and(eq(clients.authorityId, authorityId), eq(clients.userId, userId)))
    .orderBy(asc(clients.registeredAt), asc(clients.id));
}

export async function deviceLimitOf(executor: Executor, authorityId: string): Promise<number> {
  const [row] = await executor.select({ deviceLimit: authorities.deviceLimit }).from(authorities).where(eq(authorities.id, authorityId));
  return row?.deviceLimit ?? 12;
}

/** Revokes one of the user's own devices; a device of someone else is left alone and reads as absent. */
export async function revokeUserDevice(executor: Executor, authorityId: string, userId: string, clientId: string): Promise<ClientRow | undefined> {
  const [row] = await executor
    .update(clients)
    .set({ status: 'revoked', revokedAt: sql`coalesce(${clients.revokedAt}, now())` })
    .where(and(eq(clients.authorityId, authorityId), eq(clients.userId, userId), eq(clients.id, clientId)))
    .returning();
  return row;
}

export interface ProofClient extends Record<string, unknown> {
  id: string;
  user_id: string;
  leaf_id: number;
  label: string | null;
  public_jwk: PublicEcJwk;
  status: 'active' | 'revoked';
  username: string;
  user_status: 'active' | 'suspended';
}

/** The device a proof names, with its key and its user's standing: one round trip per device request. */
export async function findProofClient(executor: Executor, authorityId: string, clientId: string): Promise<ProofClient | undefined> {
  const result = (await executor.execute(sql`
    select c.id, c.user_id, c.leaf_id, c.label, c.public_jwk, c.status, u.username, u.status as user_status
    from clients c join users u on u.authority_id = c.authority_id and u.id = c.user_id
    where c.authority_id = ${authorityId} and c.id = ${clientId}`)) as unknown as { rows: ProofClient[] };
  return result.rows[0];
}
