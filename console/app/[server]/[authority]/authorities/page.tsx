import type { Metadata } from 'next';
import { CreateAuthorityForm } from '@/components/authority-forms.tsx';
import { Disclosure } from '@/components/disclosure.tsx';
import { EmptyState, PageHeader, ProblemAlert, Table, Td, TextLink, Th, Mono } from '@/components/ui.tsx';
import { load } from '@/lib/admin-api.ts';
import { formatDateTime } from '@/lib/format.ts';
import { currentSession } from '@/lib/session.ts';
import { roleIn } from '@/lib/roles.ts';

export const metadata: Metadata = { title: 'Authorities' };

export default async function AuthoritiesPage({ params }: { params: Promise<{ server: string; authority: string }> }) {
  const { server, authority } = await params;
  const [list, session] = await Promise.all([load(server, 'listAuthorities'), currentSession(server)]);
  return (
    <>
      <PageHeader title="Authorities" description="The storefronts and brands this server hosts that you can see." />
      {session?.admin.operator ? (
        <Disclosure label="Create an authority" className="mb-6">
          <CreateAuthorityForm serverKey={server} />
        </Disclosure>
      ) : null}
      {!list.ok ? (
        <ProblemAlert problem={list.problem} />
      ) : list.data.items.length === 0 ? (
        <EmptyState title="No authorities yet" />
      ) : (
        <Table label="Authorities">
          <thead>
            <tr>
              <Th>Name</Th>
              <Th>Slug</Th>
              <Th className="hidden md:table-cell">Issuer</Th>
              <Th className="hidden sm:table-cell">Currency</Th>
              <Th className="hidden sm:table-cell">Your role</Th>
              <Th className="hidden lg:table-cell">Created</Th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {list.data.items.map((a) => (
              <tr key={a.id} aria-current={a.slug === authority ? 'true' : undefined}>
                <Td>
                  <TextLink href={`/${server}/${a.slug}/authorities/${a.slug}`}>{a.name}</TextLink>
                  {a.operator ? <p className="text-xs text-slate-500">{a.operator}</p> : null}
                </Td>
                <Td>
                  <Mono>{a.slug}</Mono>
                </Td>
                <Td className="hidden md:table-cell">
                  <Mono>{a.issuer}</Mono>
                </Td>
                <Td className="hidden sm:table-cell">{a.currency}</Td>
                <Td className="hidden sm:table-cell">{session ? (roleIn(session, a.slug) ?? '—') : '—'}</Td>
                <Td className="hidden lg:table-cell">{formatDateTime(a.createdAt)}</Td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </>
  );
}
