import { asc, eq, inArray } from 'drizzle-orm';
import type { Executor, Tx } from '../storage/db.ts';
import { authorities, prices } from '../storage/schema.ts';

export type AuthorityRow = typeof authorities.$inferSelect;
export type AuthorityChanges = Partial<Pick<AuthorityRow, 'name' | 'operator' | 'deviceLimit'>>;

export async function findAuthority(executor: Executor, authorityId: string): Promise<AuthorityRow | null> {
  const [row] = await executor.select().from(authorities).where(eq(authorities.id, authorityId));
  return row ?? null;
}

/** The slug is the authority's name in every URL; it is unique on the server. */
export async function findAuthorityBySlug(executor: Executor, slug: string): Promise<AuthorityRow | null> {
  const [row] = await executor.select().from(authorities).where(eq(authorities.slug, slug));
  return row ?? null;
}

/** The authorities whose IDs are given, or every authority on the server when none are (an operator's view). */
export function listAuthorities(executor: Executor, authorityIds?: string[]): Promise<AuthorityRow[]> {
  return executor
    .select()
    .from(authorities)
    .where(authorityIds ? inArray(authorities.id, authorityIds) : undefined)
    .orderBy(asc(authorities.slug));
}

/** Locks the authority's row for a change of its settings. */
export async function lockAuthority(tx: Tx, authorityId: string): Promise<AuthorityRow | null> {
  const [row] = await tx.select().from(authorities).where(eq(authorities.id, authorityId)).for('update');
  return row ?? null;
}

export async function updateAuthorityRow(tx: Tx, authorityId: string, changes: AuthorityChanges): Promise<AuthorityRow> {
  const [row] = await tx.update(authorities).set(changes).where(eq(authorities.id, authorityId)).returning();
  return row!;
}

export async function insertAuthorityRow(executor: Executor, row: typeof authorities.$inferInsert): Promise<AuthorityRow> {
  const [inserted] = await executor.insert(authorities).values(row).returning();
  return inserted!;
}

/** A new authority's first prices; later changes go through the price list. */
export async function insertPrices(executor: Executor, rows: (typeof prices.$inferInsert)[]): Promise<void> {
  if (rows.length) await executor.insert(prices).values(rows);
}
