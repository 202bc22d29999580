import { issueInvoicesRequestSchema, newId, TesseraProblem } from '@tessera/protocol';
import { actorName, type Actor } from '../audit/actor.ts';
import { recordAudit } from '../audit/audit-log.ts';
import type { AuthorityRef } from '../authorities/authority-directory.ts';
import type { Tx } from '../storage/db.ts';
import { countInvoicesOfPeriod, insertInvoices, lockInvoiceRuns, usernamesOf } from './invoice-queries.ts';
import { linkChargesToInvoice, lockUninvoicedCharges } from './ledger-queries.ts';

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
export async function issueInvoices(tx: Tx, authority: AuthorityRef, actor: Actor, input: { period: string }) {
  const { period } = issueInvoicesRequestSchema.parse(input);
  await lockInvoiceRuns(tx, authority.id);
  const entries = await lockUninvoicedCharges(tx, authority.id, period);

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
      throw new TesseraProblem(
        'conflict',
        `user ${userId} has charges in several currencies (${[...group.currencies].join(', ')}) for ${period}; an invoice has one currency`,
      );
    }
  }

  let seq = await countInvoicesOfPeriod(tx, authority.id, period);
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
  const inserted = await insertInvoices(tx, rows);

  for (const [index, [, group]] of [...byUser].entries()) {
    await linkChargesToInvoice(tx, authority.id, rows[index]!.id, group.ids);
  }

  const usernames = await usernamesOf(tx, authority.id, [...byUser.keys()]);
  const issued = inserted.map((invoice) => ({ ...invoice, username: usernames.get(invoice.userId)! })).sort((a, b) => a.number.localeCompare(b.number));

  for (const invoice of issued) {
    await recordAudit(tx, {
      authorityId: authority.id,
      actor: actorName(actor),
      action: 'invoice.issued',
      target: invoice.id,
      details: { number: invoice.number, userId: invoice.userId, period, total: invoice.total, currency: invoice.currency, lines: invoice.lines },
    });
  }
  return issued;
}
