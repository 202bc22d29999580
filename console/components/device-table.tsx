import type { z } from 'zod';
import type { adminDeviceSchema } from '@tessera/protocol';
import { ActionButton } from './action-button.tsx';
import { Badge, Mono, Table, Td, TextLink, Th } from './ui.tsx';
import { formatDateTime } from '@/lib/format.ts';

type AdminDevice = z.infer<typeof adminDeviceSchema>;

export function DeviceTable({ devices, authority, base, showUser = true }: { devices: AdminDevice[]; authority: string; base: string; showUser?: boolean }) {
  return (
    <Table label="Devices">
      <thead>
        <tr>
          <Th>Device</Th>
          {showUser ? <Th>User</Th> : null}
          <Th>Leaf ID</Th>
          <Th className="hidden md:table-cell">Key thumbprint</Th>
          <Th>Status</Th>
          <Th className="hidden lg:table-cell">Registered</Th>
          <Th>
            <span className="sr-only">Actions</span>
          </Th>
        </tr>
      </thead>
      <tbody className="divide-y divide-slate-100">
        {devices.map((d) => (
          <tr key={d.clientId}>
            <Td>
              <p className="font-medium">{d.label ?? 'unlabelled'}</p>
              <Mono>{d.clientId}</Mono>
            </Td>
            {showUser ? (
              <Td>
                <TextLink href={`${base}/users/${d.userId}`}>{d.username}</TextLink>
              </Td>
            ) : null}
            <Td className="tabular-nums">{d.leafId}</Td>
            <Td className="hidden max-w-[16rem] md:table-cell">
              <Mono>{d.thumbprint}</Mono>
            </Td>
            <Td>
              <Badge>{d.status}</Badge>
              {d.revokedAt ? <p className="mt-1 text-xs text-slate-500">{formatDateTime(d.revokedAt)}</p> : null}
            </Td>
            <Td className="hidden lg:table-cell">{formatDateTime(d.registeredAt)}</Td>
            <Td className="text-right">
              {d.status === 'active' ? (
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
              ) : null}
            </Td>
          </tr>
        ))}
      </tbody>
    </Table>
  );
}
