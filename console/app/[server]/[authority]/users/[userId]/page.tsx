import type { Metadata } from 'next';
import { ActionButton } from '@/components/action-button.tsx';
import { IfCan } from '@/components/console-context.tsx';
import { CreateLinkForm } from '@/components/user-forms.tsx';
import { actionsColumn, LoadedTable } from '@/components/data-table.tsx';
import { DeviceTable } from '@/components/device-table.tsx';
import { pageOf } from '@/components/pagination.tsx';
import { Badge, DetailsCard, EmptyState, Mono, PageHeader, TextLink, ProblemPage } from '@/components/ui.tsx';
import { load } from '@/lib/admin-api.ts';
import { formatDateTime } from '@/lib/format.ts';
import type { AuthorityPageProps } from '@/lib/page-props.ts';

export const metadata: Metadata = { title: 'User' };

export default async function UserPage({ params, searchParams }: AuthorityPageProps<{ userId: string }>) {
  const { server, authority, userId } = await params;
  const sp = await searchParams;
  const base = `/${server}/${authority}`;
  const [user, devices, links] = await Promise.all([
    load(server, 'getUser', { params: { authority, userId } }),
    load(server, 'listAdminDevices', { params: { authority }, query: { userId, cursor: pageOf(sp).cursor, limit: 25 } }),
    load(server, 'listUserLinks', { params: { authority, userId } }),
  ]);
  if (!user.ok) return <ProblemPage title={'User'} problem={user.problem} back={{ href: `/${server}/${authority}/users`, label: 'All users' }} />;
  const u = user.data;
  return (
    <>
      <PageHeader
        title={u.username}
        description={u.displayName ?? undefined}
        actions={
          u.status === 'active' ? (
            <ActionButton
              name="updateUser"
              input={{ params: { authority, userId }, body: { status: 'suspended' } }}
              variant="danger"
              size="md"
              confirm={{ title: `Suspend ${u.username}?`, body: 'Their devices are refused until the account is reinstated.', confirmLabel: 'Suspend user' }}
            >
              Suspend user
            </ActionButton>
          ) : (
            <ActionButton name="updateUser" input={{ params: { authority, userId }, body: { status: 'active' } }} size="md">
              Reinstate user
            </ActionButton>
          )
        }
      />
      <div className="space-y-6">
        <DetailsCard
          title="Account"
          items={[
            ['Status', <Badge key="s">{u.status}</Badge>],
            ['User ID', <Mono key="i">{u.id}</Mono>],
            ['Global ID', <Mono key="g">{u.globalId}</Mono>],
            ['Active devices', u.activeDevices],
            ['Created', formatDateTime(u.createdAt)],
            [
              'Licenses',
              <TextLink key="l" href={`${base}/licenses?userId=${u.id}`}>
                Licenses of {u.username}
              </TextLink>,
            ],
          ]}
        />
        <section aria-labelledby="devices-heading">
          <h2 id="devices-heading" className="mb-3 text-lg font-semibold text-slate-900">
            Devices
          </h2>
          <DeviceTable
            devices={devices}
            authority={authority}
            base={base}
            showUser={false}
            empty={<EmptyState title={`${u.username} has no device yet`} />}
            pages={{ basePath: `${base}/users/${userId}`, searchParams: sp, label: 'devices' }}
          />
        </section>
        <section aria-labelledby="links-heading">
          <h2 id="links-heading" className="mb-3 text-lg font-semibold text-slate-900">
            Linked accounts at peers
          </h2>
          <IfCan name="createUserLink">
            <div className="mb-4">
              <CreateLinkForm userId={userId} />
            </div>
          </IfCan>
          <LoadedTable
            result={links}
            label="Linked accounts"
            rowKey={(l) => l.linkId}
            columns={[
              { header: 'Peer authority', className: 'max-w-[16rem]', cell: (l) => <Mono>{l.peerIssuer}</Mono> },
              { header: 'Account there', className: 'max-w-[20rem]', cell: (l) => <Mono>{l.peerUser}</Mono> },
              { header: 'Linked', from: 'md', cell: (l) => formatDateTime(l.createdAt) },
              {
                ...actionsColumn,
                cell: (l) => (
                  <ActionButton
                    name="deleteUserLink"
                    input={{ params: { authority, userId, linkId: l.linkId } }}
                    variant="danger"
                    accessibleLabel={`Unlink ${l.peerUser}`}
                    confirm={{
                      title: 'Remove this link?',
                      body: 'Moves between these two accounts are refused until they are linked again.',
                      confirmLabel: 'Remove link',
                    }}
                  >
                    Unlink
                  </ActionButton>
                ),
              },
            ]}
            empty={<EmptyState title="No linked account">Moves to a peer authority need the same person’s account there to be linked.</EmptyState>}
          />
        </section>
      </div>
    </>
  );
}
