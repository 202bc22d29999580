import { and, asc, eq } from 'drizzle-orm';
import type { Executor } from '../storage/db.ts';
import { accountLinks } from '../storage/schema.ts';

export type LinkRow = typeof accountLinks.$inferSelect;

/** The link of an account at a peer, whichever user of this authority holds it. */
export async function findLinkOfPeerAccount(executor: Executor, authorityId: string, peerIssuer: string, peerUserId: string): Promise<LinkRow | undefined> {
  const [row] = await executor
    .select()
    .from(accountLinks)
    .where(and(eq(accountLinks.authorityId, authorityId), eq(accountLinks.peerIssuer, peerIssuer), eq(accountLinks.peerUserId, peerUserId)));
  return row;
}

/** Inserts a link; the same peer account linked twice violates the unique index. */
export async function insertLink(
  executor: Executor,
  link: { authorityId: string; id: string; userId: string; peerIssuer: string; peerUserId: string },
): Promise<LinkRow> {
  const [row] = await executor.insert(accountLinks).values(link).returning();
  return row!;
}

/** A user's links, oldest first. */
export async function listLinksOfUser(executor: Executor, authorityId: string, userId: string): Promise<LinkRow[]> {
  return executor
    .select()
    .from(accountLinks)
    .where(and(eq(accountLinks.authorityId, authorityId), eq(accountLinks.userId, userId)))
    .orderBy(asc(accountLinks.createdAt));
}

/** Removes one of a user's links; undefined when the user has no such link. */
export async function deleteLinkOfUser(executor: Executor, authorityId: string, userId: string, linkId: string): Promise<LinkRow | undefined> {
  const [row] = await executor
    .delete(accountLinks)
    .where(and(eq(accountLinks.authorityId, authorityId), eq(accountLinks.id, linkId), eq(accountLinks.userId, userId)))
    .returning();
  return row;
}
