import type { AuthorityRef } from '../authorities/authority-directory.ts';
import type { Executor } from '../storage/db.ts';
import { loadOverviewFigures } from './overview-queries.ts';

const DAY_MS = 24 * 3600 * 1000;

/**
 * The overview: totals over all time and a per-UTC-day series over the last `days` days
 * (today included), zero-filled. Revenue counts what the authority earns, in its currency.
 */
export async function overviewStats(executor: Executor, authority: AuthorityRef, days: number) {
  const today = new Date(`${new Date().toISOString().slice(0, 10)}T00:00:00Z`);
  const since = new Date(today.getTime() - (days - 1) * DAY_MS);
  const figures = await loadOverviewFigures(executor, authority, since);
  const byDay = (rows: { day: string; n: number }[]) => new Map(rows.map((r) => [r.day, Number(r.n)]));
  const [l, m, d, r] = [byDay(figures.licenseDays), byDay(figures.moveDays), byDay(figures.deviceDays), byDay(figures.revenueDays)];
  const daily = Array.from({ length: days }, (_, i) => {
    const day = new Date(since.getTime() + i * DAY_MS).toISOString().slice(0, 10);
    return { day, licenses: l.get(day) ?? 0, moves: m.get(day) ?? 0, devices: d.get(day) ?? 0, revenue: r.get(day) ?? 0 };
  });
  const first = (rows: { n: number }[]) => Number(rows[0]?.n ?? 0);
  return {
    currency: figures.currency,
    totals: {
      users: first(figures.userCount),
      activeDevices: first(figures.deviceCount),
      contents: first(figures.contentCount),
      activeLicenses: first(figures.licenseCount),
      moves: first(figures.moveCount),
      revenue: first(figures.revenue),
    },
    daily,
    movesByPeer: figures.peerMoves.map((p) => ({ peer: p.peer, moves: Number(p.moves) })),
  };
}
