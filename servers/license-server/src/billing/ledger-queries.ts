import { and, asc, desc, eq, gte, inArray, isNotNull, isNull, lt, or, sql, type SQL } from 'drizzle-orm';
import { afterCursor, cursorAt, type ListCursor } from '../storage/list-cursor.ts';
import type { Executor, Tx } from '../storage/db.ts';
import { invoices, ledgerEntries, users } from '../storage/schema.ts';
import { periodBounds } from './period.ts';

export interface LedgerFilter {
  kind?: 'license' | 'move' | 'federation_fee' | 'peer_fee' | undefined;
  userId?: string | undefined;
  period?: string | undefined;
  invoiceId?: string | undefined;
}

export async function insertLedgerEntry(executor: Executor, entry: typeof ledgerEntries.$inferInsert): Promise<void> {
  await executor.insert(ledgerEntries).values(entry);
}

/**
 * Locks and returns the charges an invoice run of `period` bills: the users' uninvoiced license
 * and move charges created in the period, and earlier ones whose own period was already
 * invoiced (late charges roll forward), of users who have no invoice for `period` yet.
 */
export async function lockUninvoicedCharges(tx: Tx, authorityId: string, period: string) {
  const { start, end } = periodBounds(period);
  const invoiced = (entryPeriod: ReturnType<typeof sql>) => sql`exists (select 1 from ${invoices} i
    where i.authority_id = ${ledgerEntries.authorityId} and i.user_id = ${ledgerEntries.userId} and i.period = ${entryPeriod})`;
  return tx
    .select({ id: ledgerEntries.id, userId: ledgerEntries.userId, amount: ledgerEntries.amount, currency: ledgerEntries.currency })
    .from(ledgerEntries)
    .where(
      and(
        eq(ledgerEntries.authorityId, authorityId),
        isNull(ledgerEntries.invoiceId),
        isNotNull(ledgerEntries.userId),
        inArray(ledgerEntries.kind, ['license', 'move']),
        lt(ledgerEntries.createdAt, end),
        or(gte(ledgerEntries.createdAt, start), invoiced(sql`to_char(${ledgerEntries.createdAt} at time zone 'UTC', 'YYYY-MM')`)),
        sql`not ${invoiced(sql`${period}`)}`,
      ),
    )
    .orderBy(asc(ledgerEntries.userId), asc(ledgerEntries.createdAt), asc(ledgerEntries.id))
    .for('update');
}

const UPDATE_CHUNK = 1000;

/** Links charges to the invoice that bills them, a chunk of ids per statement. */
export async function linkChargesToInvoice(tx: Tx, authorityId: string, invoiceId: string, entryIds: string[]): Promise<void> {
  for (let i = 0; i < entryIds.length; i += UPDATE_CHUNK) {
    await tx
      .update(ledgerEntries)
      .set({ invoiceId })
      .where(and(eq(ledgerEntries.authorityId, authorityId), inArray(ledgerEntries.id, entryIds.slice(i, i + UPDATE_CHUNK))));
  }
}

export const ledgerColumns = {
  id: ledgerEntries.id,
  kind: ledgerEntries.kind,
  userId: ledgerEntries.userId,
  username: users.username,
  counterparty: ledgerEntries.counterparty,
  contentId: ledgerEntries.contentId,
  licenseId: ledgerEntries.licenseId,
  moveId: ledgerEntries.moveId,
  amount: ledgerEntries.amount,
  currency: ledgerEntries.currency,
  invoiceId: ledgerEntries.invoiceId,
  createdAt: ledgerEntries.createdAt,
  cursorAt: cursorAt(ledgerEntries.createdAt),
};

export type LedgerRow = Awaited<ReturnType<typeof listLedgerEntries>>[number];

/** Ledger entries newest first, `limit` of them after the cursor. */
export function listLedgerEntries(executor: Executor, authorityId: string, filter: LedgerFilter, limit: number, cursor?: ListCursor) {
  const where: (SQL | undefined)[] = [eq(ledgerEntries.authorityId, authorityId)];
  if (filter.kind) where.push(eq(ledgerEntries.kind, filter.kind));
  if (filter.userId) where.push(eq(ledgerEntries.userId, filter.userId));
  if (filter.invoiceId) where.push(eq(ledgerEntries.invoiceId, filter.invoiceId));
  if (filter.period) {
    const { start, end } = periodBounds(filter.period);
    where.push(gte(ledgerEntries.createdAt, start), lt(ledgerEntries.createdAt, end));
  }
  if (cursor) where.push(afterCursor(ledgerEntries.createdAt, ledgerEntries.id, cursor));
  return executor
    .select(ledgerColumns)
    .from(ledgerEntries)
    .leftJoin(users, and(eq(users.authorityId, ledgerEntries.authorityId), eq(users.id, ledgerEntries.userId)))
    .where(and(...where))
    .orderBy(desc(ledgerEntries.createdAt), desc(ledgerEntries.id))
    .limit(limit);
}

export const ledgerEntryJson = (row: LedgerRow) => ({
  id: row.id,
  kind: row.kind,
  userId: row.userId,
  username: row.username,
  counterparty: row.counterparty,
  contentId: row.contentId,
  licenseId: row.licenseId,
  moveId: row.moveId,
  amount: row.amount,
  currency: row.currency,
  invoiceId: row.invoiceId,
  createdAt: row.createdAt.toISOString(),
});

export const ledgerCsvHeader = [
  'id',
  'created_at',
  'kind',
  'user_id',
  'username',
  'counterparty',
  'content_id',
  'license_id',
  'move_id',
  'amount_minor_units',
  'currency',
  'invoice_id',
];
export const ledgerCsvRow = (r: LedgerRow) => [
  r.id,
  r.createdAt.toISOString(),
  r.kind,
  r.userId,
  r.username,
  r.counterparty,
  r.contentId,
  r.licenseId,
  r.moveId,
  r.amount,
  r.currency,
  r.invoiceId,
];
