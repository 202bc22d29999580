import { and, asc, eq, gte, inArray, lt, sql } from 'drizzle-orm';
import type { Executor } from '../storage/db.ts';
import { ledgerEntries, peers } from '../storage/schema.ts';
import { periodBounds } from './period.ts';

const feesOfPeriod = (authorityId: string, period: string) => {
  const { start, end } = periodBounds(period);
  return and(
    eq(ledgerEntries.authorityId, authorityId),
    inArray(ledgerEntries.kind, ['federation_fee', 'peer_fee']),
    gte(ledgerEntries.createdAt, start),
    lt(ledgerEntries.createdAt, end),
  );
};

/** The period's federation and peer fees, counted and summed per peer, currency and kind. */
export async function feeTotals(executor: Executor, authorityId: string, period: string) {
  return executor
    .select({
      counterparty: ledgerEntries.counterparty,
      currency: ledgerEntries.currency,
      kind: ledgerEntries.kind,
      count: sql<number>`count(*)::int`,
      amount: sql<number>`coalesce(sum(${ledgerEntries.amount}), 0)::bigint`.mapWith(Number),
    })
    .from(ledgerEntries)
    .where(feesOfPeriod(authorityId, period))
    .groupBy(ledgerEntries.counterparty, ledgerEntries.currency, ledgerEntries.kind);
}

/** The names the authority gave its peers, by issuer. */
export async function peerNames(executor: Executor, authorityId: string): Promise<Map<string, string | null>> {
  const rows = await executor.select({ issuer: peers.issuer, name: peers.name }).from(peers).where(eq(peers.authorityId, authorityId));
  return new Map(rows.map((p) => [p.issuer, p.name]));
}

/** One page of the period's federation and peer fees, oldest first. */
export async function feeEntriesPage(executor: Executor, authorityId: string, period: string, offset: number, limit: number) {
  return executor
    .select()
    .from(ledgerEntries)
    .where(feesOfPeriod(authorityId, period))
    .orderBy(asc(ledgerEntries.createdAt), asc(ledgerEntries.id))
    .limit(limit)
    .offset(offset);
}
