import type { Metadata } from 'next';
import { jwkThumbprint } from '@tessera/protocol';
import { ActionButton } from '@/components/action-button.tsx';
import { actionsColumn, LoadedTable } from '@/components/data-table.tsx';
import { Badge, EmptyState, Mono, PageHeader } from '@/components/ui.tsx';
import { load } from '@/lib/admin-api.ts';
import { formatDateTime } from '@/lib/format.ts';

export const metadata: Metadata = { title: 'Keys' };

export default async function KeysPage({ params }: { params: Promise<{ server: string; authority: string }> }) {
  const { server, authority } = await params;
  const keys = await load(server, 'listKeys', { params: { authority } });
  const rows = keys.ok
    ? { ok: true as const, data: { items: await Promise.all(keys.data.items.map(async (k) => ({ ...k, thumbprint: await jwkThumbprint(k.publicKey) }))) } }
    : keys;
  // Tessera's kids are the thumbprints; a column of its own only when some key differs.
  const showKid = rows.ok && rows.data.items.some((k) => k.kid !== k.thumbprint);
  return (
    <>
      <PageHeader
        title="Keys"
        description="The authority’s signing (ES256) and encryption (ECDH-ES) keys. Rotation promotes the published next key, retires the active one and publishes a fresh next key, so devices and peers in flight keep verifying."
        actions={
          <ActionButton
            name="rotateKeys"
            input={{ params: { authority }, body: { use: 'both' } }}
            variant="primary"
            size="md"
            confirm={{
              title: 'Rotate the keys?',
              body: 'The next signing and encryption keys become active; the active ones are retired but stay published for verification. Peers pick the new keys up from the entity configuration.',
              confirmLabel: 'Rotate keys',
            }}
          >
            Rotate keys
          </ActionButton>
        }
      />
      <LoadedTable
        result={rows}
        label="Keys"
        rowKey={(k) => k.kid}
        columns={[
          { header: 'Use', cell: (k) => (k.use === 'sig' ? 'signing' : 'encryption') },
          { header: 'Status', cell: (k) => <Badge>{k.status}</Badge> },
          { header: 'Thumbprint (RFC 7638)', className: 'max-w-[18rem]', cell: (k) => <Mono>{k.thumbprint}</Mono> },
          showKid && { header: 'Key ID', from: 'lg', className: 'max-w-[16rem]', cell: (k) => <Mono>{k.kid}</Mono> },
          { header: 'Created', from: 'md', cell: (k) => formatDateTime(k.createdAt) },
          { header: 'Active since', from: 'md', cell: (k) => formatDateTime(k.activatedAt) },
          { header: 'Retired', from: 'md', cell: (k) => formatDateTime(k.retiredAt) },
          {
            ...actionsColumn,
            cell: (k) =>
              k.status === 'active' ? (
                <ActionButton
                  name="retireKey"
                  input={{ params: { authority, kid: k.kid } }}
                  variant="danger"
                  accessibleLabel={`Retire ${k.use === 'sig' ? 'signing' : 'encryption'} key ${k.kid}`}
                  confirm={{
                    title: 'Retire this key?',
                    body: (
                      <>
                        The key <Mono>{k.thumbprint}</Mono> stops being used and the next key of its kind takes over; it stays published so what it signed still
                        verifies.
                      </>
                    ),
                    confirmLabel: 'Retire key',
                  }}
                >
                  Retire
                </ActionButton>
              ) : k.status === 'retired' || k.status === 'next' ? (
                <ActionButton
                  name="revokeKey"
                  input={{ params: { authority, kid: k.kid } }}
                  variant="danger"
                  accessibleLabel={`Revoke ${k.use === 'sig' ? 'signing' : 'encryption'} key ${k.kid}`}
                  confirm={{
                    title: 'Revoke this key?',
                    body: 'It is withdrawn from the key set: nothing it signed verifies any more. Do this only for a compromised key.',
                    confirmLabel: 'Revoke key',
                  }}
                >
                  Revoke
                </ActionButton>
              ) : null,
          },
        ]}
        empty={<EmptyState title="No keys" />}
      />
    </>
  );
}
