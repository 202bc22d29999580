import { and, eq, lt, or, sql } from 'drizzle-orm';
import type { Executor, Tx } from '../storage/db.ts';
import { passwordAttempts } from '../storage/schema.ts';

export interface AttemptBucketKey {
  realm: string;
  account: string;
  address: string;
}
export type AttemptBucket = typeof passwordAttempts.$inferSelect;

const keyOf = (k: AttemptBucketKey) => `${k.realm}\u0000${k.account}\u0000${k.address}`;
const matches = (k: AttemptBucketKey) =>
  and(eq(passwordAttempts.realm, k.realm), eq(passwordAttempts.account, k.account), eq(passwordAttempts.address, k.address));

/**
 * The buckets, created empty when missing, locked until the transaction ends. Created and locked
 * in one key order, so two sign-ins that share buckets wait for each other instead of deadlocking.
 */
export async function lockAttemptBuckets(tx: Tx, keys: AttemptBucketKey[], now: Date): Promise<Map<string, AttemptBucket>> {
  const sorted = [...keys].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : 1));
  await tx
    .insert(passwordAttempts)
    .values(sorted.map((k) => ({ ...k, failures: 0, windowStart: now, lastAttemptAt: new Date(0) })))
    .onConflictDoNothing();
  const rows = await tx
    .select()
    .from(passwordAttempts)
    .where(or(...sorted.map(matches)))
    .orderBy(passwordAttempts.realm, passwordAttempts.account, passwordAttempts.address)
    .for('update');
  return new Map(rows.map((row) => [keyOf(row), row]));
}

export const bucketOf = (buckets: Map<string, AttemptBucket>, key: AttemptBucketKey): AttemptBucket => buckets.get(keyOf(key))!;

export async function saveAttemptBuckets(tx: Tx, rows: AttemptBucket[]): Promise<void> {
  await tx
    .insert(passwordAttempts)
    .values(rows)
    .onConflictDoUpdate({
      target: [passwordAttempts.realm, passwordAttempts.account, passwordAttempts.address],
      set: { failures: sql`excluded.failures`, windowStart: sql`excluded.window_start`, lastAttemptAt: sql`excluded.last_attempt_at` },
    });
}

/** After the right password: the address gets its reserved attempt back and the account's slate is cleared. */
export async function forgiveAttempt(executor: Executor, address: AttemptBucketKey, account: AttemptBucketKey[]): Promise<void> {
  await executor
    .update(passwordAttempts)
    .set({ failures: sql`greatest(${passwordAttempts.failures} - 1, 0)` })
    .where(matches(address));
  await executor.delete(passwordAttempts).where(or(...account.map(matches)));
}

/** Forgets buckets untouched since `before` (the sweeper). */
export async function sweepAttemptBuckets(executor: Executor, before: Date): Promise<void> {
  await executor.delete(passwordAttempts).where(lt(passwordAttempts.lastAttemptAt, before));
}
