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

/** Creates an authority with its signing and encryption keys, in the caller's transaction. */
export async function createAuthority(ctx: AppContext, tx: Executor, input: NewAuthority) {
  const id = newId('authority');
  const [row] = await tx
    .insert(authorities)
    .values({ id, slug: input.slug, name: input.name, operator: input.operator ?? null, deviceLimit: input.deviceLimit ?? 12, currency: input.currency ?? 'EUR' })
    .returning();
  await ctx.keyring.createKey(tx, id, 'sig', 'active');
  await ctx.keyring.createKey(tx, id, 'enc', 'active');
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
