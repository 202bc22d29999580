import { updatePricesRequestSchema } from '@tessera/protocol';
import type { z } from 'zod';
import { actorName, type Actor } from '../audit/actor.ts';
import { recordAudit } from '../audit/audit-log.ts';
import type { AuthorityRef } from '../authorities/authority-directory.ts';
import type { AppContext } from '../context.ts';
import { applyPriceChanges, readPriceList, type PriceList } from './price-queries.ts';

export type PriceListChanges = z.input<typeof updatePricesRequestSchema>;

/**
 * Changes an authority's price list for any actor (a billing administrator through the admin
 * API, `tessera-server prices set`): validated with the admin API's schema; a number sets a
 * price, null removes it (a supply with no price is refused, never given away), and the
 * currency goes to the authority. Audited as `prices.updated` with the list before and after,
 * per-content overrides left out (they change with the content, audited there).
 */
export async function setPrices(ctx: AppContext, authority: AuthorityRef, actor: Actor, changes: PriceListChanges): Promise<PriceList> {
  const body = updatePricesRequestSchema.parse(changes);
  return ctx.db.transaction(async (tx) => {
    const before = await readPriceList(tx, authority.id);
    await applyPriceChanges(tx, authority.id, body);
    const after = await readPriceList(tx, authority.id);
    const { overrides: _b, ...beforeList } = before;
    const { overrides: _a, ...afterList } = after;
    await recordAudit(tx, {
      authorityId: authority.id,
      actor: actorName(actor),
      action: 'prices.updated',
      target: authority.id,
      details: { before: beforeList, after: afterList },
    });
    return after;
  });
}

export async function priceList(ctx: AppContext, authority: AuthorityRef): Promise<PriceList> {
  return readPriceList(ctx.db, authority.id);
}
