import type { Metadata } from 'next';
import { DeviceTable } from '@/components/device-table.tsx';
import { FilterForm, FilterInput, FilterSelect } from '@/components/filter-form.tsx';
import { pageOf, param } from '@/components/pagination.tsx';
import { SectionTabs } from '@/components/section-tabs.tsx';
import { EmptyState, PageHeader } from '@/components/ui.tsx';
import { load } from '@/lib/admin-api.ts';
import type { AuthorityPageProps } from '@/lib/page-props.ts';

export const metadata: Metadata = { title: 'Devices' };

export default async function DevicesPage({ params, searchParams }: AuthorityPageProps) {
  const { server, authority } = await params;
  const sp = await searchParams;
  const q = param(sp, 'q');
  const status = param(sp, 'status') as 'active' | 'revoked' | undefined;
  const devices = await load(server, 'listAdminDevices', { params: { authority }, query: { q, status, cursor: pageOf(sp).cursor, limit: 25 } });
  const base = `/${server}/${authority}`;
  return (
    <>
      <PageHeader title="Users and devices" description="Every device registered with this authority." />
      <SectionTabs base={base} section="users" />
      <FilterForm action={`${base}/users/devices`} label="Search devices">
        <FilterInput name="q" label="Client ID, label or user" defaultValue={q} />
        <FilterSelect
          name="status"
          label="Status"
          defaultValue={status}
          any="Any status"
          options={[
            { value: 'active', label: 'Active' },
            { value: 'revoked', label: 'Revoked' },
          ]}
        />
      </FilterForm>
      <DeviceTable
        devices={devices}
        authority={authority}
        base={base}
        empty={<EmptyState title="No devices match">Devices appear here once they register with tessera-device register.</EmptyState>}
        pages={{ basePath: `${base}/users/devices`, searchParams: sp, label: 'devices' }}
      />
    </>
  );
}
