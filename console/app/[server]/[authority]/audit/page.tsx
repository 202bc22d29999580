import type { Metadata } from 'next';
import { LoadedTable } from '@/components/data-table.tsx';
import { FilterForm, FilterInput } from '@/components/filter-form.tsx';
import { pageOf, param } from '@/components/pagination.tsx';
import { EmptyState, Mono, PageHeader } from '@/components/ui.tsx';
import { load } from '@/lib/admin-api.ts';
import { formatDateTime } from '@/lib/format.ts';
import type { AuthorityPageProps } from '@/lib/page-props.ts';

export const metadata: Metadata = { title: 'Audit log' };

export default async function AuditPage({ params, searchParams }: AuthorityPageProps) {
  const { server, authority } = await params;
  const sp = await searchParams;
  const action = param(sp, 'action');
  const actor = param(sp, 'actor');
  const audit = await load(server, 'listAudit', { params: { authority }, query: { action, actor, cursor: pageOf(sp).cursor, limit: 50 } });
  const base = `/${server}/${authority}`;
  return (
    <>
      <PageHeader title="Audit log" description="Every administrative action in this authority, append-only, newest first." />
      <FilterForm action={`${base}/audit`} label="Filter the audit log">
        <FilterInput name="action" label="Action" defaultValue={action} placeholder="device.revoke" />
        <FilterInput name="actor" label="Actor (e-mail)" defaultValue={actor} />
      </FilterForm>
      <LoadedTable
        result={audit}
        label="Audit log"
        columns={[
          { header: 'When', className: 'whitespace-nowrap', cell: (e) => formatDateTime(e.at) },
          { header: 'Actor', className: 'max-w-[14rem] break-all', cell: (e) => e.actor ?? 'system' },
          { header: 'Action', cell: (e) => <Mono>{e.action}</Mono> },
          { header: 'Target', from: 'sm', className: 'max-w-[14rem]', cell: (e) => (e.target ? <Mono>{e.target}</Mono> : '—') },
          {
            header: 'Details',
            from: 'md',
            className: 'max-w-md',
            cell: (e) => (e.details ? <Mono className="text-slate-500">{JSON.stringify(e.details)}</Mono> : '—'),
          },
        ]}
        empty={<EmptyState title={action || actor ? 'No entry matches these filters' : 'No administrative action yet'} />}
        pages={{ basePath: `${base}/audit`, searchParams: sp, label: 'audit entries' }}
      />
    </>
  );
}
