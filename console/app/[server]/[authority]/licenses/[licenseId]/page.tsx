import type { Metadata } from 'next';
import { TokenView } from '@/components/token-view.tsx';
import { Badge, Card, DetailsCard, Mono, PageHeader, TextLink, ProblemPage } from '@/components/ui.tsx';
import { load } from '@/lib/admin-api.ts';
import { formatDateTime } from '@/lib/format.ts';

export const metadata: Metadata = { title: 'License' };

export default async function LicensePage({ params }: { params: Promise<{ server: string; authority: string; licenseId: string }> }) {
  const { server, authority, licenseId } = await params;
  const license = await load(server, 'getLicense', { params: { authority, licenseId } });
  if (!license.ok)
    return <ProblemPage title={`License ${licenseId}`} problem={license.problem} back={{ href: `/${server}/${authority}/licenses`, label: 'All licenses' }} />;
  const l = license.data;
  const base = `/${server}/${authority}`;
  const rights = [
    l.rights.play ? 'play' : 'no play',
    l.rights.maxPlays ? `${l.rights.maxPlays} plays` : 'unlimited plays',
    l.rights.notAfter ? `until ${formatDateTime(new Date(l.rights.notAfter * 1000).toISOString())}` : 'no end date',
  ];
  return (
    <>
      <PageHeader title={`License ${l.id}`} description={l.contentTitle} />
      <div className="space-y-6">
        <DetailsCard
          title="License"
          items={[
            ['State', <Badge key="s">{l.state}</Badge>],
            [
              'Content',
              <TextLink key="c" href={`${base}/contents/${l.contentId}`}>
                {l.contentTitle}
              </TextLink>,
            ],
            [
              'User',
              <TextLink key="u" href={`${base}/users/${l.userId}`}>
                {l.username}
              </TextLink>,
            ],
            ['Device', <Mono key="d">{l.clientId}</Mono>],
            ['Rights', rights.join(' · ')],
            ['Origin', l.origin.type === 'move' ? <TextLink key="o" href={`${base}/moves/${l.origin.move}`}>{`move ${l.origin.move}`}</TextLink> : 'purchase'],
            ['Issued', formatDateTime(l.issuedAt)],
            ['Last change', formatDateTime(l.updatedAt)],
          ]}
        />
        <Card title="Token (decoded)">
          <TokenView token={l.token} label="license" />
        </Card>
      </div>
    </>
  );
}
