import type { Metadata } from 'next';
import { BillingTabs } from '@/components/billing-tabs.tsx';
import { IssueInvoicesForm } from '@/components/billing-forms.tsx';
import { IfCan } from '@/components/console-context.tsx';
import { CsvLink } from '@/components/csv-link.tsx';
import { FilterForm, FilterInput } from '@/components/filter-form.tsx';
import { pageOf, Pagination, param, type SearchParams } from '@/components/pagination.tsx';
import { Badge, Card, EmptyState, PageHeader, ProblemAlert, Table, Td, TextLink, Th } from '@/components/ui.tsx';
import { load } from '@/lib/admin-api.ts';
import { formatDateTime, formatMoney } from '@/lib/format.ts';

export const metadata: Metadata = { title: 'Invoices' };

/** The month before the current one (UTC): the one usually invoiced. */
function lastMonth(): string {
  const d = new Date();
  d.setUTCDate(1);
  d.setUTCMonth(d.getUTCMonth() - 1);
  return d.toISOString().slice(0, 7);
}

export default async function InvoicesPage({ params, searchParams }: { params: Promise<{ server: string; authority: string }>; searchParams: Promise<SearchParams> }) {
  const { server, authority } = await params;
  const sp = await searchParams;
  const period = param(sp, 'period');
  const userId = param(sp, 'userId');
  const invoices = await load(server, 'listInvoices', { params: { authority }, query: { period, userId, cursor: pageOf(sp).cursor, limit: 25 } });
  const base = `/${server}/${authority}`;
  return (
    <>
      <PageHeader
        title="Billing"
        description="Invoices per user and month."
        actions={<CsvLink server={server} path={`/admin/authorities/${authority}/invoices.csv`} query={{ period, userId }} label="Export CSV" />}
      />
      <BillingTabs base={base} />
      <IfCan name="issueInvoices">
        <Card title="Issue the invoices of a month" className="mb-6">
          <IssueInvoicesForm defaultPeriod={lastMonth()} />
        </Card>
      </IfCan>
      <FilterForm action={`${base}/billing/invoices`} label="Filter invoices">
        <FilterInput name="period" label="Month (YYYY-MM)" defaultValue={period} placeholder="2026-11" />
        <FilterInput name="userId" label="User ID" defaultValue={userId} placeholder="usr_…" />
      </FilterForm>
      {!invoices.ok ? (
        <ProblemAlert problem={invoices.problem} />
      ) : invoices.data.items.length === 0 ? (
        <EmptyState title="No invoices">Issue the invoices of a month once its entries are complete.</EmptyState>
      ) : (
        <>
          <Table label="Invoices">
            <thead>
              <tr>
                <Th>Number</Th>
                <Th>User</Th>
                <Th>Month</Th>
                <Th className="text-right">Total</Th>
                <Th className="hidden sm:table-cell">Lines</Th>
                <Th>Status</Th>
                <Th className="hidden md:table-cell">Issued</Th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {invoices.data.items.map((i) => (
                <tr key={i.id}>
                  <Td>
                    <TextLink href={`${base}/billing/invoices/${i.id}`}>{i.number}</TextLink>
                  </Td>
                  <Td>{i.username}</Td>
                  <Td>{i.period}</Td>
                  <Td className="text-right tabular-nums">{formatMoney(i.total, i.currency)}</Td>
                  <Td className="hidden sm:table-cell">{i.lines}</Td>
                  <Td>
                    <Badge>{i.status}</Badge>
                  </Td>
                  <Td className="hidden md:table-cell">{formatDateTime(i.issuedAt)}</Td>
                </tr>
              ))}
            </tbody>
          </Table>
          <Pagination basePath={`${base}/billing/invoices`} searchParams={sp} nextCursor={invoices.data.nextCursor} label="invoices" />
        </>
      )}
    </>
  );
}
