import { newId } from '@tessera/protocol';
import type { AppContext } from '../context.ts';
import type { Executor } from '../storage/db.ts';
import { authorities, prices } from '../storage/schema.ts';

export interface NewAuthority {
  slug: string;
  name: string;
  operator?: string | null;
  deviceLimit?: number;
  currency?: string;
  prices?: { license?: number; move?: number; federationFee?: number };
}

/**
 * Creates an authority in the caller's transaction, with an active and a next key for each use
 * (signing, encryption): the next keys are published from the start, so devices registered and
 * peers that pin the authority now already hold the keys its first rotation will activate.
 */
export async function createAuthority(ctx: AppContext, tx: Executor, input: NewAuthority) {
  const id = newId('authority');
  const [row] = await tx
    .insert(authorities)
    .values({ id, slug: input.slug, name: input.name, operator: input.operator ?? null, deviceLimit: input.deviceLimit ?? 12, currency: input.currency ?? 'EUR' })
    .returning();
  for (const use of ['sig', 'enc'] as const) {
    await ctx.keyring.createKey(tx, id, use, 'active');
    await ctx.keyring.createKey(tx, id, use, 'next');
  }
  const priceRows = (
    [
      ['license', input.prices?.license],
      ['move', input.prices?.move],
      ['federation_fee', input.prices?.federationFee],
    ] as const
  ).flatMap(([kind, amount]) => (amount === undefined ? [] : [{ authorityId: id, kind, amount }]));
  if (priceRows.length) await tx.insert(prices).values(priceRows);
  return row!;
}
