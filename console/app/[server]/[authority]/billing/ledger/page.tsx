import type { Metadata } from 'next';
import { ledgerKindSchema } from '@tessera/protocol';
import type { z } from 'zod';
import { BillingTabs } from '@/components/billing-tabs.tsx';
import { CsvLink } from '@/components/csv-link.tsx';
import { FilterForm, FilterInput, FilterSelect } from '@/components/filter-form.tsx';
import { pageOf, Pagination, param, type SearchParams } from '@/components/pagination.tsx';
import { Badge, EmptyState, Mono, PageHeader, ProblemAlert, Table, Td, TextLink, Th } from '@/components/ui.tsx';
import { load } from '@/lib/admin-api.ts';
import { formatDateTime, formatMoney } from '@/lib/format.ts';

export const metadata: Metadata = { title: 'Ledger' };
const KIND_LABELS: Record<z.infer<typeof ledgerKindSchema>, string> = { license: 'license', move: 'move', federation_fee: 'federation fee', peer_fee: 'peer fee' };

export default async function LedgerPage({ params, searchParams }: { params: Promise<{ server: string; authority: string }>; searchParams: Promise<SearchParams> }) {
  const { server, authority } = await params;
  const sp = await searchParams;
  const kindParam = param(sp, 'kind');
  const kind = ledgerKindSchema.safeParse(kindParam).success ? (kindParam as z.infer<typeof ledgerKindSchema>) : undefined;
  const period = param(sp, 'period');
  const userId = param(sp, 'userId');
  const ledger = await load(server, 'listLedger', { params: { authority }, query: { kind, period, userId, cursor: pageOf(sp).cursor, limit: 50 } });
  const base = `/${server}/${authority}`;
  return (
    <>
      <PageHeader
        title="Billing"
        description="Ledger entries, newest first."
        actions={<CsvLink server={server} path={`/admin/authorities/${authority}/ledger.csv`} query={{ kind, period, userId }} label="Export CSV" />}
      />
      <BillingTabs base={base} />
      <FilterForm action={`${base}/billing/ledger`} label="Filter the ledger">
        <FilterSelect name="kind" label="Kind" defaultValue={kind} options={[{ value: '', label: 'Any kind' }, ...ledgerKindSchema.options.map((k) => ({ value: k, label: KIND_LABELS[k] }))]} />
        <FilterInput name="period" label="Month (YYYY-MM)" defaultValue={period} placeholder="2026-11" />
        <FilterInput name="userId" label="User ID" defaultValue={userId} placeholder="usr_…" />
      </FilterForm>
      {!ledger.ok ? (
        <ProblemAlert problem={ledger.problem} />
      ) : ledger.data.items.length === 0 ? (
        <EmptyState title="No ledger entries">Entries are written when licenses and moves are supplied.</EmptyState>
      ) : (
        <>
          <Table label="Ledger">
            <thead>
              <tr>
                <Th>When</Th>
                <Th>Kind</Th>
                <Th className="text-right">Amount</Th>
                <Th className="hidden sm:table-cell">User or peer</Th>
                <Th className="hidden md:table-cell">Content</Th>
                <Th className="hidden lg:table-cell">License / move</Th>
                <Th className="hidden lg:table-cell">Invoice</Th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {ledger.data.items.map((e) => (
                <tr key={e.id}>
                  <Td className="whitespace-nowrap">{formatDateTime(e.createdAt)}</Td>
                  <Td>
                    <Badge>{KIND_LABELS[e.kind]}</Badge>
                  </Td>
                  <Td className="text-right whitespace-nowrap tabular-nums">{formatMoney(e.amount, e.currency)}</Td>
                  <Td className="hidden max-w-[16rem] sm:table-cell">
                    {e.userId ? <TextLink href={`${base}/users/${e.userId}`}>{e.username ?? e.userId}</TextLink> : e.counterparty ? <Mono>{e.counterparty}</Mono> : '—'}
                  </Td>
                  <Td className="hidden md:table-cell">
                    <Mono>{e.contentId}</Mono>
                  </Td>
                  <Td className="hidden lg:table-cell">
                    {e.moveId ? <TextLink href={`${base}/moves/${e.moveId}`}><span className="font-mono text-xs">{e.moveId}</span></TextLink> : e.licenseId ? <TextLink href={`${base}/licenses/${e.licenseId}`}><span className="font-mono text-xs">{e.licenseId}</span></TextLink> : '—'}
                  </Td>
                  <Td className="hidden lg:table-cell">{e.invoiceId ? <TextLink href={`${base}/billing/invoices/${e.invoiceId}`}>invoiced</TextLink> : '—'}</Td>
                </tr>
              ))}
            </tbody>
          </Table>
          <Pagination basePath={`${base}/billing/ledger`} searchParams={sp} nextCursor={ledger.data.nextCursor} label="ledger entries" />
        </>
      )}
    </>
  );
}
