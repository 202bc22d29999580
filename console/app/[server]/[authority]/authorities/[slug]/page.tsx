import type { Metadata } from 'next';
import { redirect } from 'next/navigation';
import { AddAdminForm, AdminRoleSelect } from '@/components/admin-forms.tsx';
import { ActionButton } from '@/components/action-button.tsx';
import { EditAuthorityForm } from '@/components/authority-forms.tsx';
import { IfCan } from '@/components/console-context.tsx';
import { Card, Details, EmptyState, Mono, PageHeader, ProblemAlert, Table, Td, Th, ProblemPage } from '@/components/ui.tsx';
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
        <Card title="Details">
          <Details
            items={[
              ['Slug', <Mono key="s">{a.data.slug}</Mono>],
              ['Issuer', <Mono key="i">{a.data.issuer}</Mono>],
              ['Operator', a.data.operator ?? '—'],
              ['Currency', a.data.currency],
              ['Device limit per user', a.data.deviceLimit],
              ['Created', formatDateTime(a.data.createdAt)],
            ]}
          />
        </Card>
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
          {!admins.ok ? (
            <ProblemAlert problem={admins.problem} />
          ) : admins.data.items.length === 0 ? (
            <EmptyState title="No administrators" />
          ) : (
            <Table label="Administrators">
              <thead>
                <tr>
                  <Th>E-mail</Th>
                  <Th className="hidden sm:table-cell">Name</Th>
                  <Th>Role</Th>
                  <Th className="hidden md:table-cell">Since</Th>
                  <Th>
                    <span className="sr-only">Actions</span>
                  </Th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100">
                {admins.data.items.map((m) => (
                  <tr key={m.id}>
                    <Td>{m.email}</Td>
                    <Td className="hidden sm:table-cell">{m.name ?? '—'}</Td>
                    <Td>
                      <AdminRoleSelect adminId={m.id} email={m.email} role={m.role} />
                    </Td>
                    <Td className="hidden md:table-cell">{formatDateTime(m.createdAt)}</Td>
                    <Td className="text-right">
                      <ActionButton
                        name="removeAdmin"
                        input={{ params: { authority, adminId: m.id } }}
                        variant="danger"
                        accessibleLabel={`Remove ${m.email}`}
                        confirm={{ title: `Remove ${m.email}?`, body: `They lose their ${m.role} role in ${a.data.name}.`, confirmLabel: 'Remove' }}
                      >
                        Remove
                      </ActionButton>
                    </Td>
                  </tr>
                ))}
              </tbody>
            </Table>
          )}
        </Card>
      </div>
    </>
  );
}
