import { TesseraProblem, updateInvoiceRequestSchema } from '@tessera/protocol';
import type { z } from 'zod';
import { actorName, type Actor } from '../audit/actor.ts';
import { recordAudit } from '../audit/audit-log.ts';
import type { AuthorityRef } from '../authorities/authority-directory.ts';
import type { AppContext } from '../context.ts';
import { findInvoice, setInvoiceStatus, type InvoiceRow } from './invoice-queries.ts';

// A transition not listed here is refused: a void invoice stays void, a paid one is not voided.
const invoiceTransitions: Record<string, string[]> = { issued: ['paid', 'void'], paid: [], void: [] };

/**
 * Marks an invoice paid or void, once; asking for the status it already has changes nothing.
 * Voiding keeps the entries linked to the void invoice: the history of what was billed and
 * cancelled stays readable, and those charges are never billed again.
 */
export async function changeInvoiceStatus(
  ctx: AppContext,
  authority: AuthorityRef,
  actor: Actor,
  invoiceId: string,
  change: z.input<typeof updateInvoiceRequestSchema>,
): Promise<InvoiceRow> {
  const { status } = updateInvoiceRequestSchema.parse(change);
  return ctx.db.transaction(async (tx) => {
    const current = await findInvoice(tx, authority.id, invoiceId, true);
    if (!current) throw new TesseraProblem('not_found', `no invoice ${invoiceId} in this authority`);
    if (current.status === status) return current;
    if (!invoiceTransitions[current.status]!.includes(status)) {
      throw new TesseraProblem('conflict', `invoice ${current.number} is ${current.status}; it cannot become ${status}`);
    }
    await setInvoiceStatus(tx, authority.id, current.id, status);
    await recordAudit(tx, {
      authorityId: authority.id,
      actor: actorName(actor),
      action: `invoice.${status}`,
      target: current.id,
      details: { number: current.number, from: current.status, to: status },
    });
    return { ...current, status };
  });
}
