import type { Metadata } from 'next';
import Link from 'next/link';
import { DailyBarChart, HorizontalBars } from '@/components/charts.tsx';
import { param, type SearchParams } from '@/components/pagination.tsx';
import { PageHeader, ProblemAlert, Stat, buttonClass, cx } from '@/components/ui.tsx';
import { load } from '@/lib/admin-api.ts';
import { formatMoney, formatNumber } from '@/lib/format.ts';

export const metadata: Metadata = { title: 'Overview' };
const RANGES = [7, 30, 90] as const;

export default async function OverviewPage({
  params,
  searchParams,
}: {
  params: Promise<{ server: string; authority: string }>;
  searchParams: Promise<SearchParams>;
}) {
  const { server, authority } = await params;
  const sp = await searchParams;
  const days = RANGES.find((d) => String(d) === param(sp, 'days')) ?? 30;
  const stats = await load(server, 'getStats', { params: { authority }, query: { days } });
  const base = `/${server}/${authority}`;
  return (
    <>
      <PageHeader
        title="Overview"
        description="Totals over all time; daily series in UTC."
        actions={
          <nav aria-label="Period" className="flex gap-1">
            {RANGES.map((d) => (
              <Link
                key={d}
                href={`${base}?days=${d}`}
                aria-current={d === days ? 'page' : undefined}
                className={cx(buttonClass(d === days ? 'primary' : 'secondary', 'sm'))}
              >
                {d} days
              </Link>
            ))}
          </nav>
        }
      />
      {!stats.ok ? (
        <ProblemAlert problem={stats.problem} />
      ) : (
        <div className="space-y-6">
          <dl className="grid grid-cols-2 gap-3 md:grid-cols-3 xl:grid-cols-6" aria-label="Totals">
            <Stat label="Users" value={formatNumber(stats.data.totals.users)} />
            <Stat label="Active devices" value={formatNumber(stats.data.totals.activeDevices)} />
            <Stat label="Contents" value={formatNumber(stats.data.totals.contents)} />
            <Stat label="Active licenses" value={formatNumber(stats.data.totals.activeLicenses)} />
            <Stat label="Moves" value={formatNumber(stats.data.totals.moves)} />
            <Stat label="Revenue" value={formatMoney(stats.data.totals.revenue, stats.data.currency)} />
          </dl>
          <div className="grid grid-cols-1 gap-4 xl:grid-cols-2">
            <DailyBarChart title="Licenses per day" points={stats.data.daily.map((d) => ({ label: d.day, value: d.licenses }))} />
            <DailyBarChart title="Moves per day" color="fill-teal-500" points={stats.data.daily.map((d) => ({ label: d.day, value: d.moves }))} />
            <DailyBarChart
              title="Revenue per day"
              color="fill-emerald-500"
              format={(n) => formatMoney(n, stats.data.currency)}
              minScale={100}
              points={stats.data.daily.map((d) => ({ label: d.day, value: d.revenue }))}
            />
            <DailyBarChart title="Devices registered per day" color="fill-sky-500" points={stats.data.daily.map((d) => ({ label: d.day, value: d.devices }))} />
          </div>
          <HorizontalBars
            title="Moves by peer authority"
            points={stats.data.movesByPeer.map((p) => ({ label: p.peer, value: p.moves }))}
            empty="No move across authorities yet."
          />
        </div>
      )}
    </>
  );
}
