import {
  clientCertificateClaimsSchema,
  parseUserGlobalId,
  TesseraProblem,
  TOKEN_TYPES,
  unwrapContentKey,
  verifyJws,
  type CopyCertificateRequest,
  type CopyCertificateResponse,
  type Money,
} from '@tessera/protocol';
import type { AuthorityRef } from '../authorities/authority-directory.ts';
import { effectivePrice, recordCharge } from '../billing/charges.ts';
import { findContent, insertContent } from '../contents/content-queries.ts';
import { contentKeyContext } from '../contents/upload-content.ts';
import type { AppContext } from '../context.ts';
import { peerSigningKey, type PeerRow } from '../federation/peers.ts';
import type { Tx } from '../storage/db.ts';
import { isUniqueViolation } from '../storage/db-errors.ts';
import { issueCopyCertificate, signCopyCertificate } from './copy-certificate.ts';
import { requestDigest } from './cross-authority-move.ts';
import { appendMoveEvents, findLinkedDestination, findMove, findMoveCharge, insertMove } from './move-queries.ts';
import { crashPoint } from '../testing/crash-points.ts';

/**
 * Step 3 of a cross-authority move, at the destination authority B: the source authority A
 * asks B to sign a copy certificate for one of B's devices (claim 3: the destination's
 * authority signs). Idempotent on the move ID: asked again with the same request, B answers
 * what it answered the first time; asked with another request under that ID, it refuses.
 */
export async function signCopyCertificateForPeer(
  ctx: AppContext,
  authority: AuthorityRef,
  peer: PeerRow,
  request: CopyCertificateRequest,
): Promise<CopyCertificateResponse> {
  crashPoint('destination.before-answer');
  const digest = requestDigest(request);
  const previous = await answered(ctx, authority, request.moveId, digest);
  if (previous) return previous;

  // Who is asking for whom: the user must be the caller's, the source device the caller's too.
  const user = parseUserGlobalId(request.user);
  if (!user || user.issuer !== peer.issuer) throw new TesseraProblem('invalid_request', `the user ${request.user} is not an account of ${peer.issuer}`);
  await verifyJws(request.source.clientCertificate, {
    typ: TOKEN_TYPES.clientCertificate,
    schema: clientCertificateClaimsSchema,
    problem: 'invalid_request',
    resolveKey: peerSigningKey(peer),
  }).then(({ payload }) => {
    if (payload.iss !== peer.issuer || payload.sub !== request.source.clientId || payload.uid !== user.userId) {
      throw new TesseraProblem('invalid_request', 'the source client certificate is not the source device of this user at the caller');
    }
  });

  // The destination device, and the link that makes its user the same person (DESIGN §7).
  const destination = await findLinkedDestination(ctx.db, authority.id, {
    clientId: request.destination.clientId,
    peerIssuer: peer.issuer,
    peerUserId: user.userId,
  });
  if (!destination) throw new TesseraProblem('move_destination_unknown', `no device ${request.destination.clientId} at ${authority.issuer}`);
  if (!destination.linked)
    throw new TesseraProblem('account_not_linked', `the owner of device ${destination.id} has not linked their account to ${request.user}`);
  if (destination.status !== 'active') throw new TesseraProblem('move_destination_revoked', `device ${destination.id} has been revoked`);

  const encKid = jweKid(request.contentKey);
  const decryptionKey = typeof encKid === 'string' ? await ctx.keyring.decryptionKey(authority.id, encKid) : null;
  if (!decryptionKey)
    throw new TesseraProblem(
      'invalid_request',
      `the content key is wrapped to ${String(encKid)}, which is not a published encryption key of ${authority.issuer}`,
    );
  const contentKey = await unwrapContentKey(request.contentKey, decryptionKey);

  const signed = await signCopyCertificate(ctx, {
    signer: authority,
    moveId: request.moveId,
    contentId: request.content.id,
    userGlobalId: request.user,
    rights: request.rights,
    contentKey,
    source: { issuer: peer.issuer, clientId: request.source.clientId, licenseId: request.source.licenseId },
    destination: { clientId: destination.id, userId: destination.userId, publicJwk: destination.publicJwk },
  });

  let fee: Money | null;
  try {
    fee = await ctx.db.transaction(async (tx) => {
      // The move row goes in first: a concurrent request for the same move ID waits on its key
      // and then fails, instead of racing this one to the destination's license.
      await insertMove(tx, {
        authorityId: authority.id,
        id: request.moveId,
        role: 'destination',
        state: 'completed',
        contentId: request.content.id,
        userId: destination.userId,
        srcIssuer: peer.issuer,
        srcClientId: request.source.clientId,
        srcLicenseId: request.source.licenseId,
        dstIssuer: authority.issuer,
        dstClientId: destination.id,
        dstLicenseId: signed.destinationLicense.id,
        certificate: signed.certificate,
        signedBy: authority.issuer,
        requestDigest: digest,
      });
      await recordForeignContent(tx, authority, peer, request, contentKey, ctx);
      await issueCopyCertificate(tx, signed);
      await appendMoveEvents(tx, authority.id, request.moveId, [{ state: 'completed', note: `copy certificate signed for ${peer.issuer}` }]);
      const price = await effectivePrice(tx, authority.id, 'federation_fee', null).catch((error: unknown) => {
        if (error instanceof TesseraProblem && error.code === 'price_missing') return null;
        throw error;
      });
      if (price && price.amount > 0) {
        await recordCharge(tx, {
          authorityId: authority.id,
          kind: 'federation_fee',
          userId: null,
          counterparty: peer.issuer,
          contentId: request.content.id,
          moveId: request.moveId,
          price,
        });
      }
      return price;
    });
  } catch (error) {
    // A concurrent request for the same move committed first: answer what it answered.
    if (isUniqueViolation(error)) {
      const again = await answered(ctx, authority, request.moveId, digest);
      if (again) return again;
      throw new TesseraProblem('move_in_progress', `move ${request.moveId} is being processed`);
    }
    throw error;
  }
  crashPoint('destination.after-commit');
  return { moveId: request.moveId, certificate: signed.certificate, destinationLicenseId: signed.destinationLicense.id, fee };
}

/** The `kid` of a JWE's protected header: which of our encryption keys the sender wrapped to. */
function jweKid(jwe: string): unknown {
  try {
    return (JSON.parse(Buffer.from(jwe.split('.')[0] ?? '', 'base64url').toString('utf8')) as { kid?: unknown }).kid;
  } catch {
    return undefined;
  }
}

/** The answer already given for this move ID, or null when there is none yet. */
async function answered(ctx: AppContext, authority: AuthorityRef, moveId: string, digest: string): Promise<CopyCertificateResponse | null> {
  const move = await findMove(ctx.db, authority.id, moveId);
  if (!move) return null;
  if (move.role !== 'destination' || move.requestDigest !== digest) {
    throw new TesseraProblem('idempotency_key_reused', `move ID ${moveId} was already used at ${authority.issuer} for another request`);
  }
  const fee = await findMoveCharge(ctx.db, authority.id, { moveId, kind: 'federation_fee' });
  return { moveId, certificate: move.certificate!, destinationLicenseId: move.dstLicenseId!, fee };
}

/**
 * The destination keeps the content's description and its key (sealed under its own master
 * key), so its device's license refers to a known content and the person can move it on. It
 * stores no package — the device brings its own in the bundle — so the entry is never offered
 * in the catalogue. A different content under the same ID is a conflict, never an overwrite.
 */
async function recordForeignContent(
  tx: Tx,
  authority: AuthorityRef,
  peer: PeerRow,
  request: CopyCertificateRequest,
  contentKey: Uint8Array,
  ctx: AppContext,
): Promise<void> {
  const { content } = request;
  const existing = await findContent(tx, authority.id, content.id);
  if (existing) {
    if (existing.sha256 !== content.sha256 || existing.packageSha256 !== content.packageSha256) {
      throw new TesseraProblem('content_conflict', `${authority.issuer} has another content under the ID ${content.id}`);
    }
    return;
  }
  await insertContent(tx, {
    authorityId: authority.id,
    id: content.id,
    title: content.title,
    mediaType: content.mediaType,
    size: content.size,
    packageSize: 0,
    sha256: content.sha256,
    packageSha256: content.packageSha256,
    storageKey: '',
    contentKeySealed: ctx.secrets.seal(Buffer.from(contentKey), contentKeyContext(authority.id, content.id)),
    status: 'withdrawn',
    originIssuer: peer.issuer,
  });
}
