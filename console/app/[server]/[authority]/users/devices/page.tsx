import type { Metadata } from 'next';
import { DeviceTable } from '@/components/device-table.tsx';
import { FilterForm, FilterInput, FilterSelect } from '@/components/filter-form.tsx';
import { pageOf, Pagination, param, type SearchParams } from '@/components/pagination.tsx';
import { EmptyState, PageHeader, ProblemAlert } from '@/components/ui.tsx';
import { UsersTabs } from '@/components/users-tabs.tsx';
import { load } from '@/lib/admin-api.ts';

export const metadata: Metadata = { title: 'Devices' };

export default async function DevicesPage({ params, searchParams }: { params: Promise<{ server: string; authority: string }>; searchParams: Promise<SearchParams> }) {
  const { server, authority } = await params;
  const sp = await searchParams;
  const q = param(sp, 'q');
  const status = param(sp, 'status') as 'active' | 'revoked' | undefined;
  const devices = await load(server, 'listAdminDevices', { params: { authority }, query: { q, status, cursor: pageOf(sp).cursor, limit: 25 } });
  const base = `/${server}/${authority}`;
  return (
    <>
      <PageHeader title="Users and devices" description="Every device registered with this authority." />
      <UsersTabs base={base} />
      <FilterForm action={`${base}/users/devices`} label="Search devices">
        <FilterInput name="q" label="Client ID, label or user" defaultValue={q} />
        <FilterSelect
          name="status"
          label="Status"
          defaultValue={status}
          options={[
            { value: '', label: 'Any status' },
            { value: 'active', label: 'Active' },
            { value: 'revoked', label: 'Revoked' },
          ]}
        />
      </FilterForm>
      {!devices.ok ? (
        <ProblemAlert problem={devices.problem} />
      ) : devices.data.items.length === 0 ? (
        <EmptyState title="No devices match">Devices appear here once they register with tessera-device register.</EmptyState>
      ) : (
        <>
          <DeviceTable devices={devices.data.items} authority={authority} base={base} />
          <Pagination basePath={`${base}/users/devices`} searchParams={sp} nextCursor={devices.data.nextCursor} label="devices" />
        </>
      )}
    </>
  );
}
