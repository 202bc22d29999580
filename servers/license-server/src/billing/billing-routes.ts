import { routes, TesseraProblem } from '@tessera/protocol';
import { adminActor } from '../audit/actor.ts';
import { decodeCursor, toPage, type ListCursor } from '../storage/list-cursor.ts';
import type { RouteModule } from '../http/principals.ts';
import { bindRoute, created, ok } from '../http/route.ts';
import { streamCsv } from './csv.ts';
import { findInvoice, invoiceCsvHeader, invoiceCsvRow, invoiceJson, listInvoiceRows, type InvoiceFilter } from './invoice-queries.ts';
import { issueInvoices } from './issue-invoices.ts';
import { ledgerCsvHeader, ledgerCsvRow, ledgerEntryJson, listLedgerEntries, type LedgerFilter } from './ledger-queries.ts';
import { changeInvoiceStatus } from './manage-invoices.ts';
import { priceList, setPrices } from './manage-prices.ts';

const EXPORT_PAGE = 1000;

/** Walks a keyset-paginated list to its end, one page at a time. */
async function* allPages<T extends { cursorAt: string; id: string }>(fetch: (limit: number, cursor?: ListCursor) => Promise<T[]>): AsyncGenerator<T[]> {
  let cursor: ListCursor | undefined;
  for (;;) {
    const rows = await fetch(EXPORT_PAGE, cursor);
    yield rows;
    if (rows.length < EXPORT_PAGE) return;
    const last = rows[rows.length - 1]!;
    cursor = { at: last.cursorAt, id: last.id };
  }
}

async function* mapPages<T, U>(pages: AsyncIterable<T[]>, map: (row: T) => U): AsyncGenerator<U[]> {
  for await (const rows of pages) yield rows.map(map);
}

const csvName = (slug: string, what: string, period?: string) => `${slug}-${what}${period ? `-${period}` : ''}.csv`;

export const registerBillingRoutes: RouteModule = (router, ctx, guards) => {
  bindRoute(router, ctx, guards, routes.getPrices, async ({ authority }) => ok(await priceList(ctx, authority)));

  bindRoute(router, ctx, guards, routes.updatePrices, async ({ admin, authority, body }) => ok(await setPrices(ctx, authority, adminActor(admin), body)));

  bindRoute(router, ctx, guards, routes.listLedger, async ({ authority, query }) => {
    const filter: LedgerFilter = { kind: query.kind, userId: query.userId, period: query.period };
    const rows = await listLedgerEntries(ctx.db, authority.id, filter, query.limit + 1, query.cursor ? decodeCursor(query.cursor) : undefined);
    const page = toPage(rows, query.limit);
    return ok({ items: page.rows.map(ledgerEntryJson), nextCursor: page.nextCursor });
  });

  bindRoute(router, ctx, guards, routes.exportLedger, async ({ authority, query, res }) => {
    const filter: LedgerFilter = { kind: query.kind, userId: query.userId, period: query.period };
    const pages = allPages((limit, cursor) => listLedgerEntries(ctx.db, authority.id, filter, limit, cursor));
    await streamCsv(res, csvName(authority.slug, 'ledger', query.period), ledgerCsvHeader, mapPages(pages, ledgerCsvRow));
    return 'handled';
  });

  bindRoute(router, ctx, guards, routes.listInvoices, async ({ authority, query }) => {
    const filter: InvoiceFilter = { period: query.period, userId: query.userId };
    const rows = await listInvoiceRows(ctx.db, authority.id, filter, query.limit + 1, query.cursor ? decodeCursor(query.cursor) : undefined);
    const page = toPage(rows, query.limit);
    return ok({ items: page.rows.map(invoiceJson), nextCursor: page.nextCursor });
  });

  bindRoute(router, ctx, guards, routes.issueInvoices, async ({ admin, authority, body }) => {
    const issued = await ctx.db.transaction((tx) => issueInvoices(tx, authority, adminActor(admin), body));
    return created({ period: body.period, issued: issued.map(invoiceJson) });
  });

  bindRoute(router, ctx, guards, routes.getInvoice, async ({ authority, params }) => {
    const invoice = await findInvoice(ctx.db, authority.id, params.invoiceId);
    if (!invoice) throw new TesseraProblem('not_found', `no invoice ${params.invoiceId} in this authority`);
    const entries = await listLedgerEntries(ctx.db, authority.id, { invoiceId: invoice.id }, Math.max(invoice.lines, 1));
    return ok({ ...invoiceJson(invoice), entries: entries.map(ledgerEntryJson) });
  });

  bindRoute(router, ctx, guards, routes.updateInvoice, async ({ admin, authority, params, body }) => {
    return ok(invoiceJson(await changeInvoiceStatus(ctx, authority, adminActor(admin), params.invoiceId, body)));
  });

  bindRoute(router, ctx, guards, routes.exportInvoices, async ({ authority, query, res }) => {
    const filter: InvoiceFilter = { period: query.period, userId: query.userId };
    const pages = allPages((limit, cursor) => listInvoiceRows(ctx.db, authority.id, filter, limit, cursor));
    await streamCsv(res, csvName(authority.slug, 'invoices', query.period), invoiceCsvHeader, mapPages(pages, invoiceCsvRow));
    return 'handled';
  });
};
