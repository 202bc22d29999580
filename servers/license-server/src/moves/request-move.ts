import { newId, TesseraProblem, userGlobalId, type Money, type MoveRequest, type MoveResponse, type MoveState } from '@tessera/protocol';
import type { AuthorityRef } from '../authorities/authority-directory.ts';
import { priceOverride, recordCharge, resolvePrice } from '../billing/charges.ts';
import type { AppContext } from '../context.ts';
import type { LicenseRow } from '../licenses/license-queries.ts';
import { openContentKey } from '../licenses/license-token.ts';
import type { Tx } from '../storage/db.ts';
import { issueCopyCertificate, signCopyCertificate } from './copy-certificate.ts';
import {
  appendMoveEvents,
  loadMoveRequest,
  lockClientLicense,
  lockMoveForDestination,
  saveMove,
  setLicenseState,
  setMoveState,
  type MoveRecord,
  type MoveRow,
} from './move-queries.ts';

/** The device asking to move one of its licenses away, as its device proof identified it. */
export interface MoveSource {
  authority: AuthorityRef;
  clientId: string;
  userId: string;
}

/**
 * Supplies a copy certificate for a move between two devices of one user at this authority
 * (claims 2, 4, 13). Checks, the new license, the history and the charge all commit together
 * with the source license locked, so of concurrent requests for one license exactly one wins.
 */
export async function requestMove(ctx: AppContext, source: MoveSource, request: MoveRequest): Promise<MoveResponse> {
  const { authority } = source;
  const destinationIssuer = request.destination.authority ?? authority.issuer;
  if (destinationIssuer !== authority.issuer) {
    throw new TesseraProblem('move_destination_unknown', 'cross-authority moves are not enabled on this server yet');
  }
  const destinationClientId = request.destination.clientId;

  // Fail fast, before any cryptography, on what the locked re-check below would refuse anyway.
  const plan = await loadMoveRequest(ctx.db, authority.id, { licenseId: request.licenseId, sourceClientId: source.clientId, destinationClientId });
  if (!plan) throw new TesseraProblem('license_unknown', `device ${source.clientId} holds no license ${request.licenseId}`);
  assertMovable(plan.license);
  if (destinationClientId === source.clientId) throw new TesseraProblem('move_destination_is_source', 'the destination is the device that holds the license');
  const destination = plan.destination;
  if (!destination) throw new TesseraProblem('move_destination_unknown', `no device ${destinationClientId} at ${authority.issuer}`);
  // Ownership before status: nothing is revealed about another user's devices.
  if (destination.userId !== source.userId) throw new TesseraProblem('move_destination_not_owned', `device ${destinationClientId} belongs to another user`);
  if (destination.status !== 'active') throw new TesseraProblem('move_destination_revoked', `device ${destinationClientId} has been revoked`);
  if (plan.destinationLicensed) {
    throw new TesseraProblem('move_destination_already_licensed', `device ${destinationClientId} already holds a license for ${plan.license.contentId}`);
  }
  const price = resolvePrice('move', { override: priceOverride('move', plan.content), listed: plan.listedPrice, currency: plan.currency });

  const moveId = newId('move');
  const signed = await signCopyCertificate(ctx, {
    signer: authority,
    moveId,
    contentId: plan.license.contentId,
    userGlobalId: userGlobalId(source.userId, authority.issuer),
    rights: plan.license.rights,
    contentKey: openContentKey(ctx, authority.id, plan.license.contentId, plan.content.contentKeySealed),
    source: { issuer: authority.issuer, clientId: source.clientId, licenseId: request.licenseId },
    destination: { clientId: destinationClientId, userId: source.userId, publicJwk: destination.publicJwk },
  });

  const move = await ctx.db.transaction(async (tx) => {
    const license = await reserveLicenseForMove(tx, authority, { licenseId: request.licenseId, clientId: source.clientId });
    await issueCopyCertificate(tx, signed);
    const { source: from, destination: to, signer } = signed.input;
    return completeMove(tx, {
      authority,
      move: {
        id: moveId,
        role: 'both',
        contentId: license.contentId,
        userId: license.userId,
        srcIssuer: from.issuer,
        srcClientId: from.clientId,
        srcLicenseId: license.id,
        dstIssuer: signer.issuer,
        dstClientId: to.clientId,
        dstLicenseId: signed.destinationLicense.id,
        certificate: signed.certificate,
        signedBy: signer.issuer,
      },
      price,
      events: [
        { state: 'reserved', note: 'source license locked for the move' },
        { state: 'completed', note: 'copy certificate issued' },
      ],
    });
  });
  return {
    moveId: move.id,
    state: move.state,
    contentId: move.contentId,
    source: { authority: move.srcIssuer, clientId: move.srcClientId, licenseId: move.srcLicenseId },
    destination: { authority: move.dstIssuer, clientId: move.dstClientId, licenseId: signed.destinationLicense.id },
    certificate: signed.certificate,
    charged: price,
    createdAt: move.createdAt.toISOString(),
  };
}

function assertMovable(license: Pick<LicenseRow, 'id' | 'state'>): void {
  if (license.state !== 'active') throw new TesseraProblem('license_not_active', `license ${license.id} is ${license.state}`);
}

/**
 * Locks the source license and checks it can still move. Concurrent requests for one license
 * queue on the lock; once the first has committed, the others find it `moved`. The
 * cross-authority path marks it `moving` and commits here, before it calls the peer.
 */
export async function reserveLicenseForMove(tx: Tx, authority: AuthorityRef, params: { licenseId: string; clientId: string }): Promise<LicenseRow> {
  const license = await lockClientLicense(tx, authority.id, params);
  if (!license) throw new TesseraProblem('license_unknown', `device ${params.clientId} holds no license ${params.licenseId}`);
  assertMovable(license);
  return license;
}

export interface CompleteMoveInput {
  authority: AuthorityRef;
  /**
   * The move as it stands once complete. Its source license is locked by the caller: by
   * `reserveLicenseForMove` in the same transaction, or — cross-authority — held `moving`
   * since the reservation, with the reserved move locked.
   */
  move: Omit<MoveRecord, 'authorityId' | 'state'>;
  /** What the user is billed for the move (claim 8: not the license price). */
  price: Money;
  events: { state: MoveState; note: string | null }[];
  /** Cross-authority: the fee the destination authority charged for signing, owed to it. */
  peerFee?: { issuer: string; price: Money } | null;
}

/**
 * Completes a move, same-authority or cross-authority: retires the source license, keeps the
 * copy certificate (claim 5), bills the user (claim 7) and books what a peer is owed.
 */
export async function completeMove(tx: Tx, input: CompleteMoveInput): Promise<MoveRow> {
  const { authority, move: completed } = input;
  await setLicenseState(tx, authority.id, completed.srcLicenseId, 'moved');
  const move = await saveMove(tx, { ...completed, authorityId: authority.id, state: 'completed' });
  await appendMoveEvents(tx, authority.id, move.id, input.events);
  const charged = { authorityId: authority.id, contentId: move.contentId, moveId: move.id };
  await recordCharge(tx, { ...charged, kind: 'move', userId: move.userId, licenseId: move.srcLicenseId, price: input.price });
  if (input.peerFee && input.peerFee.price.amount > 0) {
    await recordCharge(tx, { ...charged, kind: 'peer_fee', userId: null, counterparty: input.peerFee.issuer, price: input.peerFee.price });
  }
  return move;
}

/** The destination device confirms it received the content; asking twice changes nothing. */
export async function acknowledgeMove(
  ctx: AppContext,
  destination: { authority: AuthorityRef; clientId: string },
  moveId: string,
): Promise<{ moveId: string; state: MoveState }> {
  const { authority } = destination;
  return ctx.db.transaction(async (tx) => {
    const move = await lockMoveForDestination(tx, authority.id, { moveId, issuer: authority.issuer, clientId: destination.clientId });
    // Only a move whose certificate was issued can be delivered; anything else is no move for this device.
    if (!move || (move.state !== 'completed' && move.state !== 'delivered')) {
      throw new TesseraProblem('move_unknown', `no move ${moveId} to device ${destination.clientId}`);
    }
    if (move.state === 'completed') {
      await setMoveState(tx, authority.id, move.id, 'delivered');
      await appendMoveEvents(tx, authority.id, move.id, [{ state: 'delivered', note: 'acknowledged by the destination device' }]);
    }
    return { moveId: move.id, state: 'delivered' as const };
  });
}
