import type { Metadata } from 'next';
import { BillingTabs } from '@/components/billing-tabs.tsx';
import { CsvLink } from '@/components/csv-link.tsx';
import { FilterForm, FilterInput } from '@/components/filter-form.tsx';
import { param, type SearchParams } from '@/components/pagination.tsx';
import { EmptyState, Mono, PageHeader, ProblemAlert, Table, Td, Th } from '@/components/ui.tsx';
import { load } from '@/lib/admin-api.ts';
import { formatMoney } from '@/lib/format.ts';

export const metadata: Metadata = { title: 'Settlement' };

export default async function SettlementPage({ params, searchParams }: { params: Promise<{ server: string; authority: string }>; searchParams: Promise<SearchParams> }) {
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
      <BillingTabs base={base} />
      <FilterForm action={`${base}/billing/settlement`} label="Choose the month">
        <FilterInput name="period" label="Month (YYYY-MM)" defaultValue={shown} placeholder="2026-11" />
      </FilterForm>
      {!settlement.ok ? (
        <ProblemAlert problem={settlement.problem} />
      ) : settlement.data.items.length === 0 ? (
        <EmptyState title={`Nothing to settle for ${settlement.data.period}`}>No certificate was signed across authorities this month.</EmptyState>
      ) : (
        <Table label={`Settlement for ${settlement.data.period}`}>
          <thead>
            <tr>
              <Th>Peer</Th>
              <Th className="text-right">Signed for the peer</Th>
              <Th className="text-right">Signed by the peer</Th>
              <Th className="text-right">Net</Th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {settlement.data.items.map((l) => (
              <tr key={l.peerIssuer}>
                <Td>
                  <p className="font-medium">{l.peerName ?? 'Peer'}</p>
                  <Mono>{l.peerIssuer}</Mono>
                </Td>
                <Td className="text-right tabular-nums">
                  {l.receivable.count} · {formatMoney(l.receivable.amount, l.currency)}
                  <p className="text-xs text-slate-500">the peer owes</p>
                </Td>
                <Td className="text-right tabular-nums">
                  {l.payable.count} · {formatMoney(l.payable.amount, l.currency)}
                  <p className="text-xs text-slate-500">we owe</p>
                </Td>
                <Td className="text-right font-semibold tabular-nums">
                  {formatMoney(Math.abs(l.net), l.currency)}
                  <p className="text-xs font-normal text-slate-500">{l.net > 0 ? 'owed to us' : l.net < 0 ? 'we owe' : 'even'}</p>
                </Td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </>
  );
}
