import { TesseraProblem } from '@tessera/protocol';
import ipaddr from 'ipaddr.js';
import type { ServerConfig } from '../config.ts';
import type { Db } from '../storage/db.ts';
import { bucketOf, forgiveAttempt, lockAttemptBuckets, saveAttemptBuckets, type AttemptBucket, type AttemptBucketKey } from './password-attempt-queries.ts';

/*
 * How password guessing is slowed down, for administrators signing in and for users registering a
 * device (README, "Security"):
 * 1. Per client address, across accounts: at most `signInAddressLimit` attempts in a window of
 *    `signInWindowSeconds`; then 429 until the window ends.
 * 2. Per account: after `signInFreeFailures` failed attempts, each further attempt waits 1 s,
 *    doubling up to `signInMaxDelaySeconds` — but only from addresses that have failed on that
 *    account. An attacker can slow himself down, never lock the owner out: the owner, at an
 *    address that has not failed, passes with the right password.
 * An attempt is reserved (counted as a failure) before the password is checked, in one transaction
 * on locked rows, so concurrent guesses cannot all slip through between the count and the check;
 * the right password gives the reservation back. The counts live in the database, so every
 * instance behind a load balancer applies the same limits.
 */

export type AttemptPolicy = Pick<ServerConfig, 'signInWindowSeconds' | 'signInAddressLimit' | 'signInFreeFailures' | 'signInMaxDelaySeconds'>;

export interface Reservation {
  address: AttemptBucketKey;
  account: AttemptBucketKey[];
}

/** IPv4 as it is; IPv6 by its /64, which one subscriber usually holds whole. */
export function addressKey(ip: string | undefined): string {
  if (!ip || !ipaddr.isValid(ip)) return 'unknown';
  let parsed = ipaddr.parse(ip);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  if (parsed.kind() === 'ipv4') return parsed.toString();
  return `${(parsed as ipaddr.IPv6).parts
    .slice(0, 4)
    .map((p) => p.toString(16))
    .join(':')}::/64`;
}

const tooMany = (seconds: number, why: string) => new TesseraProblem('too_many_attempts', `${why}; try again in ${seconds} s`, { retryAfter: seconds });

/**
 * Reserves one password attempt on `account` from `ip`, or refuses with 429 `too_many_attempts`
 * (its `retryAfter` says when to come back). Call `attemptSucceeded` after the right password.
 */
export async function reserveAttempt(
  db: Db,
  policy: AttemptPolicy,
  input: { realm: string; account: string; ip: string | undefined },
  now = new Date(),
): Promise<Reservation> {
  const account = input.account.toLowerCase();
  const address = addressKey(input.ip);
  const keys = {
    address: { realm: input.realm, account: '*', address },
    account: { realm: input.realm, account, address: '*' },
    pair: { realm: input.realm, account, address },
  };
  const windowMs = policy.signInWindowSeconds * 1000;
  await db.transaction(async (tx) => {
    const buckets = await lockAttemptBuckets(tx, Object.values(keys), now);
    // The address's window is fixed; an account's count lapses after a quiet window.
    const byAddress = fresh(bucketOf(buckets, keys.address), now, (b) => now.getTime() - b.windowStart.getTime() >= windowMs);
    const byAccount = fresh(bucketOf(buckets, keys.account), now, (b) => now.getTime() - b.lastAttemptAt.getTime() >= windowMs);
    const byPair = fresh(bucketOf(buckets, keys.pair), now, (b) => now.getTime() - b.lastAttemptAt.getTime() >= windowMs);

    if (byAddress.failures >= policy.signInAddressLimit) {
      const wait = Math.ceil((byAddress.windowStart.getTime() + windowMs - now.getTime()) / 1000);
      throw tooMany(Math.max(wait, 1), 'too many failed password attempts from this address');
    }
    if (byPair.failures > 0 && byAccount.failures >= policy.signInFreeFailures) {
      const delayMs = Math.min(2 ** (byAccount.failures - policy.signInFreeFailures), policy.signInMaxDelaySeconds) * 1000;
      const wait = byAccount.lastAttemptAt.getTime() + delayMs - now.getTime();
      if (wait > 0) throw tooMany(Math.ceil(wait / 1000), 'too many failed password attempts on this account from this address');
    }
    const counted = (b: AttemptBucket) => ({ ...b, failures: b.failures + 1, lastAttemptAt: now });
    await saveAttemptBuckets(tx, [counted(byAddress), counted(byAccount), counted(byPair)]);
  });
  return { address: keys.address, account: [keys.account, keys.pair] };
}

/** The right password: the address gets its attempt back, and the account's failures are forgotten. */
export async function attemptSucceeded(db: Db, reservation: Reservation): Promise<void> {
  await db.transaction((tx) => forgiveAttempt(tx, reservation.address, reservation.account));
}

/** A bucket whose count has lapsed starts again from zero. */
function fresh(bucket: AttemptBucket, now: Date, lapsed: (b: AttemptBucket) => boolean): AttemptBucket {
  return lapsed(bucket) ? { ...bucket, failures: 0, windowStart: now } : bucket;
}
