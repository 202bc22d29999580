import type { Metadata } from 'next';
import { ActionButton } from '@/components/action-button.tsx';
import { DataTable } from '@/components/data-table.tsx';
import { Badge, DetailsCard, Mono, PageHeader, TextLink, ProblemPage } from '@/components/ui.tsx';
import { load } from '@/lib/admin-api.ts';
import { formatDateTime, formatMoney } from '@/lib/format.ts';

export const metadata: Metadata = { title: 'Invoice' };

export default async function InvoicePage({ params }: { params: Promise<{ server: string; authority: string; invoiceId: string }> }) {
  const { server, authority, invoiceId } = await params;
  const invoice = await load(server, 'getInvoice', { params: { authority, invoiceId } });
  if (!invoice.ok)
    return <ProblemPage title={'Invoice'} problem={invoice.problem} back={{ href: `/${server}/${authority}/billing/invoices`, label: 'All invoices' }} />;
  const i = invoice.data;
  const base = `/${server}/${authority}`;
  return (
    <>
      <PageHeader
        title={`Invoice ${i.number}`}
        description={`${i.username}, ${i.period}`}
        actions={
          i.status === 'issued' ? (
            <>
              <ActionButton name="updateInvoice" input={{ params: { authority, invoiceId }, body: { status: 'paid' } }} size="md" variant="primary">
                Mark paid
              </ActionButton>
              <ActionButton
                name="updateInvoice"
                input={{ params: { authority, invoiceId }, body: { status: 'void' } }}
                size="md"
                variant="danger"
                confirm={{ title: `Void invoice ${i.number}?`, body: 'A void invoice stays on record but is no longer owed.', confirmLabel: 'Void invoice' }}
              >
                Void
              </ActionButton>
            </>
          ) : null
        }
      />
      <div className="space-y-6">
        <DetailsCard
          title="Invoice"
          items={[
            ['Status', <Badge key="s">{i.status}</Badge>],
            [
              'User',
              <TextLink key="u" href={`${base}/users/${i.userId}`}>
                {i.username}
              </TextLink>,
            ],
            ['Month', i.period],
            ['Total', formatMoney(i.total, i.currency)],
            ['Issued', formatDateTime(i.issuedAt)],
          ]}
        />
        <DataTable
          label="Invoice lines"
          rows={i.entries}
          columns={[
            { header: 'When', cell: (e) => formatDateTime(e.createdAt) },
            { header: 'Kind', cell: (e) => e.kind },
            { header: 'Content', cell: (e) => <Mono>{e.contentId}</Mono> },
            { header: 'Amount', align: 'right', className: 'tabular-nums', cell: (e) => formatMoney(e.amount, e.currency) },
          ]}
        />
      </div>
    </>
  );
}
