import type { Metadata } from 'next';
import { jwkThumbprint } from '@tessera/protocol';
import { ActionButton } from '@/components/action-button.tsx';
import { Badge, EmptyState, Mono, PageHeader, ProblemAlert, Table, Td, Th } from '@/components/ui.tsx';
import { load } from '@/lib/admin-api.ts';
import { formatDateTime } from '@/lib/format.ts';

export const metadata: Metadata = { title: 'Keys' };

export default async function KeysPage({ params }: { params: Promise<{ server: string; authority: string }> }) {
  const { server, authority } = await params;
  const keys = await load(server, 'listKeys', { params: { authority } });
  const rows = keys.ok ? await Promise.all(keys.data.items.map(async (k) => ({ ...k, thumbprint: await jwkThumbprint(k.publicKey) }))) : [];
  // Tessera's kids are the thumbprints; a column of its own only when some key differs.
  const showKid = rows.some((k) => k.kid !== k.thumbprint);
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
      {!keys.ok ? (
        <ProblemAlert problem={keys.problem} />
      ) : rows.length === 0 ? (
        <EmptyState title="No keys" />
      ) : (
        <Table label="Keys">
          <thead>
            <tr>
              <Th>Use</Th>
              <Th>Status</Th>
              <Th>Thumbprint (RFC 7638)</Th>
              {showKid ? <Th className="hidden lg:table-cell">Key ID</Th> : null}
              <Th className="hidden md:table-cell">Created</Th>
              <Th className="hidden md:table-cell">Active since</Th>
              <Th className="hidden md:table-cell">Retired</Th>
              <Th>
                <span className="sr-only">Actions</span>
              </Th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {rows.map((k) => (
              <tr key={k.kid}>
                <Td>{k.use === 'sig' ? 'signing' : 'encryption'}</Td>
                <Td>
                  <Badge>{k.status}</Badge>
                </Td>
                <Td className="max-w-[18rem]">
                  <Mono>{k.thumbprint}</Mono>
                </Td>
                {showKid ? (
                  <Td className="hidden max-w-[16rem] lg:table-cell">
                    <Mono>{k.kid}</Mono>
                  </Td>
                ) : null}
                <Td className="hidden md:table-cell">{formatDateTime(k.createdAt)}</Td>
                <Td className="hidden md:table-cell">{formatDateTime(k.activatedAt)}</Td>
                <Td className="hidden md:table-cell">{formatDateTime(k.retiredAt)}</Td>
                <Td className="text-right">
                  {k.status === 'active' ? (
                    <ActionButton
                      name="retireKey"
                      input={{ params: { authority, kid: k.kid } }}
                      variant="danger"
                      accessibleLabel={`Retire ${k.use === 'sig' ? 'signing' : 'encryption'} key ${k.kid}`}
                      confirm={{ title: 'Retire this key?', body: <>The key <Mono>{k.thumbprint}</Mono> stops being used and the next key of its kind takes over; it stays published so what it signed still verifies.</>, confirmLabel: 'Retire key' }}
                    >
                      Retire
                    </ActionButton>
                  ) : k.status === 'retired' || k.status === 'next' ? (
                    <ActionButton
                      name="revokeKey"
                      input={{ params: { authority, kid: k.kid } }}
                      variant="danger"
                      accessibleLabel={`Revoke ${k.use === 'sig' ? 'signing' : 'encryption'} key ${k.kid}`}
                      confirm={{ title: 'Revoke this key?', body: 'It is withdrawn from the key set: nothing it signed verifies any more. Do this only for a compromised key.', confirmLabel: 'Revoke key' }}
                    >
                      Revoke
                    </ActionButton>
                  ) : null}
                </Td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </>
  );
}
