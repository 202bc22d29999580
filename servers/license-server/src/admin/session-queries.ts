import { eq, lt } from 'drizzle-orm';
import type { Executor } from '../storage/db.ts';
import { adminSessions } from '../storage/schema.ts';

/*
 * Administrator sessions belong to the server, not to an authority: an
 * administrator signs in once for every authority they serve.
 */

export type AdminSessionRow = typeof adminSessions.$inferSelect;

export async function findAdminSession(executor: Executor, sid: string): Promise<AdminSessionRow | null> {
  const [row] = await executor.select().from(adminSessions).where(eq(adminSessions.sid, sid));
  return row ?? null;
}

export async function saveAdminSession(executor: Executor, session: { sid: string; data: unknown; expiresAt: Date }): Promise<void> {
  await executor
    .insert(adminSessions)
    .values(session)
    .onConflictDoUpdate({ target: adminSessions.sid, set: { data: session.data, expiresAt: session.expiresAt } });
}

export async function extendAdminSession(executor: Executor, sid: string, expiresAt: Date): Promise<void> {
  await executor.update(adminSessions).set({ expiresAt }).where(eq(adminSessions.sid, sid));
}

export async function deleteAdminSession(executor: Executor, sid: string): Promise<void> {
  await executor.delete(adminSessions).where(eq(adminSessions.sid, sid));
}

/** Forgets every session that expired before `now` (the sweeper). */
export async function deleteExpiredAdminSessions(executor: Executor, now: Date): Promise<void> {
  await executor.delete(adminSessions).where(lt(adminSessions.expiresAt, now));
}
