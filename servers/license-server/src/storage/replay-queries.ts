import { lt } from 'drizzle-orm';
import type { Executor } from './db.ts';
import { deviceProofNonces, federationNonces } from './schema.ts';

/** A one-time token ID (device proof, federation envelope, link assertion) and when it may be forgotten. */
export type OneTimeToken =
  | { store: 'device-proof'; authorityId: string; jti: string; expiresAt: Date }
  | { store: 'federation'; authorityId: string; issuer: string; jti: string; expiresAt: Date };

/**
 * Claims a token ID in its replay store, shared by every instance through the database: true the
 * first time, false for a replay. Claim only a token that verified, with an expiry taken from its
 * verified, bounded time claims, so the store holds nothing a stranger made up.
 */
export async function claimNonce(executor: Executor, token: OneTimeToken): Promise<boolean> {
  const claimed =
    token.store === 'device-proof'
      ? await executor
          .insert(deviceProofNonces)
          .values({ authorityId: token.authorityId, jti: token.jti, expiresAt: token.expiresAt })
          .onConflictDoNothing()
          .returning({ jti: deviceProofNonces.jti })
      : await executor
          .insert(federationNonces)
          .values({ authorityId: token.authorityId, issuer: token.issuer, jti: token.jti, expiresAt: token.expiresAt })
          .onConflictDoNothing()
          .returning({ jti: federationNonces.jti });
  return claimed.length > 0;
}

/** Forgets every token ID of every replay store that can no longer be replayed (the sweeper). */
export async function sweepExpiredNonces(executor: Executor, now: Date): Promise<void> {
  await Promise.all([
    executor.delete(deviceProofNonces).where(lt(deviceProofNonces.expiresAt, now)),
    executor.delete(federationNonces).where(lt(federationNonces.expiresAt, now)),
  ]);
}
