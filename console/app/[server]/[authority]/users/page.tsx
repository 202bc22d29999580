import type { Metadata } from 'next';
import { IfCan } from '@/components/console-context.tsx';
import { LoadedTable } from '@/components/data-table.tsx';
import { Disclosure } from '@/components/disclosure.tsx';
import { FilterForm, FilterInput } from '@/components/filter-form.tsx';
import { pageOf, param } from '@/components/pagination.tsx';
import { SectionTabs } from '@/components/section-tabs.tsx';
import { Badge, EmptyState, PageHeader, TextLink, Mono } from '@/components/ui.tsx';
import { CreateUserForm } from '@/components/user-forms.tsx';
import { load } from '@/lib/admin-api.ts';
import { formatDateTime } from '@/lib/format.ts';
import type { AuthorityPageProps } from '@/lib/page-props.ts';

export const metadata: Metadata = { title: 'Users' };

export default async function UsersPage({ params, searchParams }: AuthorityPageProps) {
  const { server, authority } = await params;
  const sp = await searchParams;
  const q = param(sp, 'q');
  const users = await load(server, 'listUsers', { params: { authority }, query: { q, cursor: pageOf(sp).cursor, limit: 25 } });
  const base = `/${server}/${authority}`;
  return (
    <>
      <PageHeader title="Users and devices" description="The accounts of this authority and the devices they registered." />
      <SectionTabs base={base} section="users" />
      <div className="flex flex-wrap items-start justify-between gap-3">
        <FilterForm action={`${base}/users`} label="Search users">
          <FilterInput name="q" label="Username or name" defaultValue={q} placeholder="alice" />
        </FilterForm>
        <IfCan name="createUser">
          <Disclosure label="Create a user" variant="secondary" className="mb-4">
            <CreateUserForm />
          </Disclosure>
        </IfCan>
      </div>
      <LoadedTable
        result={users}
        label="Users"
        columns={[
          { header: 'Username', cell: (u) => <TextLink href={`${base}/users/${u.id}`}>{u.username}</TextLink> },
          { header: 'Name', from: 'sm', cell: (u) => u.displayName ?? '—' },
          { header: 'Status', cell: (u) => <Badge>{u.status}</Badge> },
          { header: 'Active devices', className: 'tabular-nums', cell: (u) => u.activeDevices },
          { header: 'Global ID', from: 'lg', className: 'max-w-xs', cell: (u) => <Mono>{u.globalId}</Mono> },
          { header: 'Created', from: 'md', cell: (u) => formatDateTime(u.createdAt) },
        ]}
        empty={
          <EmptyState title={q ? `No user matches “${q}”` : 'No users yet'}>
            {q ? 'Try another search.' : 'Users are created here or with tessera-server user create.'}
          </EmptyState>
        }
        pages={{ basePath: `${base}/users`, searchParams: sp, label: 'users' }}
      />
    </>
  );
}
