import type { Metadata } from 'next';
import { redirect } from 'next/navigation';
import { AddAdminForm, AdminRoleSelect } from '@/components/admin-forms.tsx';
import { ActionButton } from '@/components/action-button.tsx';
import { EditAuthorityForm } from '@/components/authority-forms.tsx';
import { IfCan } from '@/components/console-context.tsx';
import { actionsColumn, LoadedTable } from '@/components/data-table.tsx';
import { Card, DetailsCard, EmptyState, Mono, PageHeader, ProblemPage } from '@/components/ui.tsx';
import { load } from '@/lib/admin-api.ts';
import { formatDateTime } from '@/lib/format.ts';

export const metadata: Metadata = { title: 'Authority' };

export default async function AuthorityPage({ params }: { params: Promise<{ server: string; authority: string; slug: string }> }) {
  const { server, authority, slug } = await params;
  // Permissions are those of the authority in the URL: edit an authority from within it.
  if (slug !== authority) redirect(`/${server}/${slug}/authorities/${slug}`);
  const [a, admins] = await Promise.all([load(server, 'getAuthority', { params: { authority } }), load(server, 'listAdmins', { params: { authority } })]);
  if (!a.ok) return <ProblemPage title={'Authority'} problem={a.problem} back={{ href: `/${server}/${authority}/authorities`, label: 'All authorities' }} />;
  return (
    <>
      <PageHeader title={a.data.name} description={<Mono>{a.data.issuer}</Mono>} />
      <div className="space-y-6">
        <DetailsCard
          title="Details"
          items={[
            ['Slug', <Mono key="s">{a.data.slug}</Mono>],
            ['Issuer', <Mono key="i">{a.data.issuer}</Mono>],
            ['Operator', a.data.operator ?? '—'],
            ['Currency', a.data.currency],
            ['Device limit per user', a.data.deviceLimit],
            ['Created', formatDateTime(a.data.createdAt)],
          ]}
        />
        <IfCan name="updateAuthority">
          <Card title="Edit">
            <EditAuthorityForm authority={a.data} />
          </Card>
        </IfCan>
        <Card title="Administrators">
          <IfCan name="addAdmin">
            <div className="mb-4">
              <AddAdminForm />
            </div>
          </IfCan>
          <LoadedTable
            result={admins}
            label="Administrators"
            columns={[
              { header: 'E-mail', cell: (m) => m.email },
              { header: 'Name', from: 'sm', cell: (m) => m.name ?? '—' },
              { header: 'Role', cell: (m) => <AdminRoleSelect adminId={m.id} email={m.email} role={m.role} /> },
              { header: 'Since', from: 'md', cell: (m) => formatDateTime(m.createdAt) },
              {
                ...actionsColumn,
                cell: (m) => (
                  <ActionButton
                    name="removeAdmin"
                    input={{ params: { authority, adminId: m.id } }}
                    variant="danger"
                    accessibleLabel={`Remove ${m.email}`}
                    confirm={{ title: `Remove ${m.email}?`, body: `They lose their ${m.role} role in ${a.data.name}.`, confirmLabel: 'Remove' }}
                  >
                    Remove
                  </ActionButton>
                ),
              },
            ]}
            empty={<EmptyState title="No administrators" />}
          />
        </Card>
      </div>
    </>
  );
}
