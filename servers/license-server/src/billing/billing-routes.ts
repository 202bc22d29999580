import { routes, TesseraProblem } from '@tessera/protocol';
import { and, eq } from 'drizzle-orm';
import { recordAudit } from '../audit/audit-log.ts';
import { decodeCursor, toPage, type ListCursor } from '../storage/list-cursor.ts';
import type { RouteModule } from '../http/principals.ts';
import { bindRoute, created, ok } from '../http/route.ts';
import { invoices } from '../storage/schema.ts';
import { streamCsv } from './csv.ts';
import { findInvoice, invoiceCsvHeader, invoiceCsvRow, invoiceJson, listInvoiceRows, type InvoiceFilter } from './invoice-queries.ts';
import { issueInvoices } from './issue-invoices.ts';
import { ledgerCsvHeader, ledgerCsvRow, ledgerEntryJson, listLedgerEntries, type LedgerFilter } from './ledger-queries.ts';
import { applyPriceChanges, readPriceList } from './price-list.ts';

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

// A transition not listed here is refused: a void invoice stays void, a paid one is not voided.
const invoiceTransitions: Record<string, string[]> = { issued: ['paid', 'void'], paid: [], void: [] };

export const registerBillingRoutes: RouteModule = (router, ctx, guards) => {
  bindRoute(router, ctx, guards, routes.getPrices, async ({ authority }) => ok(await readPriceList(ctx.db, authority.id)));

  bindRoute(router, ctx, guards, routes.updatePrices, async ({ admin, authority, body }) => {
    const list = await ctx.db.transaction(async (tx) => {
      const before = await readPriceList(tx, authority.id);
      await applyPriceChanges(tx, authority.id, body);
      const after = await readPriceList(tx, authority.id);
      const { overrides: _b, ...beforeList } = before;
      const { overrides: _a, ...afterList } = after;
      await recordAudit(tx, { authorityId: authority.id, actor: admin.email, action: 'prices.updated', target: authority.id, details: { before: beforeList, after: afterList } });
      return after;
    });
    return ok(list);
  });

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
    const issued = await ctx.db.transaction((tx) => issueInvoices(tx, authority, body.period, admin.email));
    return created({ period: body.period, issued: issued.map(invoiceJson) });
  });

  bindRoute(router, ctx, guards, routes.getInvoice, async ({ authority, params }) => {
    const invoice = await findInvoice(ctx.db, authority.id, params.invoiceId);
    if (!invoice) throw new TesseraProblem('not_found', `no invoice ${params.invoiceId} in this authority`);
    const entries = await listLedgerEntries(ctx.db, authority.id, { invoiceId: invoice.id }, Math.max(invoice.lines, 1));
    return ok({ ...invoiceJson(invoice), entries: entries.map(ledgerEntryJson) });
  });

  // Voiding keeps the entries linked to the void invoice: the history of what was billed
  // and cancelled stays readable, and those charges are never billed again.
  bindRoute(router, ctx, guards, routes.updateInvoice, async ({ admin, authority, params, body }) => {
    const invoice = await ctx.db.transaction(async (tx) => {
      const current = await findInvoice(tx, authority.id, params.invoiceId, true);
      if (!current) throw new TesseraProblem('not_found', `no invoice ${params.invoiceId} in this authority`);
      if (current.status === body.status) return current;
      if (!invoiceTransitions[current.status]!.includes(body.status)) {
        throw new TesseraProblem('conflict', `invoice ${current.number} is ${current.status}; it cannot become ${body.status}`);
      }
      await tx.update(invoices).set({ status: body.status }).where(and(eq(invoices.authorityId, authority.id), eq(invoices.id, current.id)));
      await recordAudit(tx, {
        authorityId: authority.id,
        actor: admin.email,
        action: `invoice.${body.status}`,
        target: current.id,
        details: { number: current.number, from: current.status, to: body.status },
      });
      return { ...current, status: body.status };
    });
    return ok(invoiceJson(invoice));
  });

  bindRoute(router, ctx, guards, routes.exportInvoices, async ({ authority, query, res }) => {
    const filter: InvoiceFilter = { period: query.period, userId: query.userId };
    const pages = allPages((limit, cursor) => listInvoiceRows(ctx.db, authority.id, filter, limit, cursor));
    await streamCsv(res, csvName(authority.slug, 'invoices', query.period), invoiceCsvHeader, mapPages(pages, invoiceCsvRow));
    return 'handled';
  });
};
