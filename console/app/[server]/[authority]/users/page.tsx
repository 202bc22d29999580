import type { Metadata } from 'next';
import { IfCan } from '@/components/console-context.tsx';
import { Disclosure } from '@/components/disclosure.tsx';
import { FilterForm, FilterInput } from '@/components/filter-form.tsx';
import { pageOf, Pagination, param, type SearchParams } from '@/components/pagination.tsx';
import { Badge, EmptyState, PageHeader, ProblemAlert, Table, Td, TextLink, Th, Mono } from '@/components/ui.tsx';
import { CreateUserForm } from '@/components/user-forms.tsx';
import { UsersTabs } from '@/components/users-tabs.tsx';
import { load } from '@/lib/admin-api.ts';
import { formatDateTime } from '@/lib/format.ts';

export const metadata: Metadata = { title: 'Users' };

export default async function UsersPage({ params, searchParams }: { params: Promise<{ server: string; authority: string }>; searchParams: Promise<SearchParams> }) {
  const { server, authority } = await params;
  const sp = await searchParams;
  const q = param(sp, 'q');
  const users = await load(server, 'listUsers', { params: { authority }, query: { q, cursor: pageOf(sp).cursor, limit: 25 } });
  const base = `/${server}/${authority}`;
  return (
    <>
      <PageHeader title="Users and devices" description="The accounts of this authority and the devices they registered." />
      <UsersTabs base={base} />
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
      {!users.ok ? (
        <ProblemAlert problem={users.problem} />
      ) : users.data.items.length === 0 ? (
        <EmptyState title={q ? `No user matches “${q}”` : 'No users yet'}>{q ? 'Try another search.' : 'Users are created here or with tessera-server user create.'}</EmptyState>
      ) : (
        <>
          <Table label="Users">
            <thead>
              <tr>
                <Th>Username</Th>
                <Th className="hidden sm:table-cell">Name</Th>
                <Th>Status</Th>
                <Th>Active devices</Th>
                <Th className="hidden lg:table-cell">Global ID</Th>
                <Th className="hidden md:table-cell">Created</Th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {users.data.items.map((u) => (
                <tr key={u.id}>
                  <Td>
                    <TextLink href={`${base}/users/${u.id}`}>{u.username}</TextLink>
                  </Td>
                  <Td className="hidden sm:table-cell">{u.displayName ?? '—'}</Td>
                  <Td>
                    <Badge>{u.status}</Badge>
                  </Td>
                  <Td className="tabular-nums">{u.activeDevices}</Td>
                  <Td className="hidden max-w-xs lg:table-cell">
                    <Mono>{u.globalId}</Mono>
                  </Td>
                  <Td className="hidden md:table-cell">{formatDateTime(u.createdAt)}</Td>
                </tr>
              ))}
            </tbody>
          </Table>
          <Pagination basePath={`${base}/users`} searchParams={sp} nextCursor={users.data.nextCursor} label="users" />
        </>
      )}
    </>
  );
}
