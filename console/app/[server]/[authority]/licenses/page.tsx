import type { Metadata } from 'next';
import { licenseStateSchema, type LicenseState } from '@tessera/protocol';
import { FilterForm, FilterInput, FilterSelect } from '@/components/filter-form.tsx';
import { pageOf, Pagination, param, type SearchParams } from '@/components/pagination.tsx';
import { Badge, EmptyState, Mono, PageHeader, ProblemAlert, Table, Td, TextLink, Th } from '@/components/ui.tsx';
import { load } from '@/lib/admin-api.ts';
import { formatDateTime } from '@/lib/format.ts';

export const metadata: Metadata = { title: 'Licenses' };

export default async function LicensesPage({ params, searchParams }: { params: Promise<{ server: string; authority: string }>; searchParams: Promise<SearchParams> }) {
  const { server, authority } = await params;
  const sp = await searchParams;
  const stateParam = param(sp, 'state');
  const state = licenseStateSchema.safeParse(stateParam).success ? (stateParam as LicenseState) : undefined;
  const contentId = param(sp, 'contentId');
  const userId = param(sp, 'userId');
  const clientId = param(sp, 'clientId');
  const licenses = await load(server, 'listLicenses', { params: { authority }, query: { state, contentId, userId, clientId, cursor: pageOf(sp).cursor, limit: 25 } });
  const base = `/${server}/${authority}`;
  const filtered = !!(state || contentId || userId || clientId);
  return (
    <>
      <PageHeader title="Licenses" description="Every license supplied: by purchase, or carried by a copy certificate." />
      <FilterForm action={`${base}/licenses`} label="Filter licenses">
        <FilterSelect name="state" label="State" defaultValue={state} options={[{ value: '', label: 'Any state' }, ...licenseStateSchema.options.map((s) => ({ value: s, label: s }))]} />
        <FilterInput name="contentId" label="Content ID" defaultValue={contentId} placeholder="cnt_…" />
        <FilterInput name="userId" label="User ID" defaultValue={userId} placeholder="usr_…" />
        <FilterInput name="clientId" label="Device (client ID)" defaultValue={clientId} placeholder="cli_…" />
      </FilterForm>
      {!licenses.ok ? (
        <ProblemAlert problem={licenses.problem} />
      ) : licenses.data.items.length === 0 ? (
        <EmptyState title={filtered ? 'No license matches these filters' : 'No licenses yet'}>{filtered ? 'Try other filters.' : 'Licenses appear once a device acquires a content.'}</EmptyState>
      ) : (
        <>
          <Table label="Licenses">
            <thead>
              <tr>
                <Th>License</Th>
                <Th>Content</Th>
                <Th className="hidden sm:table-cell">User</Th>
                <Th className="hidden lg:table-cell">Device</Th>
                <Th>State</Th>
                <Th className="hidden md:table-cell">Origin</Th>
                <Th className="hidden md:table-cell">Issued</Th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {licenses.data.items.map((l) => (
                <tr key={l.id}>
                  <Td>
                    <TextLink href={`${base}/licenses/${l.id}`}>
                      <span className="font-mono text-xs">{l.id}</span>
                    </TextLink>
                  </Td>
                  <Td>{l.contentTitle}</Td>
                  <Td className="hidden sm:table-cell">
                    <TextLink href={`${base}/users/${l.userId}`}>{l.username}</TextLink>
                  </Td>
                  <Td className="hidden lg:table-cell">
                    <Mono>{l.clientId}</Mono>
                  </Td>
                  <Td>
                    <Badge>{l.state}</Badge>
                  </Td>
                  <Td className="hidden md:table-cell">
                    {l.origin.type === 'move' ? <TextLink href={`${base}/moves/${l.origin.move}`}>move</TextLink> : 'purchase'}
                  </Td>
                  <Td className="hidden md:table-cell">{formatDateTime(l.issuedAt)}</Td>
                </tr>
              ))}
            </tbody>
          </Table>
          <Pagination basePath={`${base}/licenses`} searchParams={sp} nextCursor={licenses.data.nextCursor} label="licenses" />
        </>
      )}
    </>
  );
}
