import type { Metadata } from 'next';
import { licenseStateSchema, type LicenseState } from '@tessera/protocol';
import { LoadedTable } from '@/components/data-table.tsx';
import { ContentIdFilter, FilterForm, FilterInput, FilterSelect, UserIdFilter } from '@/components/filter-form.tsx';
import { pageOf, param } from '@/components/pagination.tsx';
import { Badge, EmptyState, Mono, PageHeader, TextLink } from '@/components/ui.tsx';
import { load } from '@/lib/admin-api.ts';
import { formatDateTime } from '@/lib/format.ts';
import type { AuthorityPageProps } from '@/lib/page-props.ts';

export const metadata: Metadata = { title: 'Licenses' };

export default async function LicensesPage({ params, searchParams }: AuthorityPageProps) {
  const { server, authority } = await params;
  const sp = await searchParams;
  const stateParam = param(sp, 'state');
  const state = licenseStateSchema.safeParse(stateParam).success ? (stateParam as LicenseState) : undefined;
  const contentId = param(sp, 'contentId');
  const userId = param(sp, 'userId');
  const clientId = param(sp, 'clientId');
  const licenses = await load(server, 'listLicenses', {
    params: { authority },
    query: { state, contentId, userId, clientId, cursor: pageOf(sp).cursor, limit: 25 },
  });
  const base = `/${server}/${authority}`;
  const filtered = !!(state || contentId || userId || clientId);
  return (
    <>
      <PageHeader title="Licenses" description="Every license supplied: by purchase, or carried by a copy certificate." />
      <FilterForm action={`${base}/licenses`} label="Filter licenses">
        <FilterSelect name="state" label="State" defaultValue={state} any="Any state" options={licenseStateSchema.options} />
        <ContentIdFilter value={contentId} />
        <UserIdFilter value={userId} />
        <FilterInput name="clientId" label="Device (client ID)" defaultValue={clientId} placeholder="cli_…" />
      </FilterForm>
      <LoadedTable
        result={licenses}
        label="Licenses"
        columns={[
          {
            header: 'License',
            cell: (l) => (
              <TextLink href={`${base}/licenses/${l.id}`}>
                <span className="font-mono text-xs">{l.id}</span>
              </TextLink>
            ),
          },
          { header: 'Content', cell: (l) => l.contentTitle },
          { header: 'User', from: 'sm', cell: (l) => <TextLink href={`${base}/users/${l.userId}`}>{l.username}</TextLink> },
          { header: 'Device', from: 'lg', cell: (l) => <Mono>{l.clientId}</Mono> },
          { header: 'State', cell: (l) => <Badge>{l.state}</Badge> },
          {
            header: 'Origin',
            from: 'md',
            cell: (l) => (l.origin.type === 'move' ? <TextLink href={`${base}/moves/${l.origin.move}`}>move</TextLink> : 'purchase'),
          },
          { header: 'Issued', from: 'md', cell: (l) => formatDateTime(l.issuedAt) },
        ]}
        empty={
          <EmptyState title={filtered ? 'No license matches these filters' : 'No licenses yet'}>
            {filtered ? 'Try other filters.' : 'Licenses appear once a device acquires a content.'}
          </EmptyState>
        }
        pages={{ basePath: `${base}/licenses`, searchParams: sp, label: 'licenses' }}
      />
    </>
  );
}
