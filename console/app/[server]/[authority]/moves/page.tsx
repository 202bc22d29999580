import type { Metadata } from 'next';
import { moveStateSchema, type MoveState } from '@tessera/protocol';
import { LoadedTable } from '@/components/data-table.tsx';
import { ContentIdFilter, FilterForm, FilterSelect, UserIdFilter } from '@/components/filter-form.tsx';
import { pageOf, param } from '@/components/pagination.tsx';
import { Badge, EmptyState, Mono, PageHeader, TextLink } from '@/components/ui.tsx';
import { load } from '@/lib/admin-api.ts';
import { formatDateTime } from '@/lib/format.ts';
import type { AuthorityPageProps } from '@/lib/page-props.ts';

export const metadata: Metadata = { title: 'Moves' };

export default async function MovesPage({ params, searchParams }: AuthorityPageProps) {
  const { server, authority } = await params;
  const sp = await searchParams;
  const stateParam = param(sp, 'state');
  const state = moveStateSchema.safeParse(stateParam).success ? (stateParam as MoveState) : undefined;
  const contentId = param(sp, 'contentId');
  const userId = param(sp, 'userId');
  const [moves, authorityInfo] = await Promise.all([
    load(server, 'listMoves', { params: { authority }, query: { state, contentId, userId, cursor: pageOf(sp).cursor, limit: 25 } }),
    load(server, 'getAuthority', { params: { authority } }),
  ]);
  const issuer = authorityInfo.ok ? authorityInfo.data.issuer : '';
  const base = `/${server}/${authority}`;
  const filtered = !!(state || contentId || userId);
  const side = (iss: string) => (iss === issuer ? 'here' : iss);
  return (
    <>
      <PageHeader title="Moves" description="Copy certificates issued: within this authority and across to or from peers." />
      <FilterForm action={`${base}/moves`} label="Filter moves">
        <FilterSelect name="state" label="State" defaultValue={state} any="Any state" options={moveStateSchema.options} />
        <ContentIdFilter value={contentId} />
        <UserIdFilter value={userId} />
      </FilterForm>
      <LoadedTable
        result={moves}
        label="Moves"
        columns={[
          {
            header: 'Move',
            cell: (m) => (
              <TextLink href={`${base}/moves/${m.id}`}>
                <span className="font-mono text-xs">{m.id}</span>
              </TextLink>
            ),
          },
          { header: 'State', cell: (m) => <Badge>{m.state}</Badge> },
          { header: 'Content', from: 'sm', cell: (m) => <Mono>{m.contentId}</Mono> },
          { header: 'From', from: 'md', className: 'max-w-[14rem]', cell: (m) => <Mono>{side(m.source.authority)}</Mono> },
          { header: 'To', from: 'md', className: 'max-w-[14rem]', cell: (m) => <Mono>{side(m.destination.authority)}</Mono> },
          { header: 'Our role', from: 'lg', cell: (m) => m.role },
          { header: 'Started', from: 'sm', cell: (m) => formatDateTime(m.createdAt) },
        ]}
        empty={
          <EmptyState title={filtered ? 'No move matches these filters' : 'No moves yet'}>
            {filtered ? 'Try other filters.' : 'Moves appear when a device moves a content with tessera-device move.'}
          </EmptyState>
        }
        pages={{ basePath: `${base}/moves`, searchParams: sp, label: 'moves' }}
      />
    </>
  );
}
