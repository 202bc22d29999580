import { routes, type Settlement } from '@tessera/protocol';
import type { RouteModule } from '../http/principals.ts';
import { bindRoute, ok } from '../http/route.ts';
import type { Executor } from '../storage/db.ts';
import { streamCsv } from './csv.ts';
import { feeEntriesPage, feeTotals, peerNames } from './settlement-queries.ts';

/*
 * Settlement between peers (DESIGN §8): for each cross-authority copy certificate the
 * destination books a `federation_fee` against the source authority, and the source books the
 * same fee as a `peer_fee` it owes. Each side's statement per peer and month nets the two.
 */

const currentPeriod = () => new Date().toISOString().slice(0, 7);

export async function settlementFor(db: Executor, authorityId: string, period: string): Promise<Settlement> {
  const rows = await feeTotals(db, authorityId, period);
  const names = await peerNames(db, authorityId);
  const lines = new Map<string, Settlement['items'][number]>();
  for (const r of rows) {
    const issuer = r.counterparty ?? '';
    const key = `${issuer} ${r.currency}`;
    const line = lines.get(key) ?? {
      peerIssuer: issuer,
      peerName: names.get(issuer) ?? null,
      currency: r.currency,
      receivable: { count: 0, amount: 0 },
      payable: { count: 0, amount: 0 },
      net: 0,
    };
    const side = r.kind === 'federation_fee' ? line.receivable : line.payable;
    side.count += r.count;
    side.amount += r.amount;
    line.net = line.receivable.amount - line.payable.amount;
    lines.set(key, line);
  }
  return { period, items: [...lines.values()].sort((a, b) => a.peerIssuer.localeCompare(b.peerIssuer) || a.currency.localeCompare(b.currency)) };
}

const settlementCsvHeader = ['peer', 'direction', 'move_id', 'content_id', 'amount_minor_units', 'currency', 'created_at', 'ledger_entry_id'];

export const registerSettlementRoutes: RouteModule = (router, ctx, guards) => {
  bindRoute(router, ctx, guards, routes.getSettlement, async ({ authority, query }) => {
    return ok(await settlementFor(ctx.db, authority.id, query.period ?? currentPeriod()));
  });

  bindRoute(router, ctx, guards, routes.exportSettlement, async ({ authority, query, res }) => {
    const period = query.period ?? currentPeriod();
    async function* pages() {
      // Page by page, so a month of many certificates never sits in memory at once.
      for (let offset = 0; ; offset += 500) {
        const rows = await feeEntriesPage(ctx.db, authority.id, period, offset, 500);
        if (!rows.length) return;
        yield rows.map((r) => [
          r.counterparty,
          r.kind === 'federation_fee' ? 'receivable' : 'payable',
          r.moveId,
          r.contentId,
          r.amount,
          r.currency,
          r.createdAt.toISOString(),
          r.id,
        ]);
        if (rows.length < 500) return;
      }
    }
    await streamCsv(res, `${authority.slug}-settlement-${period}.csv`, settlementCsvHeader, pages());
    return 'handled';
  });
};
