import type { Metadata } from 'next';
import { moveStateSchema, type MoveState } from '@tessera/protocol';
import { FilterForm, FilterInput, FilterSelect } from '@/components/filter-form.tsx';
import { pageOf, Pagination, param, type SearchParams } from '@/components/pagination.tsx';
import { Badge, EmptyState, Mono, PageHeader, ProblemAlert, Table, Td, TextLink, Th } from '@/components/ui.tsx';
import { load } from '@/lib/admin-api.ts';
import { formatDateTime } from '@/lib/format.ts';

export const metadata: Metadata = { title: 'Moves' };

export default async function MovesPage({ params, searchParams }: { params: Promise<{ server: string; authority: string }>; searchParams: Promise<SearchParams> }) {
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
        <FilterSelect name="state" label="State" defaultValue={state} options={[{ value: '', label: 'Any state' }, ...moveStateSchema.options.map((s) => ({ value: s, label: s }))]} />
        <FilterInput name="contentId" label="Content ID" defaultValue={contentId} placeholder="cnt_…" />
        <FilterInput name="userId" label="User ID" defaultValue={userId} placeholder="usr_…" />
      </FilterForm>
      {!moves.ok ? (
        <ProblemAlert problem={moves.problem} />
      ) : moves.data.items.length === 0 ? (
        <EmptyState title={filtered ? 'No move matches these filters' : 'No moves yet'}>{filtered ? 'Try other filters.' : 'Moves appear when a device moves a content with tessera-device move.'}</EmptyState>
      ) : (
        <>
          <Table label="Moves">
            <thead>
              <tr>
                <Th>Move</Th>
                <Th>State</Th>
                <Th className="hidden sm:table-cell">Content</Th>
                <Th className="hidden md:table-cell">From</Th>
                <Th className="hidden md:table-cell">To</Th>
                <Th className="hidden lg:table-cell">Our role</Th>
                <Th className="hidden sm:table-cell">Started</Th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {moves.data.items.map((m) => (
                <tr key={m.id}>
                  <Td>
                    <TextLink href={`${base}/moves/${m.id}`}>
                      <span className="font-mono text-xs">{m.id}</span>
                    </TextLink>
                  </Td>
                  <Td>
                    <Badge>{m.state}</Badge>
                  </Td>
                  <Td className="hidden sm:table-cell">
                    <Mono>{m.contentId}</Mono>
                  </Td>
                  <Td className="hidden max-w-[14rem] md:table-cell">
                    <Mono>{side(m.source.authority)}</Mono>
                  </Td>
                  <Td className="hidden max-w-[14rem] md:table-cell">
                    <Mono>{side(m.destination.authority)}</Mono>
                  </Td>
                  <Td className="hidden lg:table-cell">{m.role}</Td>
                  <Td className="hidden sm:table-cell">{formatDateTime(m.createdAt)}</Td>
                </tr>
              ))}
            </tbody>
          </Table>
          <Pagination basePath={`${base}/moves`} searchParams={sp} nextCursor={moves.data.nextCursor} label="moves" />
        </>
      )}
    </>
  );
}
