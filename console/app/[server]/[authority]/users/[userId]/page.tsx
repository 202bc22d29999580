import type { Metadata } from 'next';
import { ActionButton } from '@/components/action-button.tsx';
import { DeviceTable } from '@/components/device-table.tsx';
import { pageOf, Pagination, type SearchParams } from '@/components/pagination.tsx';
import { Badge, Card, Details, EmptyState, Mono, PageHeader, ProblemAlert, TextLink } from '@/components/ui.tsx';
import { load } from '@/lib/admin-api.ts';
import { formatDateTime } from '@/lib/format.ts';

export const metadata: Metadata = { title: 'User' };

export default async function UserPage({ params, searchParams }: { params: Promise<{ server: string; authority: string; userId: string }>; searchParams: Promise<SearchParams> }) {
  const { server, authority, userId } = await params;
  const sp = await searchParams;
  const base = `/${server}/${authority}`;
  const [user, devices] = await Promise.all([
    load(server, 'getUser', { params: { authority, userId } }),
    load(server, 'listAdminDevices', { params: { authority }, query: { userId, cursor: pageOf(sp).cursor, limit: 25 } }),
  ]);
  if (!user.ok) return <ProblemAlert problem={user.problem} />;
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
        <Card title="Account">
          <Details
            items={[
              ['Status', <Badge key="s">{u.status}</Badge>],
              ['User ID', <Mono key="i">{u.id}</Mono>],
              ['Global ID', <Mono key="g">{u.globalId}</Mono>],
              ['Active devices', u.activeDevices],
              ['Created', formatDateTime(u.createdAt)],
              ['Licenses', <TextLink key="l" href={`${base}/licenses?userId=${u.id}`}>Licenses of {u.username}</TextLink>],
            ]}
          />
        </Card>
        <section aria-labelledby="devices-heading">
          <h2 id="devices-heading" className="mb-3 text-lg font-semibold text-slate-900">
            Devices
          </h2>
          {!devices.ok ? (
            <ProblemAlert problem={devices.problem} />
          ) : devices.data.items.length === 0 ? (
            <EmptyState title={`${u.username} has no device yet`} />
          ) : (
            <>
              <DeviceTable devices={devices.data.items} authority={authority} base={base} showUser={false} />
              <Pagination basePath={`${base}/users/${userId}`} searchParams={sp} nextCursor={devices.data.nextCursor} label="devices" />
            </>
          )}
        </section>
      </div>
    </>
  );
}
