import type { Metadata } from 'next';
import { CreateAuthorityForm } from '@/components/authority-forms.tsx';
import { LoadedTable } from '@/components/data-table.tsx';
import { Disclosure } from '@/components/disclosure.tsx';
import { EmptyState, PageHeader, TextLink, Mono } from '@/components/ui.tsx';
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
      <LoadedTable
        result={list}
        label="Authorities"
        current={(a) => a.slug === authority}
        columns={[
          {
            header: 'Name',
            cell: (a) => (
              <>
                <TextLink href={`/${server}/${a.slug}/authorities/${a.slug}`}>{a.name}</TextLink>
                {a.operator ? <p className="text-xs text-slate-500">{a.operator}</p> : null}
              </>
            ),
          },
          { header: 'Slug', cell: (a) => <Mono>{a.slug}</Mono> },
          { header: 'Issuer', from: 'md', cell: (a) => <Mono>{a.issuer}</Mono> },
          { header: 'Currency', from: 'sm', cell: (a) => a.currency },
          { header: 'Your role', from: 'sm', cell: (a) => (session ? (roleIn(session, a.slug) ?? '—') : '—') },
          { header: 'Created', from: 'lg', cell: (a) => formatDateTime(a.createdAt) },
        ]}
        empty={<EmptyState title="No authorities yet" />}
      />
    </>
  );
}
