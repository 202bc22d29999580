import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { and, eq, sql } from 'drizzle-orm';
import {
  clientCertificateClaimsSchema,
  copyCertificateClaimsSchema,
  newId,
  TesseraProblem,
  TOKEN_TYPES,
  userGlobalId,
  verifyJws,
  wrapContentKey,
  type CopyCertificateRequest,
  type CopyCertificateResponse,
  type Money,
  type MoveRequest,
  type MoveResponse,
} from '@tessera/protocol';
import type { AuthorityRef } from '../authorities/authority-directory.ts';
import { priceOverride, recordCharge, resolvePrice } from '../billing/charges.ts';
import type { AppContext } from '../context.ts';
import { callPeer, PeerUnanswered } from '../federation/federation-client.ts';
import { activePeer, findPeerByIssuer, trustedKeysOf, peerSigningKey, type PeerRow } from '../federation/peers.ts';
import { openContentKey } from '../licenses/license-token.ts';
import type { Tx } from '../storage/db.ts';
import { authorities, clients, contents, licenses, moves, prices } from '../storage/schema.ts';
import { appendMoveEvents, setLicenseState, type MoveRow } from './move-queries.ts';
import { crashPoint } from '../testing/crash-points.ts';
import { reserveLicenseForMove, type MoveSource } from './request-move.ts';

/*
 * A move whose destination device is registered at another authority (DESIGN §6, steps 1–5).
 * The source authority reserves the license and commits before it asks the destination; only
 * a definite answer — a certificate, or a refusal signed by the destination — ends the move.
 * Anything else leaves it reserved for the recovery loop, which asks again with the same move
 * ID until it gets one; the destination answers a repeated request with what it answered first.
 */

/** How long one attempt owns a reserved move before the recovery loop may try it again: longer than any call to the peer. */
const attemptLeaseMs = (ctx: AppContext) => ctx.config.peerTimeoutMs + 5_000;

/** The delay before the n-th retry: exponential from half a second, capped at 15 s. */
export const retryDelayMs = (attempts: number) => Math.min(500 * 2 ** Math.max(0, attempts - 1), 15_000);

/** The request as stored at the source: everything but the content key, which is wrapped per attempt. */
export type StoredCopyRequest = Omit<CopyCertificateRequest, 'contentKey'>;

/** The idempotency fingerprint of a request: the same move asked twice must be the same move. */
export function requestDigest(request: StoredCopyRequest | CopyCertificateRequest): string {
  const { contentKey: _ignored, ...rest } = request as CopyCertificateRequest;
  // RFC 8785 (JCS): the same request always hashes the same, at either authority.
  return createHash('sha256').update(canonicalize(rest)!).digest('hex');
}

// ---------------------------------------------------------------------------------------------
// Source side (authority A)
// ---------------------------------------------------------------------------------------------

/** Steps 1–4 for the device's request; a move the destination has not answered yet comes back `reserved`. */
export async function requestCrossAuthorityMove(ctx: AppContext, source: MoveSource, request: MoveRequest, destinationIssuer: string): Promise<{ move: MoveRow; refusal: TesseraProblem | null }> {
  const { authority } = source;
  const peer = await activePeer(ctx.db, authority, destinationIssuer);
  const [row] = await ctx.db
    .select({
      license: { id: licenses.id, state: licenses.state, contentId: licenses.contentId, userId: licenses.userId, rights: licenses.rights },
      content: {
        id: contents.id,
        title: contents.title,
        mediaType: contents.mediaType,
        size: contents.size,
        sha256: contents.sha256,
        packageSha256: contents.packageSha256,
        licensePrice: contents.licensePrice,
        movePrice: contents.movePrice,
      },
      clientCertificate: clients.certificate,
      listedPrice: prices.amount,
      currency: authorities.currency,
    })
    .from(licenses)
    .innerJoin(contents, and(eq(contents.authorityId, licenses.authorityId), eq(contents.id, licenses.contentId)))
    .innerJoin(clients, and(eq(clients.authorityId, licenses.authorityId), eq(clients.id, licenses.clientId)))
    .innerJoin(authorities, eq(authorities.id, licenses.authorityId))
    .leftJoin(prices, and(eq(prices.authorityId, licenses.authorityId), eq(prices.kind, 'move')))
    .where(and(eq(licenses.authorityId, authority.id), eq(licenses.id, request.licenseId), eq(licenses.clientId, source.clientId)));
  if (!row) throw new TesseraProblem('license_unknown', `device ${source.clientId} holds no license ${request.licenseId}`);
  if (row.license.state !== 'active') throw new TesseraProblem('license_not_active', `license ${row.license.id} is ${row.license.state}`);
  const price = resolvePrice('move', { override: priceOverride('move', row.content), listed: row.listedPrice, currency: row.currency });

  const moveId = newId('move');
  const stored: StoredCopyRequest = {
    moveId,
    user: userGlobalId(source.userId, authority.issuer),
    source: { clientId: source.clientId, licenseId: row.license.id, clientCertificate: row.clientCertificate },
    destination: { clientId: request.destination.clientId },
    content: { id: row.content.id, title: row.content.title, mediaType: row.content.mediaType, size: row.content.size, sha256: row.content.sha256, packageSha256: row.content.packageSha256 },
    rights: row.license.rights,
  };

  // Step 1: reserve and commit, so whatever happens next the move is on record.
  const reserved = await ctx.db.transaction(async (tx) => {
    const license = await reserveLicenseForMove(tx, authority, { licenseId: request.licenseId, clientId: source.clientId });
    await setLicenseState(tx, authority.id, license.id, 'moving');
    const [move] = await tx
      .insert(moves)
      .values({
        authorityId: authority.id,
        id: moveId,
        role: 'source',
        state: 'reserved',
        contentId: license.contentId,
        userId: license.userId,
        srcIssuer: authority.issuer,
        srcClientId: source.clientId,
        srcLicenseId: license.id,
        dstIssuer: peer.issuer,
        dstClientId: request.destination.clientId,
        request: stored as unknown as Record<string, unknown>,
        requestDigest: requestDigest(stored),
        chargedAmount: price.amount,
        chargedCurrency: price.currency,
        attempts: 1,
        // This request makes the first attempt itself; the recovery loop takes over if it dies.
        nextAttemptAt: new Date(Date.now() + attemptLeaseMs(ctx)),
      })
      .returning();
    await appendMoveEvents(tx, authority.id, moveId, [{ state: 'reserved', note: `source license reserved; asking ${peer.issuer}` }]);
    return move!;
  });
  crashPoint('source.after-reserve');
  return attemptCrossAuthorityMove(ctx, authority, reserved, peer);
}

/**
 * Steps 2–5 for a reserved move: asks the destination and settles the move on a definite
 * answer. Safe to run concurrently for one move (several instances, a device request racing
 * the recovery loop): the destination is idempotent on the move ID and the settlement locks
 * the move and acts only while it is still reserved.
 */
export async function attemptCrossAuthorityMove(ctx: AppContext, authority: AuthorityRef, move: MoveRow, knownPeer?: PeerRow): Promise<{ move: MoveRow; refusal: TesseraProblem | null }> {
  const peer = knownPeer ?? (await findPeerByIssuer(ctx.db, authority.id, move.dstIssuer));
  if (!peer || peer.status !== 'active') {
    // A suspended or removed peer is no answer: the move waits until an operator resumes it.
    return { move: await postpone(ctx, authority, move, peer ? 'peer_suspended' : 'peer_unknown'), refusal: null };
  }
  const stored = move.request as unknown as StoredCopyRequest;
  let answer: Awaited<ReturnType<typeof callPeer<'copy-certificate.request'>>>;
  try {
    const contentKey = await sourceContentKey(ctx, authority, move.contentId);
    const keys = trustedKeysOf(peer);
    const encKid = keys.activeKeys?.enc;
    const encKey = keys.keys.find((k) => k.kid === encKid);
    if (!encKey) throw new PeerUnanswered('peer_key_untrusted', `no encryption key of ${peer.issuer} is known; refresh the peer`);
    const wrapped = await wrapContentKey(contentKey, encKey, encKid);
    answer = await callPeer(ctx, authority, peer, 'copy-certificate.request', { ...stored, contentKey: wrapped });
  } catch (error) {
    if (error instanceof PeerUnanswered) return { move: await postpone(ctx, authority, move, `${error.code}: ${error.message}`), refusal: null };
    throw error;
  }
  crashPoint('source.after-answer');
  if (answer.kind === 'refused') {
    const refusal = new TesseraProblem(answer.problem.code, `${peer.issuer} refused the move: ${answer.problem.detail}`);
    return { move: await abortMove(ctx, authority, move.id, refusal), refusal };
  }
  try {
    // Opening the answer may have refreshed the peer's keys (it signs with a new one): check
    // the certificate against what we trust now.
    const current = (await findPeerByIssuer(ctx.db, authority.id, peer.issuer)) ?? peer;
    await checkReturnedCertificate(answer.body, move, current);
  } catch (error) {
    // A certificate that does not check out is not a definite answer: keep asking.
    return { move: await postpone(ctx, authority, move, `certificate_invalid: ${(error as Error).message}`), refusal: null };
  }
  return { move: await completeCrossAuthorityMove(ctx, authority, move.id, answer.body, peer), refusal: null };
}

async function sourceContentKey(ctx: AppContext, authority: AuthorityRef, contentId: string): Promise<Buffer> {
  const [row] = await ctx.db.select({ sealed: contents.contentKeySealed }).from(contents).where(and(eq(contents.authorityId, authority.id), eq(contents.id, contentId)));
  if (!row) throw new Error(`content ${contentId} of a reserved move is gone`);
  return openContentKey(ctx, authority.id, contentId, row.sealed);
}

/** The certificate must be the destination's, for this move, this source and this destination. */
async function checkReturnedCertificate(answer: CopyCertificateResponse, move: MoveRow, peer: PeerRow): Promise<void> {
  const { payload } = await verifyJws(answer.certificate, {
    typ: TOKEN_TYPES.copyCertificate,
    schema: copyCertificateClaimsSchema,
    problem: 'envelope_invalid',
    resolveKey: peerSigningKey(peer),
  });
  const ok =
    answer.moveId === move.id &&
    payload.move === move.id &&
    payload.iss === peer.issuer &&
    payload.dst.iss === peer.issuer &&
    payload.dst.sub === move.dstClientId &&
    payload.src.iss === move.srcIssuer &&
    payload.src.sub === move.srcClientId &&
    payload.src.lic === move.srcLicenseId &&
    payload.cid === move.contentId;
  if (!ok) throw new Error('the certificate does not describe this move');
}

/** Locks a move of this authority; settlement acts only on what it finds under the lock. */
async function lockMove(tx: Tx, authorityId: string, moveId: string): Promise<MoveRow | null> {
  const [row] = await tx.select().from(moves).where(and(eq(moves.authorityId, authorityId), eq(moves.id, moveId))).for('update');
  return row ?? null;
}

/** Step 4: the source license is moved, the certificate kept, the user billed, the peer's fee booked. */
async function completeCrossAuthorityMove(ctx: AppContext, authority: AuthorityRef, moveId: string, answer: CopyCertificateResponse, peer: PeerRow): Promise<MoveRow> {
  return ctx.db.transaction(async (tx) => {
    const move = await lockMove(tx, authority.id, moveId);
    if (!move) throw new Error(`move ${moveId} vanished`);
    if (move.state !== 'reserved') return move;
    await setLicenseState(tx, authority.id, move.srcLicenseId, 'moved');
    const [done] = await tx
      .update(moves)
      .set({ state: 'completed', certificate: answer.certificate, dstLicenseId: answer.destinationLicenseId, signedBy: peer.issuer, lastError: null, nextAttemptAt: null, updatedAt: sql`now()` })
      .where(and(eq(moves.authorityId, authority.id), eq(moves.id, moveId)))
      .returning();
    await appendMoveEvents(tx, authority.id, moveId, [{ state: 'completed', note: `copy certificate signed by ${peer.issuer}` }]);
    const charge: Money = { amount: move.chargedAmount ?? 0, currency: move.chargedCurrency ?? 'EUR' };
    await recordCharge(tx, { authorityId: authority.id, kind: 'move', userId: move.userId, contentId: move.contentId, licenseId: move.srcLicenseId, moveId, price: charge });
    if (answer.fee && answer.fee.amount > 0) {
      await recordCharge(tx, { authorityId: authority.id, kind: 'peer_fee', userId: null, counterparty: peer.issuer, contentId: move.contentId, moveId, price: answer.fee });
    }
    return done!;
  });
}

/** Step 5, definite refusal: the license is the source's again and the move is over. */
async function abortMove(ctx: AppContext, authority: AuthorityRef, moveId: string, refusal: TesseraProblem): Promise<MoveRow> {
  return ctx.db.transaction(async (tx) => {
    const move = await lockMove(tx, authority.id, moveId);
    if (!move) throw new Error(`move ${moveId} vanished`);
    if (move.state !== 'reserved') return move;
    await setLicenseState(tx, authority.id, move.srcLicenseId, 'active');
    const [done] = await tx
      .update(moves)
      .set({ state: 'aborted', refusalCode: refusal.code, refusalDetail: refusal.detail ?? refusal.message, nextAttemptAt: null, updatedAt: sql`now()` })
      .where(and(eq(moves.authorityId, authority.id), eq(moves.id, moveId)))
      .returning();
    await appendMoveEvents(tx, authority.id, moveId, [{ state: 'aborted', note: `refused by ${move.dstIssuer}: ${refusal.code}` }]);
    return done!;
  });
}

/** No definite answer: the move stays reserved and is tried again later. */
async function postpone(ctx: AppContext, authority: AuthorityRef, move: MoveRow, why: string): Promise<MoveRow> {
  ctx.logger.warn({ moveId: move.id, authority: authority.slug, why }, 'cross-authority move unanswered; it stays reserved and will be retried');
  const [row] = await ctx.db
    .update(moves)
    .set({ lastError: why.slice(0, 500), nextAttemptAt: new Date(Date.now() + retryDelayMs(move.attempts)), updatedAt: sql`now()` })
    .where(and(eq(moves.authorityId, authority.id), eq(moves.id, move.id), eq(moves.state, 'reserved')))
    .returning();
  return row ?? move;
}

/** The device's view of its move (POST /moves and GET /moves/{id}). */
export function toMoveResponse(move: MoveRow): MoveResponse {
  return {
    moveId: move.id,
    state: move.state,
    contentId: move.contentId,
    source: { authority: move.srcIssuer, clientId: move.srcClientId, licenseId: move.srcLicenseId },
    destination: { authority: move.dstIssuer, clientId: move.dstClientId, licenseId: move.dstLicenseId },
    certificate: move.state === 'completed' || move.state === 'delivered' ? move.certificate : null,
    charged: move.state === 'completed' || move.state === 'delivered' ? (move.chargedAmount === null ? null : { amount: move.chargedAmount, currency: move.chargedCurrency ?? 'EUR' }) : null,
    refusal: move.state === 'aborted' && move.refusalCode ? { code: move.refusalCode, detail: move.refusalDetail ?? '' } : null,
    createdAt: move.createdAt.toISOString(),
  };
}

// ---------------------------------------------------------------------------------------------
// Recovery loop
// ---------------------------------------------------------------------------------------------

/**
 * Claims due reserved moves of every authority on this server and tries each once. The claim
 * is one UPDATE … SKIP LOCKED that pushes `next_attempt_at` a lease ahead, so several instances
 * never work on the same move at once and a crashed instance's claim simply expires.
 */
export async function recoverReservedMoves(ctx: AppContext, batch = 10): Promise<number> {
  const claimed = (await ctx.db.execute(sql`
    update moves m set next_attempt_at = now() + ${`${attemptLeaseMs(ctx)} milliseconds`}::interval, attempts = m.attempts + 1
    from (
      select authority_id, id from moves
      where state = 'reserved' and role = 'source' and next_attempt_at <= now()
      order by next_attempt_at
      limit ${batch}
      for update skip locked
    ) due
    where m.authority_id = due.authority_id and m.id = due.id
    returning m.authority_id, m.id`)) as unknown as { rows: { authority_id: string; id: string }[] };
  for (const { authority_id: authorityId, id } of claimed.rows) {
    const [move] = await ctx.db.select().from(moves).where(and(eq(moves.authorityId, authorityId), eq(moves.id, id)));
    const [auth] = await ctx.db.select({ slug: authorities.slug }).from(authorities).where(eq(authorities.id, authorityId));
    if (!move || !auth) continue;
    const authority = await ctx.authorities.bySlug(auth.slug);
    try {
      await attemptCrossAuthorityMove(ctx, authority, move);
    } catch (err) {
      ctx.logger.error({ err, moveId: id }, 'move recovery attempt failed');
    }
  }
  return claimed.rows.length;
}
