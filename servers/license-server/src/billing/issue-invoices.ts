import { newId, TesseraProblem } from '@tessera/protocol';
import { and, asc, count, eq, gte, inArray, isNotNull, isNull, lt, or, sql } from 'drizzle-orm';
import { recordAudit } from '../audit/audit-log.ts';
import type { AuthorityRef } from '../authorities/authority-directory.ts';
import type { Tx } from '../storage/db.ts';
import { invoices, ledgerEntries, users } from '../storage/schema.ts';
import { periodBounds } from './period.ts';

const UPDATE_CHUNK = 1000;

/**
 * Issues the invoices of `period`: at most one per user per period (the unique index
 * invoices_user_period holds it). An invoice bills the user's uninvoiced license and move
 * charges created in the period. Charges that arrive after a user's invoice for their period
 * was issued ("late" charges, e.g. when a month is invoiced before it ends) roll forward: the
 * next period's run bills them. So every charge is invoiced exactly once, and running a
 * period again only issues invoices to users who have none for it yet.
 *
 * Runs in the caller's transaction under an advisory lock per authority, so two concurrent
 * runs (on any instance) issue one set of invoices, never two.
 */
export async function issueInvoices(tx: Tx, authority: AuthorityRef, period: string, actor: string) {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`tessera:invoices:${authority.id}`}))`);
  const { start, end } = periodBounds(period);
  const invoiced = (entryPeriod: ReturnType<typeof sql>) => sql`exists (select 1 from ${invoices} i
    where i.authority_id = ${ledgerEntries.authorityId} and i.user_id = ${ledgerEntries.userId} and i.period = ${entryPeriod})`;

  const entries = await tx
    .select({ id: ledgerEntries.id, userId: ledgerEntries.userId, amount: ledgerEntries.amount, currency: ledgerEntries.currency })
    .from(ledgerEntries)
    .where(
      and(
        eq(ledgerEntries.authorityId, authority.id),
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

  const byUser = new Map<string, { ids: string[]; total: number; currencies: Set<string> }>();
  for (const e of entries) {
    const group = byUser.get(e.userId!) ?? { ids: [], total: 0, currencies: new Set<string>() };
    group.ids.push(e.id);
    group.total += e.amount;
    group.currencies.add(e.currency);
    byUser.set(e.userId!, group);
  }
  if (byUser.size === 0) return [];

  for (const [userId, group] of byUser) {
    if (group.currencies.size > 1) {
      throw new TesseraProblem('conflict', `user ${userId} has charges in several currencies (${[...group.currencies].join(', ')}) for ${period}; an invoice has one currency`);
    }
  }

  const [existing] = await tx.select({ n: count() }).from(invoices).where(and(eq(invoices.authorityId, authority.id), eq(invoices.period, period)));
  let seq = Number(existing?.n ?? 0);
  const prefix = `${authority.slug.toUpperCase()}-${period.replace('-', '')}`;
  const rows = [...byUser].map(([userId, group]) => ({
    authorityId: authority.id,
    id: newId('invoice'),
    number: `${prefix}-${String(++seq).padStart(4, '0')}`,
    userId,
    period,
    total: group.total,
    currency: [...group.currencies][0]!,
    lines: group.ids.length,
  }));
  const inserted = await tx.insert(invoices).values(rows).returning();

  for (const [index, [, group]] of [...byUser].entries()) {
    const invoiceId = rows[index]!.id;
    for (let i = 0; i < group.ids.length; i += UPDATE_CHUNK) {
      await tx
        .update(ledgerEntries)
        .set({ invoiceId })
        .where(and(eq(ledgerEntries.authorityId, authority.id), inArray(ledgerEntries.id, group.ids.slice(i, i + UPDATE_CHUNK))));
    }
  }

  const names = await tx
    .select({ id: users.id, username: users.username })
    .from(users)
    .where(and(eq(users.authorityId, authority.id), inArray(users.id, [...byUser.keys()])));
  const usernames = new Map(names.map((u) => [u.id, u.username]));
  const issued = inserted
    .map((invoice) => ({ ...invoice, username: usernames.get(invoice.userId)! }))
    .sort((a, b) => a.number.localeCompare(b.number));

  for (const invoice of issued) {
    await recordAudit(tx, {
      authorityId: authority.id,
      actor,
      action: 'invoice.issued',
      target: invoice.id,
      details: { number: invoice.number, userId: invoice.userId, period, total: invoice.total, currency: invoice.currency, lines: invoice.lines },
    });
  }
  return issued;
}
