import { and, count, eq, gte, inArray, ne, sql, type SQL } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import type { Executor } from '../storage/db.ts';
import { authorities, clients, contents, ledgerEntries, licenses, moves, users } from '../storage/schema.ts';

// A move counts once it happened; reserved ones are in flight and aborted ones never did.
const HAPPENED_MOVE_STATES = ['completed', 'delivered'] as const;

const utcDay = (column: AnyPgColumn) => sql<string>`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD')`;
const sumOf = (column: AnyPgColumn) => sql<number>`coalesce(sum(${column}), 0)`.mapWith(Number);

/**
 * The overview's figures for one authority: totals over all time and per-UTC-day rows since
 * `since` (days without any are absent). Revenue counts what the authority earns, in its currency.
 */
export async function loadOverviewFigures(executor: Executor, authority: { id: string; issuer: string }, since: Date) {
  const a = authority.id;
  const [{ currency }] = (await executor.select({ currency: authorities.currency }).from(authorities).where(eq(authorities.id, a))) as [{ currency: string }];
  const happened = (extra: SQL) => and(eq(moves.authorityId, a), inArray(moves.state, [...HAPPENED_MOVE_STATES]), extra);
  // Revenue is what the authority earns (sales, moves, fees peers owe it); a `peer_fee` is what it owes a peer.
  const inCurrency = and(eq(ledgerEntries.authorityId, a), eq(ledgerEntries.currency, currency), ne(ledgerEntries.kind, 'peer_fee'));
  const perDay = (column: AnyPgColumn) => ({ day: utcDay(column), n: count() });
  const otherSide = sql<string>`case when ${moves.srcIssuer} = ${authority.issuer} then ${moves.dstIssuer} else ${moves.srcIssuer} end`;

  const [userCount, deviceCount, contentCount, licenseCount, moveCount, revenue, licenseDays, moveDays, deviceDays, revenueDays, peerMoves] = await Promise.all(
    [
      executor.select({ n: count() }).from(users).where(eq(users.authorityId, a)),
      executor
        .select({ n: count() })
        .from(clients)
        .where(and(eq(clients.authorityId, a), eq(clients.status, 'active'))),
      executor.select({ n: count() }).from(contents).where(eq(contents.authorityId, a)),
      executor
        .select({ n: count() })
        .from(licenses)
        .where(and(eq(licenses.authorityId, a), eq(licenses.state, 'active'))),
      executor.select({ n: count() }).from(moves).where(happened(sql`true`)),
      executor
        .select({ n: sumOf(ledgerEntries.amount) })
        .from(ledgerEntries)
        .where(inCurrency),
      executor
        .select(perDay(licenses.issuedAt))
        .from(licenses)
        .where(and(eq(licenses.authorityId, a), gte(licenses.issuedAt, since)))
        .groupBy(utcDay(licenses.issuedAt)),
      executor
        .select(perDay(moves.createdAt))
        .from(moves)
        .where(happened(gte(moves.createdAt, since)))
        .groupBy(utcDay(moves.createdAt)),
      executor
        .select(perDay(clients.registeredAt))
        .from(clients)
        .where(and(eq(clients.authorityId, a), gte(clients.registeredAt, since)))
        .groupBy(utcDay(clients.registeredAt)),
      executor
        .select({ day: utcDay(ledgerEntries.createdAt), n: sumOf(ledgerEntries.amount) })
        .from(ledgerEntries)
        .where(and(inCurrency, gte(ledgerEntries.createdAt, since)))
        .groupBy(utcDay(ledgerEntries.createdAt)),
      executor
        .select({ peer: otherSide, moves: count() })
        .from(moves)
        .where(happened(ne(moves.srcIssuer, moves.dstIssuer)))
        .groupBy(sql`1`)
        .orderBy(sql`2 desc`, sql`1`),
    ],
  );
  return { currency, userCount, deviceCount, contentCount, licenseCount, moveCount, revenue, licenseDays, moveDays, deviceDays, revenueDays, peerMoves };
}
