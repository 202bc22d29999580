import { and, desc, eq, gte, lt, type SQL } from 'drizzle-orm';
import { afterCursor, cursorAt, type ListCursor } from '../storage/list-cursor.ts';
import type { Executor } from '../storage/db.ts';
import { ledgerEntries, users } from '../storage/schema.ts';
import { periodBounds } from './period.ts';

export interface LedgerFilter {
  kind?: 'license' | 'move' | 'federation_fee' | 'peer_fee' | undefined;
  userId?: string | undefined;
  period?: string | undefined;
  invoiceId?: string | undefined;
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

export const ledgerCsvHeader = ['id', 'created_at', 'kind', 'user_id', 'username', 'counterparty', 'content_id', 'license_id', 'move_id', 'amount_minor_units', 'currency', 'invoice_id'];
export const ledgerCsvRow = (r: LedgerRow) => [r.id, r.createdAt.toISOString(), r.kind, r.userId, r.username, r.counterparty, r.contentId, r.licenseId, r.moveId, r.amount, r.currency, r.invoiceId];
