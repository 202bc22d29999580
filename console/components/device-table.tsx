import type { ReactNode } from 'react';
import type { z } from 'zod';
import type { adminDeviceSchema } from '@tessera/protocol';
import { ActionButton } from './action-button.tsx';
import { actionsColumn, LoadedTable, type Pages } from './data-table.tsx';
import { Badge, Mono, TextLink } from './ui.tsx';
import type { Loaded } from '@/lib/admin-api.ts';
import { formatDateTime } from '@/lib/format.ts';

type AdminDevice = z.infer<typeof adminDeviceSchema>;

/** Devices as both the devices list and a user's page show them (the latter without the user column). */
export function DeviceTable({
  devices,
  authority,
  base,
  showUser = true,
  empty,
  pages,
}: {
  devices: Loaded<{ items: AdminDevice[]; nextCursor: string | null }>;
  authority: string;
  base: string;
  showUser?: boolean;
  empty: ReactNode;
  pages: Pages;
}) {
  return (
    <LoadedTable
      result={devices}
      label="Devices"
      rowKey={(d) => d.clientId}
      columns={[
        {
          header: 'Device',
          cell: (d) => (
            <>
              <p className="font-medium">{d.label ?? 'unlabelled'}</p>
              <Mono>{d.clientId}</Mono>
            </>
          ),
        },
        showUser && { header: 'User', cell: (d) => <TextLink href={`${base}/users/${d.userId}`}>{d.username}</TextLink> },
        { header: 'Leaf ID', className: 'tabular-nums', cell: (d) => d.leafId },
        { header: 'Key thumbprint', from: 'md', className: 'max-w-[16rem]', cell: (d) => <Mono>{d.thumbprint}</Mono> },
        {
          header: 'Status',
          cell: (d) => (
            <>
              <Badge>{d.status}</Badge>
              {d.revokedAt ? <p className="mt-1 text-xs text-slate-500">{formatDateTime(d.revokedAt)}</p> : null}
            </>
          ),
        },
        { header: 'Registered', from: 'lg', cell: (d) => formatDateTime(d.registeredAt) },
        {
          ...actionsColumn,
          cell: (d) =>
            d.status === 'active' ? (
              <ActionButton
                name="revokeDevice"
                input={{ params: { authority, clientId: d.clientId } }}
                variant="danger"
                accessibleLabel={`Revoke ${d.label ?? d.clientId}`}
                confirm={{
                  title: `Revoke ${d.label ?? d.clientId}?`,
                  body: (
                    <>
                      {d.username}’s device <Mono>{d.clientId}</Mono> will be refused from now on: no new license, download or move. This cannot be undone.
                    </>
                  ),
                  confirmLabel: 'Revoke device',
                }}
              >
                Revoke
              </ActionButton>
            ) : null,
        },
      ]}
      empty={empty}
      pages={pages}
    />
  );
}
