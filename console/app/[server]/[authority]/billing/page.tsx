import type { Metadata } from 'next';
import { PricesForm } from '@/components/billing-forms.tsx';
import { IfCan } from '@/components/console-context.tsx';
import { DataTable } from '@/components/data-table.tsx';
import { SectionTabs } from '@/components/section-tabs.tsx';
import { Card, DetailsCard, EmptyState, PageHeader, ProblemAlert, TextLink } from '@/components/ui.tsx';
import { load } from '@/lib/admin-api.ts';
import { formatMoney } from '@/lib/format.ts';

export const metadata: Metadata = { title: 'Prices' };

export default async function PricesPage({ params }: { params: Promise<{ server: string; authority: string }> }) {
  const { server, authority } = await params;
  const prices = await load(server, 'getPrices', { params: { authority } });
  const base = `/${server}/${authority}`;
  return (
    <>
      <PageHeader
        title="Billing"
        description="Prices in integer minor units of the authority’s currency; every supply is booked in the ledger in the same transaction."
      />
      <SectionTabs base={base} section="billing" />
      {!prices.ok ? (
        <ProblemAlert problem={prices.problem} />
      ) : (
        <div className="space-y-6">
          <DetailsCard
            title="Price list"
            items={[
              ['Currency', prices.data.currency],
              ['License', formatMoney(prices.data.license, prices.data.currency)],
              ['Move', formatMoney(prices.data.move, prices.data.currency)],
              ['Federation fee', formatMoney(prices.data.federationFee, prices.data.currency)],
            ]}
          />
          <IfCan name="updatePrices">
            <Card title="Change prices">
              <PricesForm prices={prices.data} />
            </Card>
          </IfCan>
          <section aria-labelledby="overrides-heading">
            <h2 id="overrides-heading" className="mb-3 text-lg font-semibold">
              Per-content prices
            </h2>
            {prices.data.overrides.length === 0 ? (
              <EmptyState title="No content has its own price">Set one on a content’s page.</EmptyState>
            ) : (
              <DataTable
                label="Per-content prices"
                rows={prices.data.overrides}
                rowKey={(o) => o.contentId}
                columns={[
                  { header: 'Content', cell: (o) => <TextLink href={`${base}/contents/${o.contentId}`}>{o.title}</TextLink> },
                  { header: 'License', cell: (o) => (o.license === null ? 'default' : formatMoney(o.license, prices.data.currency)) },
                  { header: 'Move', cell: (o) => (o.move === null ? 'default' : formatMoney(o.move, prices.data.currency)) },
                ]}
              />
            )}
          </section>
        </div>
      )}
    </>
  );
}
