import { and, count, desc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import { afterCursor, cursorAt, type ListCursor } from '../storage/list-cursor.ts';
import type { Executor, Tx } from '../storage/db.ts';
import { invoices, users } from '../storage/schema.ts';

export interface InvoiceFilter {
  period?: string | undefined;
  userId?: string | undefined;
}

const invoiceColumns = {
  id: invoices.id,
  number: invoices.number,
  userId: invoices.userId,
  username: users.username,
  period: invoices.period,
  total: invoices.total,
  currency: invoices.currency,
  lines: invoices.lines,
  status: invoices.status,
  issuedAt: invoices.issuedAt,
  cursorAt: cursorAt(invoices.issuedAt),
};

export type InvoiceRow = Awaited<ReturnType<typeof listInvoiceRows>>[number];

const selectInvoices = (executor: Executor) =>
  executor
    .select(invoiceColumns)
    .from(invoices)
    .innerJoin(users, and(eq(users.authorityId, invoices.authorityId), eq(users.id, invoices.userId)));

/** Invoices newest first, `limit` of them after the cursor. */
export function listInvoiceRows(executor: Executor, authorityId: string, filter: InvoiceFilter, limit: number, cursor?: ListCursor) {
  const where: (SQL | undefined)[] = [eq(invoices.authorityId, authorityId)];
  if (filter.period) where.push(eq(invoices.period, filter.period));
  if (filter.userId) where.push(eq(invoices.userId, filter.userId));
  if (cursor) where.push(afterCursor(invoices.issuedAt, invoices.id, cursor));
  return selectInvoices(executor)
    .where(and(...where))
    .orderBy(desc(invoices.issuedAt), desc(invoices.id))
    .limit(limit);
}

export async function findInvoice(executor: Executor, authorityId: string, invoiceId: string, lock = false): Promise<InvoiceRow | undefined> {
  const query = selectInvoices(executor).where(and(eq(invoices.authorityId, authorityId), eq(invoices.id, invoiceId)));
  const [row] = lock ? await query.for('update', { of: invoices }) : await query;
  return row;
}

export type InvoiceStatus = (typeof invoices.$inferSelect)['status'];

export async function setInvoiceStatus(tx: Tx, authorityId: string, invoiceId: string, status: InvoiceStatus): Promise<void> {
  await tx
    .update(invoices)
    .set({ status })
    .where(and(eq(invoices.authorityId, authorityId), eq(invoices.id, invoiceId)));
}

/**
 * Serializes invoice runs of one authority until the transaction ends, on every instance: two
 * concurrent runs issue one set of invoices, never two.
 */
export async function lockInvoiceRuns(tx: Tx, authorityId: string): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`tessera:invoices:${authorityId}`}))`);
}

export async function countInvoicesOfPeriod(tx: Tx, authorityId: string, period: string): Promise<number> {
  const [row] = await tx
    .select({ n: count() })
    .from(invoices)
    .where(and(eq(invoices.authorityId, authorityId), eq(invoices.period, period)));
  return Number(row?.n ?? 0);
}

export async function insertInvoices(tx: Tx, rows: (typeof invoices.$inferInsert)[]) {
  return tx.insert(invoices).values(rows).returning();
}

/** The usernames of the given users of one authority, by user id. */
export async function usernamesOf(executor: Executor, authorityId: string, userIds: string[]): Promise<Map<string, string>> {
  const rows = await executor
    .select({ id: users.id, username: users.username })
    .from(users)
    .where(and(eq(users.authorityId, authorityId), inArray(users.id, userIds)));
  return new Map(rows.map((u) => [u.id, u.username]));
}

export const invoiceJson = (row: Omit<InvoiceRow, 'cursorAt'>) => ({
  id: row.id,
  number: row.number,
  userId: row.userId,
  username: row.username,
  period: row.period,
  total: row.total,
  currency: row.currency,
  lines: row.lines,
  status: row.status,
  issuedAt: row.issuedAt.toISOString(),
});

export const invoiceCsvHeader = ['id', 'number', 'user_id', 'username', 'period', 'total_minor_units', 'currency', 'lines', 'status', 'issued_at'];
export const invoiceCsvRow = (r: InvoiceRow) => [
  r.id,
  r.number,
  r.userId,
  r.username,
  r.period,
  r.total,
  r.currency,
  r.lines,
  r.status,
  r.issuedAt.toISOString(),
];
