import type { Metadata } from 'next';
import { ActionButton } from '@/components/action-button.tsx';
import { AddPeerForm } from '@/components/add-peer-form.tsx';
import { IfCan } from '@/components/console-context.tsx';
import { actionsColumn, LoadedTable } from '@/components/data-table.tsx';
import { Disclosure } from '@/components/disclosure.tsx';
import { Badge, EmptyState, Mono, PageHeader } from '@/components/ui.tsx';
import { load } from '@/lib/admin-api.ts';
import { formatDateTime } from '@/lib/format.ts';

export const metadata: Metadata = { title: 'Peers' };

export default async function PeersPage({ params }: { params: Promise<{ server: string; authority: string }> }) {
  const { server, authority } = await params;
  const peers = await load(server, 'listPeers', { params: { authority } });
  return (
    <>
      <PageHeader
        title="Peers"
        description="Authorities this one trusts for cross-authority moves, each pinned by the thumbprint of its entity configuration key."
      />
      <IfCan name="addPeer">
        <Disclosure label="Add a peer" className="mb-6">
          <AddPeerForm />
        </Disclosure>
      </IfCan>
      <LoadedTable
        result={peers}
        label="Peers"
        columns={[
          {
            header: 'Peer',
            className: 'max-w-[18rem]',
            cell: (p) => (
              <>
                <p className="font-medium">{p.name ?? 'Peer'}</p>
                <Mono>{p.issuer}</Mono>
              </>
            ),
          },
          { header: 'Status', cell: (p) => <Badge>{p.status}</Badge> },
          { header: 'Pinned thumbprint', from: 'lg', className: 'max-w-[14rem]', cell: (p) => <Mono>{p.pinnedThumbprint}</Mono> },
          {
            header: 'Trusted keys',
            from: 'md',
            cell: (p) =>
              p.trustedKeys.length ? (
                <ul className="space-y-0.5">
                  {p.trustedKeys.map((k) => (
                    <li key={k.kid}>
                      <span className="text-xs text-slate-500">{k.use}</span> <Mono>{k.kid.slice(0, 12)}…</Mono>
                    </li>
                  ))}
                </ul>
              ) : (
                '—'
              ),
          },
          {
            header: 'Last contact',
            from: 'sm',
            cell: (p) =>
              p.lastContactAt ? (
                <>
                  <p>{formatDateTime(p.lastContactAt)}</p>
                  {p.lastOutcome ? <Badge tone={p.lastOutcome === 'ok' ? 'ok' : 'revoked'}>{p.lastOutcome}</Badge> : null}
                </>
              ) : (
                'never'
              ),
          },
          {
            ...actionsColumn,
            cell: (p) => (
              <div className="flex flex-wrap justify-end gap-2">
                <ActionButton name="refreshPeer" input={{ params: { authority, peerId: p.id } }} accessibleLabel={`Refresh ${p.name ?? p.issuer}`}>
                  Refresh
                </ActionButton>
                {p.status === 'active' ? (
                  <ActionButton
                    name="suspendPeer"
                    input={{ params: { authority, peerId: p.id } }}
                    variant="danger"
                    accessibleLabel={`Suspend ${p.name ?? p.issuer}`}
                    confirm={{
                      title: `Suspend ${p.name ?? p.issuer}?`,
                      body: 'Its envelopes are refused and no move goes to it until you resume it. Moves in flight are retried later.',
                      confirmLabel: 'Suspend peer',
                    }}
                  >
                    Suspend
                  </ActionButton>
                ) : (
                  <ActionButton
                    name="resumePeer"
                    input={{ params: { authority, peerId: p.id } }}
                    variant="primary"
                    accessibleLabel={`Resume ${p.name ?? p.issuer}`}
                  >
                    Resume
                  </ActionButton>
                )}
              </div>
            ),
          },
        ]}
        empty={<EmptyState title="No peers yet">Add a peer to let users move contents to their devices at another authority.</EmptyState>}
      />
    </>
  );
}
