import type { Metadata } from 'next';
import { decodeJwsUnverified } from '@tessera/protocol';
import { TokenView } from '@/components/token-view.tsx';
import { Badge, Card, Details, EmptyState, Mono, PageHeader, TextLink, ProblemPage } from '@/components/ui.tsx';
import { load } from '@/lib/admin-api.ts';
import { formatDateTime } from '@/lib/format.ts';

export const metadata: Metadata = { title: 'Move' };

function nestedLicense(certificate: string | null): string | null {
  if (!certificate) return null;
  try {
    const license = decodeJwsUnverified(certificate).payload.license;
    return typeof license === 'string' ? license : null;
  } catch {
    return null;
  }
}

export default async function MovePage({ params }: { params: Promise<{ server: string; authority: string; moveId: string }> }) {
  const { server, authority, moveId } = await params;
  const [move, authorityInfo] = await Promise.all([
    load(server, 'getMove', { params: { authority, moveId } }),
    load(server, 'getAuthority', { params: { authority } }),
  ]);
  if (!move.ok) return <ProblemPage title={`Move ${moveId}`} problem={move.problem} back={{ href: `/${server}/${authority}/moves`, label: 'All moves' }} />;
  const m = move.data;
  const issuer = authorityInfo.ok ? authorityInfo.data.issuer : '';
  const base = `/${server}/${authority}`;
  const here = (iss: string) => (iss === issuer ? ' (this authority)' : '');
  const license = nestedLicense(m.certificate);
  const licenseLink = (iss: string, id: string | null) =>
    id ? iss === issuer ? <TextLink href={`${base}/licenses/${id}`}>{id}</TextLink> : <Mono>{id}</Mono> : '—';
  const party = (title: string, p: { authority: string; clientId: string; licenseId: string | null }) => (
    <section aria-label={title}>
      <h3 className="mb-2 text-sm font-semibold text-slate-900">{title}</h3>
      <Details
        items={[
          ['Authority', <Mono key="a">{p.authority + here(p.authority)}</Mono>],
          ['Device', <Mono key="c">{p.clientId}</Mono>],
          ['License', licenseLink(p.authority, p.licenseId)],
        ]}
      />
    </section>
  );
  return (
    <>
      <PageHeader
        title={`Move ${m.id}`}
        description={
          <>
            Content <Mono>{m.contentId}</Mono>
          </>
        }
      />
      <div className="space-y-6">
        <div className="grid grid-cols-1 gap-6 lg:grid-cols-3">
          <Card title="Timeline" className="lg:col-span-1">
            {m.events.length === 0 ? (
              <p className="text-sm text-slate-500">No recorded state changes.</p>
            ) : (
              <ol className="relative space-y-4 border-l border-slate-200 pl-5" aria-label="Move states over time">
                {m.events.map((e, i) => (
                  <li key={i} className="relative">
                    <span className="absolute top-1.5 -left-[1.6rem] h-2.5 w-2.5 rounded-full bg-indigo-500 ring-4 ring-white" aria-hidden="true" />
                    <p>
                      <Badge>{e.state}</Badge>{' '}
                      <time dateTime={e.at} className="ml-1 text-xs text-slate-500">
                        {formatDateTime(e.at)}
                      </time>
                    </p>
                    {e.note ? <p className="mt-1 text-sm text-slate-700">{e.note}</p> : null}
                  </li>
                ))}
              </ol>
            )}
          </Card>
          <Card title="Parties" className="lg:col-span-2">
            <div className="grid grid-cols-1 gap-6 md:grid-cols-2">
              {party('Source', m.source)}
              {party('Destination', m.destination)}
            </div>
            <div className="mt-6 border-t border-slate-100 pt-4">
              <Details
                items={[
                  ['State', <Badge key="s">{m.state}</Badge>],
                  ['This authority is', m.role],
                  [
                    'User',
                    <TextLink key="u" href={`${base}/users/${m.userId}`}>
                      {m.userId}
                    </TextLink>,
                  ],
                  ['Certificate signed by', m.signedBy ? <Mono key="sb">{m.signedBy}</Mono> : 'not yet signed'],
                  ['Started', formatDateTime(m.createdAt)],
                  ['Last change', formatDateTime(m.updatedAt)],
                ]}
              />
            </div>
          </Card>
        </div>
        <Card title="Copy certificate (decoded)">
          {m.certificate ? (
            <TokenView token={m.certificate} label="copy certificate" />
          ) : (
            <EmptyState title="No certificate">The move has not been signed yet, or it was aborted.</EmptyState>
          )}
        </Card>
        {license ? (
          <Card title="Destination license carried by the certificate">
            <TokenView token={license} label="destination license" />
          </Card>
        ) : null}
      </div>
    </>
  );
}
