import type { Metadata } from 'next';
import { IfCan } from '@/components/console-context.tsx';
import { EditContentForm } from '@/components/content-forms.tsx';
import { Badge, Card, DetailsCard, Mono, PageHeader, TextLink, ProblemPage } from '@/components/ui.tsx';
import { load } from '@/lib/admin-api.ts';
import { formatBytes, formatDateTime, formatMoney } from '@/lib/format.ts';

export const metadata: Metadata = { title: 'Content' };

export default async function ContentPage({ params }: { params: Promise<{ server: string; authority: string; contentId: string }> }) {
  const { server, authority, contentId } = await params;
  const [content, authorityInfo] = await Promise.all([
    load(server, 'getAdminContent', { params: { authority, contentId } }),
    load(server, 'getAuthority', { params: { authority } }),
  ]);
  if (!content.ok)
    return <ProblemPage title={'Content'} problem={content.problem} back={{ href: `/${server}/${authority}/contents`, label: 'All contents' }} />;
  const c = content.data;
  const currency = authorityInfo.ok ? authorityInfo.data.currency : 'EUR';
  const base = `/${server}/${authority}`;
  return (
    <>
      <PageHeader title={c.title} description={c.description ?? undefined} />
      <div className="space-y-6">
        <DetailsCard
          title="Details"
          items={[
            ['Content ID', <Mono key="id">{c.id}</Mono>],
            ['Status', <Badge key="st">{c.status}</Badge>],
            [
              'Published by',
              c.originIssuer ? <span key="o">{c.originIssuer} (arrived by a cross-authority move; no package is kept here)</span> : 'this authority',
            ],
            ['Media type', c.mediaType],
            ['Size', `${formatBytes(c.size)} (${c.size.toLocaleString('en-GB')} bytes)`],
            ['SHA-256 of the file', <Mono key="d">{c.sha256}</Mono>],
            ['Package size', `${formatBytes(c.packageSize)} (${c.packageSize.toLocaleString('en-GB')} bytes, encrypted)`],
            ['SHA-256 of the package', <Mono key="pd">{c.packageSha256}</Mono>],
            ['Downloads', c.downloads],
            ['Licenses', <TextLink key="l" href={`${base}/licenses?contentId=${c.id}`}>{`${c.licenses} license${c.licenses === 1 ? '' : 's'}`}</TextLink>],
            ['License price', c.licensePrice === null ? 'authority default' : formatMoney(c.licensePrice, currency)],
            ['Move price', c.movePrice === null ? 'authority default' : formatMoney(c.movePrice, currency)],
            ['Added', formatDateTime(c.createdAt)],
          ]}
        />
        <IfCan name="updateContent">
          <Card title="Edit">
            <EditContentForm content={c} currency={currency} />
          </Card>
        </IfCan>
      </div>
    </>
  );
}
