import type { Metadata } from 'next';
import { IssueInvoicesForm } from '@/components/billing-forms.tsx';
import { IfCan } from '@/components/console-context.tsx';
import { CsvLink } from '@/components/csv-link.tsx';
import { LoadedTable } from '@/components/data-table.tsx';
import { FilterForm, MonthFilter, UserIdFilter } from '@/components/filter-form.tsx';
import { pageOf, param } from '@/components/pagination.tsx';
import { SectionTabs } from '@/components/section-tabs.tsx';
import { Badge, Card, EmptyState, PageHeader, TextLink } from '@/components/ui.tsx';
import { load } from '@/lib/admin-api.ts';
import { formatDateTime, formatMoney } from '@/lib/format.ts';
import type { AuthorityPageProps } from '@/lib/page-props.ts';

export const metadata: Metadata = { title: 'Invoices' };

/** The month before the current one (UTC): the one usually invoiced. */
function lastMonth(): string {
  const d = new Date();
  d.setUTCDate(1);
  d.setUTCMonth(d.getUTCMonth() - 1);
  return d.toISOString().slice(0, 7);
}

export default async function InvoicesPage({ params, searchParams }: AuthorityPageProps) {
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
      <SectionTabs base={base} section="billing" />
      <IfCan name="issueInvoices">
        <Card title="Issue the invoices of a month" className="mb-6">
          <IssueInvoicesForm defaultPeriod={lastMonth()} />
        </Card>
      </IfCan>
      <FilterForm action={`${base}/billing/invoices`} label="Filter invoices">
        <MonthFilter value={period} />
        <UserIdFilter value={userId} />
      </FilterForm>
      <LoadedTable
        result={invoices}
        label="Invoices"
        columns={[
          { header: 'Number', cell: (i) => <TextLink href={`${base}/billing/invoices/${i.id}`}>{i.number}</TextLink> },
          { header: 'User', cell: (i) => i.username },
          { header: 'Month', cell: (i) => i.period },
          { header: 'Total', align: 'right', className: 'tabular-nums', cell: (i) => formatMoney(i.total, i.currency) },
          { header: 'Lines', from: 'sm', cell: (i) => i.lines },
          { header: 'Status', cell: (i) => <Badge>{i.status}</Badge> },
          { header: 'Issued', from: 'md', cell: (i) => formatDateTime(i.issuedAt) },
        ]}
        empty={<EmptyState title="No invoices">Issue the invoices of a month once its entries are complete.</EmptyState>}
        pages={{ basePath: `${base}/billing/invoices`, searchParams: sp, label: 'invoices' }}
      />
    </>
  );
}
