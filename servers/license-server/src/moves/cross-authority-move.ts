import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import {
  copyCertificateClaimsSchema,
  newId,
  TesseraProblem,
  TOKEN_TYPES,
  userGlobalId,
  verifyJws,
  wrapContentKey,
  type CopyCertificateRequest,
  type CopyCertificateResponse,
  type MoveRequest,
  type MoveResponse,
} from '@tessera/protocol';
import type { AuthorityRef } from '../authorities/authority-directory.ts';
import { findAuthority } from '../authorities/authority-queries.ts';
import { priceOverride, resolvePrice } from '../billing/charges.ts';
import { findContent } from '../contents/content-queries.ts';
import type { AppContext } from '../context.ts';
import { callPeer, PeerUnanswered } from '../federation/federation-client.ts';
import { activePeer, findPeerByIssuer, trustedKeysOf, peerSigningKey, type PeerRow } from '../federation/peers.ts';
import { openContentKey } from '../licenses/license-token.ts';
import type { Tx } from '../storage/db.ts';
import {
  appendMoveEvents,
  claimDueReservedMoves,
  findMove,
  insertMove,
  loadCrossAuthorityMoveRequest,
  lockMove,
  postponeReservedMove,
  saveMoveRefusal,
  setLicenseState,
  type MoveRow,
} from './move-queries.ts';
import { crashPoint } from '../testing/crash-points.ts';
import { completeMove, reserveLicenseForMove, type MoveSource } from './request-move.ts';

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
export async function requestCrossAuthorityMove(
  ctx: AppContext,
  source: MoveSource,
  request: MoveRequest,
  destinationIssuer: string,
): Promise<{ move: MoveRow; refusal: TesseraProblem | null }> {
  const { authority } = source;
  const peer = await activePeer(ctx.db, authority, destinationIssuer);
  const row = await loadCrossAuthorityMoveRequest(ctx.db, authority.id, { licenseId: request.licenseId, sourceClientId: source.clientId });
  if (!row) throw new TesseraProblem('license_unknown', `device ${source.clientId} holds no license ${request.licenseId}`);
  if (row.license.state !== 'active') throw new TesseraProblem('license_not_active', `license ${row.license.id} is ${row.license.state}`);
  const price = resolvePrice('move', { override: priceOverride('move', row.content), listed: row.listedPrice, currency: row.currency });

  const moveId = newId('move');
  const stored: StoredCopyRequest = {
    moveId,
    user: userGlobalId(source.userId, authority.issuer),
    source: { clientId: source.clientId, licenseId: row.license.id, clientCertificate: row.clientCertificate },
    destination: { clientId: request.destination.clientId },
    content: {
      id: row.content.id,
      title: row.content.title,
      mediaType: row.content.mediaType,
      size: row.content.size,
      sha256: row.content.sha256,
      packageSha256: row.content.packageSha256,
    },
    rights: row.license.rights,
  };

  // Step 1: reserve and commit, so whatever happens next the move is on record.
  const reserved = await ctx.db.transaction(async (tx) => {
    const license = await reserveLicenseForMove(tx, authority, { licenseId: request.licenseId, clientId: source.clientId });
    await setLicenseState(tx, authority.id, license.id, 'moving');
    const move = await insertMove(tx, {
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
    });
    await appendMoveEvents(tx, authority.id, moveId, [{ state: 'reserved', note: `source license reserved; asking ${peer.issuer}` }]);
    return move;
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
export async function attemptCrossAuthorityMove(
  ctx: AppContext,
  authority: AuthorityRef,
  move: MoveRow,
  knownPeer?: PeerRow,
): Promise<{ move: MoveRow; refusal: TesseraProblem | null }> {
  const peer = knownPeer ?? (await findPeerByIssuer(ctx.db, authority.id, move.dstIssuer));
  if (peer?.status !== 'active') {
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
  return { move: await completeAnsweredMove(ctx, authority, move.id, answer.body, peer), refusal: null };
}

async function sourceContentKey(ctx: AppContext, authority: AuthorityRef, contentId: string): Promise<Buffer> {
  const content = await findContent(ctx.db, authority.id, contentId);
  if (!content) throw new Error(`content ${contentId} of a reserved move is gone`);
  return openContentKey(ctx, authority.id, contentId, content.contentKeySealed);
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

/**
 * Settles a reserved move under its lock, in one transaction. A move settled meanwhile (by
 * another instance, or the recovery loop racing a device's request) is returned as it is.
 */
async function settleReservedMove(
  ctx: AppContext,
  authority: AuthorityRef,
  moveId: string,
  settle: (tx: Tx, move: MoveRow) => Promise<MoveRow>,
): Promise<MoveRow> {
  return ctx.db.transaction(async (tx) => {
    const move = await lockMove(tx, authority.id, moveId);
    if (!move) throw new Error(`move ${moveId} vanished`);
    if (move.state !== 'reserved') return move;
    return settle(tx, move);
  });
}

/** Step 4: the destination's certificate completes the move, and the fee it asked is booked as owed to it. */
async function completeAnsweredMove(
  ctx: AppContext,
  authority: AuthorityRef,
  moveId: string,
  answer: CopyCertificateResponse,
  peer: PeerRow,
): Promise<MoveRow> {
  return settleReservedMove(ctx, authority, moveId, (tx, move) =>
    completeMove(tx, {
      authority,
      move: {
        id: move.id,
        role: move.role,
        contentId: move.contentId,
        userId: move.userId,
        srcIssuer: move.srcIssuer,
        srcClientId: move.srcClientId,
        srcLicenseId: move.srcLicenseId,
        dstIssuer: move.dstIssuer,
        dstClientId: move.dstClientId,
        dstLicenseId: answer.destinationLicenseId,
        certificate: answer.certificate,
        signedBy: peer.issuer,
      },
      price: { amount: move.chargedAmount ?? 0, currency: move.chargedCurrency ?? 'EUR' },
      events: [{ state: 'completed', note: `copy certificate signed by ${peer.issuer}` }],
      peerFee: answer.fee ? { issuer: peer.issuer, price: answer.fee } : null,
    }),
  );
}

/** Step 5, definite refusal: the license is the source's again and the move is over. */
async function abortMove(ctx: AppContext, authority: AuthorityRef, moveId: string, refusal: TesseraProblem): Promise<MoveRow> {
  return settleReservedMove(ctx, authority, moveId, async (tx, move) => {
    await setLicenseState(tx, authority.id, move.srcLicenseId, 'active');
    const aborted = await saveMoveRefusal(tx, authority.id, moveId, { code: refusal.code, detail: refusal.detail ?? refusal.message });
    await appendMoveEvents(tx, authority.id, moveId, [{ state: 'aborted', note: `refused by ${move.dstIssuer}: ${refusal.code}` }]);
    return aborted;
  });
}

/** No definite answer: the move stays reserved and is tried again later. */
async function postpone(ctx: AppContext, authority: AuthorityRef, move: MoveRow, why: string): Promise<MoveRow> {
  ctx.logger.warn({ moveId: move.id, authority: authority.slug, why }, 'cross-authority move unanswered; it stays reserved and will be retried');
  const row = await postponeReservedMove(ctx.db, authority.id, move.id, {
    lastError: why.slice(0, 500),
    nextAttemptAt: new Date(Date.now() + retryDelayMs(move.attempts)),
  });
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
    charged:
      move.state === 'completed' || move.state === 'delivered'
        ? move.chargedAmount === null
          ? null
          : { amount: move.chargedAmount, currency: move.chargedCurrency ?? 'EUR' }
        : null,
    refusal: move.state === 'aborted' && move.refusalCode ? { code: move.refusalCode, detail: move.refusalDetail ?? '' } : null,
    createdAt: move.createdAt.toISOString(),
  };
}

// ---------------------------------------------------------------------------------------------
// Recovery loop
// ---------------------------------------------------------------------------------------------

/**
 * Claims due reserved moves of every authority on this server and tries each once; the claim
 * leases them to this instance (see `claimDueReservedMoves`).
 */
export async function recoverReservedMoves(ctx: AppContext, batch = 10): Promise<number> {
  const claimed = await claimDueReservedMoves(ctx.db, { leaseMs: attemptLeaseMs(ctx), batch });
  for (const { authorityId, id } of claimed) {
    const move = await findMove(ctx.db, authorityId, id);
    const auth = await findAuthority(ctx.db, authorityId);
    if (!move || !auth) continue;
    const authority = await ctx.authorities.bySlug(auth.slug);
    try {
      await attemptCrossAuthorityMove(ctx, authority, move);
    } catch (err) {
      ctx.logger.error({ err, moveId: id }, 'move recovery attempt failed');
    }
  }
  return claimed.length;
}
