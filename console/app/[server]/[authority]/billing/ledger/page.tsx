import type { Metadata } from 'next';
import { ledgerKindSchema } from '@tessera/protocol';
import type { z } from 'zod';
import { CsvLink } from '@/components/csv-link.tsx';
import { LoadedTable } from '@/components/data-table.tsx';
import { FilterForm, FilterSelect, MonthFilter, UserIdFilter } from '@/components/filter-form.tsx';
import { pageOf, param } from '@/components/pagination.tsx';
import { SectionTabs } from '@/components/section-tabs.tsx';
import { Badge, EmptyState, Mono, PageHeader, TextLink } from '@/components/ui.tsx';
import { load } from '@/lib/admin-api.ts';
import { formatDateTime, formatMoney } from '@/lib/format.ts';
import type { AuthorityPageProps } from '@/lib/page-props.ts';

export const metadata: Metadata = { title: 'Ledger' };
const KIND_LABELS: Record<z.infer<typeof ledgerKindSchema>, string> = {
  license: 'license',
  move: 'move',
  federation_fee: 'federation fee',
  peer_fee: 'peer fee',
};

export default async function LedgerPage({ params, searchParams }: AuthorityPageProps) {
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
      <SectionTabs base={base} section="billing" />
      <FilterForm action={`${base}/billing/ledger`} label="Filter the ledger">
        <FilterSelect
          name="kind"
          label="Kind"
          defaultValue={kind}
          any="Any kind"
          options={ledgerKindSchema.options.map((k) => ({ value: k, label: KIND_LABELS[k] }))}
        />
        <MonthFilter value={period} />
        <UserIdFilter value={userId} />
      </FilterForm>
      <LoadedTable
        result={ledger}
        label="Ledger"
        columns={[
          { header: 'When', className: 'whitespace-nowrap', cell: (e) => formatDateTime(e.createdAt) },
          { header: 'Kind', cell: (e) => <Badge>{KIND_LABELS[e.kind]}</Badge> },
          { header: 'Amount', align: 'right', className: 'whitespace-nowrap tabular-nums', cell: (e) => formatMoney(e.amount, e.currency) },
          {
            header: 'User or peer',
            from: 'sm',
            className: 'max-w-[16rem]',
            cell: (e) =>
              e.userId ? (
                <TextLink href={`${base}/users/${e.userId}`}>{e.username ?? e.userId}</TextLink>
              ) : e.counterparty ? (
                <Mono>{e.counterparty}</Mono>
              ) : (
                '—'
              ),
          },
          { header: 'Content', from: 'md', cell: (e) => <Mono>{e.contentId}</Mono> },
          {
            header: 'License / move',
            from: 'lg',
            cell: (e) =>
              e.moveId ? (
                <TextLink href={`${base}/moves/${e.moveId}`}>
                  <span className="font-mono text-xs">{e.moveId}</span>
                </TextLink>
              ) : e.licenseId ? (
                <TextLink href={`${base}/licenses/${e.licenseId}`}>
                  <span className="font-mono text-xs">{e.licenseId}</span>
                </TextLink>
              ) : (
                '—'
              ),
          },
          { header: 'Invoice', from: 'lg', cell: (e) => (e.invoiceId ? <TextLink href={`${base}/billing/invoices/${e.invoiceId}`}>invoiced</TextLink> : '—') },
        ]}
        empty={<EmptyState title="No ledger entries">Entries are written when licenses and moves are supplied.</EmptyState>}
        pages={{ basePath: `${base}/billing/ledger`, searchParams: sp, label: 'ledger entries' }}
      />
    </>
  );
}
