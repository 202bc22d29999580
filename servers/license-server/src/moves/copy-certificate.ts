import { copyCertificateClaimsSchema, newId, signJws, TesseraProblem, TOKEN_TYPES, type PublicEcJwk, type Rights } from '@tessera/protocol';
import type { AuthorityRef } from '../authorities/authority-directory.ts';
import type { AppContext } from '../context.ts';
import { insertLiveLicense } from '../licenses/license-queries.ts';
import { signLicenseToken } from '../licenses/license-token.ts';
import type { Tx } from '../storage/db.ts';
import { findDestinationClient, hasLiveLicense } from './move-queries.ts';

export interface CopyCertificateInput {
  /** The authority where the destination device is registered: it signs (claim 3). */
  signer: AuthorityRef;
  moveId: string;
  contentId: string;
  /** The user's global ID at the source authority. */
  userGlobalId: string;
  rights: Rights;
  contentKey: Uint8Array;
  source: { issuer: string; clientId: string; licenseId: string };
  destination: { clientId: string; userId: string; publicJwk: PublicEcJwk };
}

export interface SignedCopyCertificate {
  certificateId: string;
  certificate: string;
  destinationLicense: { id: string; token: string };
  input: CopyCertificateInput;
}

/**
 * Signs the destination's license and the copy certificate that carries it (claim 2). Pure
 * cryptography, so callers do it before opening their transaction.
 */
export async function signCopyCertificate(ctx: AppContext, input: CopyCertificateInput): Promise<SignedCopyCertificate> {
  const { signer, destination } = input;
  const licenseId = newId('license');
  const iat = Math.floor(Date.now() / 1000);
  const [{ token }, signingKey] = await Promise.all([
    signLicenseToken(ctx, {
      authorityId: signer.id,
      issuer: signer.issuer,
      licenseId,
      clientId: destination.clientId,
      userId: destination.userId,
      contentId: input.contentId,
      rights: input.rights,
      origin: { type: 'move', move: input.moveId },
      contentKey: input.contentKey,
      devicePublicJwk: destination.publicJwk,
      iat,
    }),
    ctx.keyring.signingKey(signer.id),
  ]);
  const certificateId = newId('certificate');
  const claims = copyCertificateClaimsSchema.parse({
    iss: signer.issuer,
    jti: certificateId,
    move: input.moveId,
    src: { iss: input.source.issuer, sub: input.source.clientId, lic: input.source.licenseId },
    dst: { iss: signer.issuer, sub: destination.clientId },
    cid: input.contentId,
    uid: input.userGlobalId,
    license: token,
    iat,
    exp: iat + ctx.config.copyCertificateTtlSeconds,
  });
  const certificate = await signJws(claims, { typ: TOKEN_TYPES.copyCertificate, key: signingKey.key, kid: signingKey.kid });
  return { certificateId, certificate, destinationLicense: { id: licenseId, token }, input };
}

/**
 * The signer's records of a copy certificate: the destination's license becomes active, in the
 * caller's transaction. The insert re-checks that the destination is still an active device of
 * the user and holds no live license for the content, so a race with a revocation or with a
 * purchase on the destination cannot leave two live licenses on one device.
 */
export async function issueCopyCertificate(tx: Tx, signed: SignedCopyCertificate): Promise<void> {
  const { signer, destination, contentId, moveId, rights } = signed.input;
  const inserted = await insertLiveLicense(
    tx,
    {
      authorityId: signer.id,
      id: signed.destinationLicense.id,
      contentId,
      clientId: destination.clientId,
      userId: destination.userId,
      rights,
      origin: { type: 'move', move: moveId },
      token: signed.destinationLicense.token,
    },
    { requireAvailableContent: false },
  );
  if (inserted) return;
  if (await hasLiveLicense(tx, signer.id, { clientId: destination.clientId, contentId })) {
    throw new TesseraProblem('move_destination_already_licensed', `device ${destination.clientId} already holds a license for ${contentId}`);
  }
  const client = await findDestinationClient(tx, signer.id, destination.clientId);
  if (!client) throw new TesseraProblem('move_destination_unknown', `no device ${destination.clientId} at ${signer.issuer}`);
  if (client.userId !== destination.userId) throw new TesseraProblem('move_destination_not_owned', `device ${destination.clientId} belongs to another user`);
  throw new TesseraProblem('move_destination_revoked', `device ${destination.clientId} has been revoked`);
}
