import { and, desc, eq, ilike, sql, type SQL } from 'drizzle-orm';
import type { Executor, Tx } from '../storage/db.ts';
import { users } from '../storage/schema.ts';
import { afterCursor, containsPattern, cursorAt, type ListCursor } from '../storage/list-cursor.ts';

const userFields = {
  id: users.id,
  username: users.username,
  displayName: users.displayName,
  status: users.status,
  createdAt: users.createdAt,
  // Spelled out: drizzle leaves columns unqualified in a one-table select, which a subquery would misread.
  activeDevices:
    sql<number>`(select count(*)::int from clients c where c.authority_id = users.authority_id and c.user_id = users.id and c.status = 'active')`.mapWith(
      Number,
    ),
  cursorAt: cursorAt(users.createdAt),
};

export type UserListRow = {
  id: string;
  username: string;
  displayName: string | null;
  status: 'active' | 'suspended';
  createdAt: Date;
  activeDevices: number;
  cursorAt: string;
};

export interface UserSearch {
  q?: string | undefined;
  limit: number;
  cursor?: ListCursor | undefined;
}

/** Newest first; fetches one row more than asked so the caller knows whether a next page exists. */
export async function searchUsers(executor: Executor, authorityId: string, search: UserSearch): Promise<UserListRow[]> {
  const where: SQL[] = [eq(users.authorityId, authorityId)];
  if (search.q) where.push(ilike(users.username, containsPattern(search.q)));
  if (search.cursor) where.push(afterCursor(users.createdAt, users.id, search.cursor));
  return executor
    .select(userFields)
    .from(users)
    .where(and(...where))
    .orderBy(desc(users.createdAt), desc(users.id))
    .limit(search.limit + 1);
}

export async function findUser(executor: Executor, authorityId: string, userId: string): Promise<UserListRow | undefined> {
  const [row] = await executor
    .select(userFields)
    .from(users)
    .where(and(eq(users.authorityId, authorityId), eq(users.id, userId)));
  return row;
}

/** Returns undefined when the username is taken (unique case-insensitively per authority). */
export async function insertUser(executor: Executor, values: typeof users.$inferInsert) {
  const [row] = await executor.insert(users).values(values).onConflictDoNothing().returning({ id: users.id });
  return row;
}

export async function lockUser(tx: Tx, authorityId: string, userId: string) {
  const [row] = await tx
    .select({ id: users.id, status: users.status, displayName: users.displayName })
    .from(users)
    .where(and(eq(users.authorityId, authorityId), eq(users.id, userId)))
    .for('update');
  return row;
}

export async function updateUserRow(
  tx: Tx,
  authorityId: string,
  userId: string,
  set: Partial<Pick<typeof users.$inferInsert, 'status' | 'displayName' | 'passwordHash'>>,
) {
  await tx
    .update(users)
    .set(set)
    .where(and(eq(users.authorityId, authorityId), eq(users.id, userId)));
}
