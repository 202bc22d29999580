import type { Metadata } from 'next';
import { IfCan } from '@/components/console-context.tsx';
import { LoadedTable } from '@/components/data-table.tsx';
import { Disclosure } from '@/components/disclosure.tsx';
import { FilterForm, FilterInput, FilterSelect } from '@/components/filter-form.tsx';
import { pageOf, param } from '@/components/pagination.tsx';
import { Badge, EmptyState, Mono, PageHeader, TextLink } from '@/components/ui.tsx';
import { UploadForm } from '@/components/upload-form.tsx';
import { load } from '@/lib/admin-api.ts';
import { formatBytes, formatDateTime } from '@/lib/format.ts';
import type { AuthorityPageProps } from '@/lib/page-props.ts';

export const metadata: Metadata = { title: 'Contents' };

export default async function ContentsPage({ params, searchParams }: AuthorityPageProps) {
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
          any="Any status"
          options={[
            { value: 'available', label: 'Available' },
            { value: 'withdrawn', label: 'Withdrawn' },
          ]}
        />
      </FilterForm>
      <LoadedTable
        result={contents}
        label="Contents"
        columns={[
          {
            header: 'Title',
            cell: (c) => (
              <>
                <TextLink href={`${base}/contents/${c.id}`}>{c.title}</TextLink>
                <div>
                  <Mono>{c.id}</Mono>
                </div>
              </>
            ),
          },
          { header: 'Type', from: 'md', cell: (c) => c.mediaType },
          { header: 'Size', className: 'whitespace-nowrap tabular-nums', cell: (c) => formatBytes(c.size) },
          { header: 'Status', cell: (c) => <Badge>{c.status}</Badge> },
          { header: 'Downloads', from: 'sm', className: 'tabular-nums', cell: (c) => c.downloads },
          { header: 'Licenses', from: 'sm', className: 'tabular-nums', cell: (c) => c.licenses },
          { header: 'Added', from: 'lg', cell: (c) => formatDateTime(c.createdAt) },
        ]}
        empty={
          <EmptyState title={q || status ? 'No content matches' : 'No contents yet'}>
            {q || status ? 'Try other filters.' : 'Upload a file to start the catalogue.'}
          </EmptyState>
        }
        pages={{ basePath: `${base}/contents`, searchParams: sp, label: 'contents' }}
      />
    </>
  );
}
