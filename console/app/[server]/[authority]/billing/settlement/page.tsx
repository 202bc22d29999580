import type { Metadata } from 'next';
import { CsvLink } from '@/components/csv-link.tsx';
import { LoadedTable } from '@/components/data-table.tsx';
import { FilterForm, MonthFilter } from '@/components/filter-form.tsx';
import { param } from '@/components/pagination.tsx';
import { SectionTabs } from '@/components/section-tabs.tsx';
import { EmptyState, Mono, PageHeader } from '@/components/ui.tsx';
import { load } from '@/lib/admin-api.ts';
import { formatMoney } from '@/lib/format.ts';
import type { AuthorityPageProps } from '@/lib/page-props.ts';

export const metadata: Metadata = { title: 'Settlement' };

/** What one side signed for the other in the month: how many certificates, what they are worth, and who owes it. */
function certificates(side: { count: number; amount: number }, currency: string, owing: string) {
  return (
    <>
      {side.count} · {formatMoney(side.amount, currency)}
      <p className="text-xs text-slate-500">{owing}</p>
    </>
  );
}

export default async function SettlementPage({ params, searchParams }: AuthorityPageProps) {
  const { server, authority } = await params;
  const sp = await searchParams;
  const period = param(sp, 'period');
  const settlement = await load(server, 'getSettlement', { params: { authority }, query: { period } });
  const base = `/${server}/${authority}`;
  const shown = settlement.ok ? settlement.data.period : period;
  return (
    <>
      <PageHeader
        title="Billing"
        description="What this authority and each peer owe each other for cross-authority copy certificates."
        actions={<CsvLink server={server} path={`/admin/authorities/${authority}/settlement.csv`} query={{ period: shown }} label="Export CSV" />}
      />
      <SectionTabs base={base} section="billing" />
      <FilterForm action={`${base}/billing/settlement`} label="Choose the month">
        <MonthFilter value={shown} />
      </FilterForm>
      <LoadedTable
        result={settlement}
        label={`Settlement for ${shown}`}
        rowKey={(l) => l.peerIssuer}
        columns={[
          {
            header: 'Peer',
            cell: (l) => (
              <>
                <p className="font-medium">{l.peerName ?? 'Peer'}</p>
                <Mono>{l.peerIssuer}</Mono>
              </>
            ),
          },
          { header: 'Signed for the peer', align: 'right', className: 'tabular-nums', cell: (l) => certificates(l.receivable, l.currency, 'the peer owes') },
          { header: 'Signed by the peer', align: 'right', className: 'tabular-nums', cell: (l) => certificates(l.payable, l.currency, 'we owe') },
          {
            header: 'Net',
            align: 'right',
            className: 'font-semibold tabular-nums',
            cell: (l) => (
              <>
                {formatMoney(Math.abs(l.net), l.currency)}
                <p className="text-xs font-normal text-slate-500">{l.net > 0 ? 'owed to us' : l.net < 0 ? 'we owe' : 'even'}</p>
              </>
            ),
          },
        ]}
        empty={<EmptyState title={`Nothing to settle for ${shown}`}>No certificate was signed across authorities this month.</EmptyState>}
      />
    </>
  );
}
