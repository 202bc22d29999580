import type { Metadata } from 'next';
import { FilterForm, FilterInput } from '@/components/filter-form.tsx';
import { pageOf, Pagination, param, type SearchParams } from '@/components/pagination.tsx';
import { EmptyState, Mono, PageHeader, ProblemAlert, Table, Td, Th } from '@/components/ui.tsx';
import { load } from '@/lib/admin-api.ts';
import { formatDateTime } from '@/lib/format.ts';

export const metadata: Metadata = { title: 'Audit log' };

export default async function AuditPage({ params, searchParams }: { params: Promise<{ server: string; authority: string }>; searchParams: Promise<SearchParams> }) {
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
      {!audit.ok ? (
        <ProblemAlert problem={audit.problem} />
      ) : audit.data.items.length === 0 ? (
        <EmptyState title={action || actor ? 'No entry matches these filters' : 'No administrative action yet'} />
      ) : (
        <>
          <Table label="Audit log">
            <thead>
              <tr>
                <Th>When</Th>
                <Th>Actor</Th>
                <Th>Action</Th>
                <Th className="hidden sm:table-cell">Target</Th>
                <Th className="hidden md:table-cell">Details</Th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {audit.data.items.map((e) => (
                <tr key={e.id}>
                  <Td className="whitespace-nowrap">{formatDateTime(e.at)}</Td>
                  <Td className="max-w-[14rem] break-all">{e.actor ?? 'system'}</Td>
                  <Td>
                    <Mono>{e.action}</Mono>
                  </Td>
                  <Td className="hidden max-w-[14rem] sm:table-cell">{e.target ? <Mono>{e.target}</Mono> : '—'}</Td>
                  <Td className="hidden max-w-md md:table-cell">{e.details ? <Mono className="text-slate-500">{JSON.stringify(e.details)}</Mono> : '—'}</Td>
                </tr>
              ))}
            </tbody>
          </Table>
          <Pagination basePath={`${base}/audit`} searchParams={sp} nextCursor={audit.data.nextCursor} label="audit entries" />
        </>
      )}
    </>
  );
}
