import { and, asc, count, desc, eq, inArray, sql } from 'drizzle-orm';
import type { Executor, Tx } from '../storage/db.ts';
import { authorities, authorityKeys } from '../storage/schema.ts';

export type AuthorityKeyRow = typeof authorityKeys.$inferSelect;
export type KeyUse = AuthorityKeyRow['use'];
export type KeyStatus = AuthorityKeyRow['status'];

export const PUBLISHED_STATUSES: KeyStatus[] = ['next', 'active', 'retired'];

/** Every key of an authority, revoked ones included: signing keys first, then by state (active, next, retired, revoked), newest first. */
export async function listAuthorityKeys(executor: Executor, authorityId: string): Promise<AuthorityKeyRow[]> {
  const stateOrder = sql`case ${authorityKeys.status} when 'active' then 0 when 'next' then 1 when 'retired' then 2 else 3 end`;
  return executor
    .select()
    .from(authorityKeys)
    .where(eq(authorityKeys.authorityId, authorityId))
    .orderBy(desc(authorityKeys.use), stateOrder, desc(authorityKeys.createdAt), asc(authorityKeys.kid));
}

export async function findAuthorityKey(executor: Executor, authorityId: string, kid: string): Promise<AuthorityKeyRow | undefined> {
  const [row] = await executor
    .select()
    .from(authorityKeys)
    .where(and(eq(authorityKeys.authorityId, authorityId), eq(authorityKeys.kid, kid)));
  return row;
}

/**
 * Locks the authority row: every change of an authority's keys takes this lock first, so
 * concurrent rotations (several admins, instances or CLI runs) run one after the other and
 * each sees the keys the previous one left. Returns false when the authority does not exist.
 */
export async function lockAuthorityKeys(tx: Tx, authorityId: string): Promise<boolean> {
  const [row] = await tx.select({ id: authorities.id }).from(authorities).where(eq(authorities.id, authorityId)).for('update');
  return row !== undefined;
}

/** The `next` and `active` keys of one use (exactly one of each once an authority is in shape). */
export async function keysInUse(executor: Executor, authorityId: string, use: KeyUse): Promise<{ active: AuthorityKeyRow[]; next: AuthorityKeyRow[] }> {
  const rows = await executor
    .select()
    .from(authorityKeys)
    .where(and(eq(authorityKeys.authorityId, authorityId), eq(authorityKeys.use, use), inArray(authorityKeys.status, ['next', 'active'])))
    .orderBy(asc(authorityKeys.createdAt), asc(authorityKeys.kid));
  return { active: rows.filter((r) => r.status === 'active'), next: rows.filter((r) => r.status === 'next') };
}

export async function countPublishedKeys(executor: Executor, authorityId: string): Promise<number> {
  const [row] = await executor
    .select({ n: count() })
    .from(authorityKeys)
    .where(and(eq(authorityKeys.authorityId, authorityId), inArray(authorityKeys.status, PUBLISHED_STATUSES)));
  return Number(row?.n ?? 0);
}

export async function activateKey(tx: Tx, authorityId: string, kid: string, at: Date): Promise<void> {
  await tx
    .update(authorityKeys)
    .set({ status: 'active', activatedAt: at })
    .where(and(eq(authorityKeys.authorityId, authorityId), eq(authorityKeys.kid, kid)));
}

export async function retireKey(tx: Tx, authorityId: string, kid: string, at: Date): Promise<void> {
  await tx
    .update(authorityKeys)
    .set({ status: 'retired', retiredAt: at })
    .where(and(eq(authorityKeys.authorityId, authorityId), eq(authorityKeys.kid, kid)));
}

export async function revokeKey(tx: Tx, authorityId: string, kid: string, at: Date): Promise<AuthorityKeyRow> {
  const [row] = await tx
    .update(authorityKeys)
    .set({ status: 'revoked', revokedAt: at })
    .where(and(eq(authorityKeys.authorityId, authorityId), eq(authorityKeys.kid, kid)))
    .returning();
  return row!;
}

export async function insertAuthorityKey(executor: Executor, row: typeof authorityKeys.$inferInsert): Promise<void> {
  await executor.insert(authorityKeys).values(row);
}

/** The published keys (next, active, retired), newest first. */
export async function listPublishedKeys(executor: Executor, authorityId: string): Promise<AuthorityKeyRow[]> {
  return executor
    .select()
    .from(authorityKeys)
    .where(and(eq(authorityKeys.authorityId, authorityId), inArray(authorityKeys.status, PUBLISHED_STATUSES)))
    .orderBy(desc(authorityKeys.createdAt));
}

/** A published key of one use by its kid; revoked keys are not found. */
export async function findPublishedKey(executor: Executor, authorityId: string, use: KeyUse, kid: string): Promise<AuthorityKeyRow | undefined> {
  const [row] = await executor
    .select()
    .from(authorityKeys)
    .where(
      and(
        eq(authorityKeys.authorityId, authorityId),
        eq(authorityKeys.kid, kid),
        eq(authorityKeys.use, use),
        inArray(authorityKeys.status, PUBLISHED_STATUSES),
      ),
    );
  return row;
}
