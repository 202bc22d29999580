import type { Metadata } from 'next';
import { IfCan } from '@/components/console-context.tsx';
import { Disclosure } from '@/components/disclosure.tsx';
import { FilterForm, FilterInput, FilterSelect } from '@/components/filter-form.tsx';
import { pageOf, Pagination, param, type SearchParams } from '@/components/pagination.tsx';
import { Badge, EmptyState, Mono, PageHeader, ProblemAlert, Table, Td, TextLink, Th } from '@/components/ui.tsx';
import { UploadForm } from '@/components/upload-form.tsx';
import { load } from '@/lib/admin-api.ts';
import { formatBytes, formatDateTime } from '@/lib/format.ts';

export const metadata: Metadata = { title: 'Contents' };

export default async function ContentsPage({ params, searchParams }: { params: Promise<{ server: string; authority: string }>; searchParams: Promise<SearchParams> }) {
  const { server, authority } = await params;
  const sp = await searchParams;
  const q = param(sp, 'q');
  const status = param(sp, 'status') as 'available' | 'withdrawn' | undefined;
  const contents = await load(server, 'listAdminContents', { params: { authority }, query: { q, status, cursor: pageOf(sp).cursor, limit: 25 } });
  const base = `/${server}/${authority}`;
  return (
    <>
      <PageHeader title="Contents" description="The catalogue: every file is stored encrypted under its own content key." />
      <IfCan name="uploadContent">
        <Disclosure label="Upload a content" className="mb-6">
          <UploadForm />
        </Disclosure>
      </IfCan>
      <FilterForm action={`${base}/contents`} label="Search contents">
        <FilterInput name="q" label="Title or ID" defaultValue={q} />
        <FilterSelect
          name="status"
          label="Status"
          defaultValue={status}
          options={[
            { value: '', label: 'Any status' },
            { value: 'available', label: 'Available' },
            { value: 'withdrawn', label: 'Withdrawn' },
          ]}
        />
      </FilterForm>
      {!contents.ok ? (
        <ProblemAlert problem={contents.problem} />
      ) : contents.data.items.length === 0 ? (
        <EmptyState title={q || status ? 'No content matches' : 'No contents yet'}>{q || status ? 'Try other filters.' : 'Upload a file to start the catalogue.'}</EmptyState>
      ) : (
        <>
          <Table label="Contents">
            <thead>
              <tr>
                <Th>Title</Th>
                <Th className="hidden md:table-cell">Type</Th>
                <Th>Size</Th>
                <Th>Status</Th>
                <Th className="hidden sm:table-cell">Downloads</Th>
                <Th className="hidden sm:table-cell">Licenses</Th>
                <Th className="hidden lg:table-cell">Added</Th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {contents.data.items.map((c) => (
                <tr key={c.id}>
                  <Td>
                    <TextLink href={`${base}/contents/${c.id}`}>{c.title}</TextLink>
                    <div>
                      <Mono>{c.id}</Mono>
                    </div>
                  </Td>
                  <Td className="hidden md:table-cell">{c.mediaType}</Td>
                  <Td className="whitespace-nowrap tabular-nums">{formatBytes(c.size)}</Td>
                  <Td>
                    <Badge>{c.status}</Badge>
                  </Td>
                  <Td className="hidden tabular-nums sm:table-cell">{c.downloads}</Td>
                  <Td className="hidden tabular-nums sm:table-cell">{c.licenses}</Td>
                  <Td className="hidden lg:table-cell">{formatDateTime(c.createdAt)}</Td>
                </tr>
              ))}
            </tbody>
          </Table>
          <Pagination basePath={`${base}/contents`} searchParams={sp} nextCursor={contents.data.nextCursor} label="contents" />
        </>
      )}
    </>
  );
}
