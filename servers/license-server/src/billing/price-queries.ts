import { and, asc, eq, isNotNull, or } from 'drizzle-orm';
import type { PriceKind } from '@tessera/protocol';
import type { Executor } from '../storage/db.ts';
import { authorities, contents, prices } from '../storage/schema.ts';

export async function readPriceList(executor: Executor, authorityId: string) {
  const [[authority], rows, overrides] = await Promise.all([
    executor.select({ currency: authorities.currency }).from(authorities).where(eq(authorities.id, authorityId)),
    executor.select({ kind: prices.kind, amount: prices.amount }).from(prices).where(eq(prices.authorityId, authorityId)),
    executor
      .select({ contentId: contents.id, title: contents.title, license: contents.licensePrice, move: contents.movePrice })
      .from(contents)
      .where(and(eq(contents.authorityId, authorityId), or(isNotNull(contents.licensePrice), isNotNull(contents.movePrice))))
      .orderBy(asc(contents.title), asc(contents.id)),
  ]);
  const amount = (kind: PriceKind) => rows.find((r) => r.kind === kind)?.amount ?? null;
  return {
    currency: authority!.currency,
    license: amount('license'),
    move: amount('move'),
    federationFee: amount('federation_fee'),
    overrides,
  };
}

export type PriceList = Awaited<ReturnType<typeof readPriceList>>;

export interface PriceChanges {
  currency?: string | undefined;
  license?: number | null | undefined;
  move?: number | null | undefined;
  federationFee?: number | null | undefined;
}

/** Applies the given changes: a number sets a price, null removes it (no price: that supply is refused). */
export async function applyPriceChanges(executor: Executor, authorityId: string, changes: PriceChanges): Promise<void> {
  if (changes.currency !== undefined) {
    await executor.update(authorities).set({ currency: changes.currency }).where(eq(authorities.id, authorityId));
  }
  const byKind: [PriceKind, number | null | undefined][] = [
    ['license', changes.license],
    ['move', changes.move],
    ['federation_fee', changes.federationFee],
  ];
  for (const [kind, amount] of byKind) {
    if (amount === undefined) continue;
    if (amount === null) {
      await executor.delete(prices).where(and(eq(prices.authorityId, authorityId), eq(prices.kind, kind)));
    } else {
      await executor
        .insert(prices)
        .values({ authorityId, kind, amount })
        .onConflictDoUpdate({ target: [prices.authorityId, prices.kind], set: { amount, updatedAt: new Date() } });
    }
  }
}

/** What one supply's price is made of, in one query: the currency, the listed price and the content's overrides. */
export async function readPriceInputs(executor: Executor, authorityId: string, kind: PriceKind, contentId: string | null) {
  const [row] = await executor
    .select({ currency: authorities.currency, listed: prices.amount, licensePrice: contents.licensePrice, movePrice: contents.movePrice })
    .from(authorities)
    .leftJoin(contents, and(eq(contents.authorityId, authorities.id), eq(contents.id, contentId ?? '')))
    .leftJoin(prices, and(eq(prices.authorityId, authorities.id), eq(prices.kind, kind)))
    .where(eq(authorities.id, authorityId));
  return row;
}
