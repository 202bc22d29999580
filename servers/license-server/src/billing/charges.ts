import { newId, TesseraProblem, type Money } from '@tessera/protocol';
import type { Executor } from '../storage/db.ts';
import { insertLedgerEntry } from './ledger-queries.ts';
import { readPriceInputs } from './price-queries.ts';

export type PriceKind = 'license' | 'move' | 'federation_fee';
/** What a ledger entry records: a priced supply, or a peer's fee this authority owes (`peer_fee`). */
export type ChargeKind = PriceKind | 'peer_fee';

/**
 * The price of one supply: the content's own override when it has one, else the
 * authority's price list. A supply with no price at all is refused rather than given away.
 */
export function resolvePrice(kind: PriceKind, input: { override: number | null; listed: number | null; currency: string }): Money {
  const amount = input.override ?? input.listed;
  if (amount === null) {
    throw new TesseraProblem('price_missing', `no ${kind.replace('_', ' ')} price is set for this content or in the price list`);
  }
  return { amount, currency: input.currency };
}

/** Reads what a supply costs now, in the caller's transaction (one query). */
export async function effectivePrice(executor: Executor, authorityId: string, kind: PriceKind, contentId: string | null): Promise<Money> {
  const row = await readPriceInputs(executor, authorityId, kind, contentId);
  if (!row) throw new Error(`authority ${authorityId} does not exist`);
  return resolvePrice(kind, { override: priceOverride(kind, row), listed: row.listed, currency: row.currency });
}

/** Federation fees have no per-content override: they are what peers owe each other. */
export const priceOverride = (kind: PriceKind, content: { licensePrice: number | null; movePrice: number | null }): number | null =>
  kind === 'license' ? content.licensePrice : kind === 'move' ? content.movePrice : null;

export interface NewCharge {
  authorityId: string;
  kind: ChargeKind;
  userId: string | null;
  contentId: string;
  licenseId?: string | null;
  moveId?: string | null;
  /** The peer authority for federation fees. */
  counterparty?: string | null;
  price: Money;
  /** A caller-chosen entry ID (imports, tests); a fresh one otherwise. */
  id?: string;
}

/**
 * Books a charge. Call it in the transaction that supplies the thing billed (claim 6): the
 * ledger's unique indexes allow one license charge per license and one move charge per move,
 * so a retried supply can never bill twice.
 */
export async function recordCharge(executor: Executor, charge: NewCharge): Promise<{ id: string }> {
  const id = charge.id ?? newId('ledgerEntry');
  await insertLedgerEntry(executor, {
    authorityId: charge.authorityId,
    id,
    kind: charge.kind,
    userId: charge.userId,
    counterparty: charge.counterparty ?? null,
    contentId: charge.contentId,
    licenseId: charge.licenseId ?? null,
    moveId: charge.moveId ?? null,
    amount: charge.price.amount,
    currency: charge.price.currency,
  });
  return { id };
}
