import { copyCertificateClaimsSchema, decodeJwsUnverified, formatZodIssues, SIGNING_ALG, TOKEN_TYPES, type CopyCertificateClaims } from '@tessera/protocol';
import { AuthorityKeyResolver, claimedIssuer, CLOCK_SKEW_SECONDS, epochSeconds, verifyAuthorityToken, type AuthorityTrust } from './authority-keys.ts';
import { DeviceError, type VerificationReason } from './errors.ts';
import { isoTime, verifyLicenseForDevice, type VerifiedLicense } from './license-verification.ts';

export interface CopyCertificateVerificationOptions extends AuthorityTrust {
  /** This device, the destination of the move. */
  clientId: string;
  now?: number;
}

export interface VerifiedCopyCertificate {
  claims: CopyCertificateClaims;
  kid: string;
  /** The destination's license the certificate carries (claim 2), verified for this device. */
  license: VerifiedLicense;
}

const fail = (reason: VerificationReason, detail: string): never => {
  throw new DeviceError('copy_certificate_invalid', detail, { reason });
};

/**
 * The destination device's check of a copy certificate (claims 9–12): it is signed by this
 * device's own authority — the certificate is signed where the destination is registered
 * (claim 3), with keys the device received at registration (claim 10) — addressed to this
 * device, not expired, and the license it carries is genuine, for this device, for the
 * certificate's content and issued by this very move.
 */
export async function verifyCopyCertificateForDevice(certificate: string, options: CopyCertificateVerificationOptions): Promise<VerifiedCopyCertificate> {
  const claimed = claimedIssuer(certificate);
  if (claimed !== undefined && claimed !== options.issuer) {
    fail('wrong_issuer', `the copy certificate was signed by ${claimed}, not by this device's authority ${options.issuer}`);
  }
  const resolver = new AuthorityKeyResolver(options);
  const { payload: claims, kid } = await verifyAuthorityToken({
    token: certificate,
    typ: TOKEN_TYPES.copyCertificate,
    schema: copyCertificateClaimsSchema,
    resolver,
    code: 'copy_certificate_invalid',
    what: 'copy certificate',
  });

  if (claims.iss !== options.issuer) fail('wrong_issuer', `the copy certificate was signed by ${claims.iss}, not by ${options.issuer}`);
  if (claims.dst.iss !== options.issuer || claims.dst.sub !== options.clientId) {
    fail('wrong_device', `the copy certificate is addressed to ${claims.dst.sub} at ${claims.dst.iss}, not to this device (${options.clientId})`);
  }
  const now = epochSeconds(options.now ?? Date.now());
  if (claims.iat > now + CLOCK_SKEW_SECONDS) fail('not_yet_valid', `the copy certificate is dated in the future (${isoTime(claims.iat)})`);
  if (now >= claims.exp + CLOCK_SKEW_SECONDS) fail('expired', `the copy certificate expired at ${isoTime(claims.exp)}`);

  let license: VerifiedLicense;
  try {
    license = await verifyLicenseForDevice(claims.license, {
      issuer: options.issuer,
      authorityKeys: resolver.keys,
      clientId: options.clientId,
      contentId: claims.cid,
      now: options.now ?? Date.now(),
      purpose: 'store',
      resolver,
    });
  } catch (error) {
    if (!(error instanceof DeviceError)) throw error;
    return fail(error.reason ?? 'malformed', `the license in the copy certificate is refused: ${error.detail}`);
  }
  const origin = license.claims.origin;
  if (origin.type !== 'move' || origin.move !== claims.move) {
    fail('wrong_move', `the license in the copy certificate was not issued by move ${claims.move}`);
  }
  return { claims, kid, license };
}

export interface OutgoingCertificateExpectation {
  moveId: string;
  contentId: string;
  source: { iss: string; sub: string; lic: string };
  destination: { iss: string; sub: string };
  now?: number;
}

export interface CheckedOutgoingCertificate {
  claims: CopyCertificateClaims;
  /** Whether the signature was checked, against the destination authority's keys. */
  signatureVerified: boolean;
}

/**
 * The source device's check of the certificate its authority handed back, before it gives
 * up its own copy: well formed, signed by the destination's authority (verified when its
 * keys are at hand — always for a move within one authority), describing this very move.
 * The destination makes the decisive check when it receives the bundle.
 */
export async function checkOutgoingCopyCertificate(
  certificate: string,
  expected: OutgoingCertificateExpectation,
  destinationKeys: Pick<AuthorityTrust, 'authorityKeys' | 'refreshAuthorityKeys'> | null,
): Promise<CheckedOutgoingCertificate> {
  let claims: CopyCertificateClaims;
  if (destinationKeys) {
    if (claimedIssuer(certificate) !== expected.destination.iss) {
      fail('wrong_issuer', `the copy certificate is not signed by the destination's authority ${expected.destination.iss}`);
    }
    ({ payload: claims } = await verifyAuthorityToken({
      token: certificate,
      typ: TOKEN_TYPES.copyCertificate,
      schema: copyCertificateClaimsSchema,
      resolver: new AuthorityKeyResolver(destinationKeys),
      code: 'copy_certificate_invalid',
      what: 'copy certificate',
    }));
  } else {
    claims = decodeCertificateUnverified(certificate);
  }

  if (claims.iss !== expected.destination.iss)
    fail('wrong_issuer', `the copy certificate is signed by ${claims.iss}, not by the destination's authority ${expected.destination.iss}`);
  if (claims.dst.iss !== expected.destination.iss || claims.dst.sub !== expected.destination.sub) {
    fail('wrong_device', `the copy certificate is addressed to ${claims.dst.sub} at ${claims.dst.iss}, not to ${expected.destination.sub}`);
  }
  if (claims.src.iss !== expected.source.iss || claims.src.sub !== expected.source.sub || claims.src.lic !== expected.source.lic) {
    fail('wrong_device', `the copy certificate moves license ${claims.src.lic} of ${claims.src.sub}, not this device's license ${expected.source.lic}`);
  }
  if (claims.cid !== expected.contentId) fail('wrong_content', `the copy certificate is for content ${claims.cid}, not ${expected.contentId}`);
  if (claims.move !== expected.moveId) fail('wrong_move', `the copy certificate belongs to move ${claims.move}, not ${expected.moveId}`);
  if (epochSeconds(expected.now ?? Date.now()) >= claims.exp + CLOCK_SKEW_SECONDS) fail('expired', `the copy certificate expired at ${isoTime(claims.exp)}`);
  return { claims, signatureVerified: destinationKeys !== null };
}

function decodeCertificateUnverified(certificate: string): CopyCertificateClaims {
  let decoded: ReturnType<typeof decodeJwsUnverified>;
  try {
    decoded = decodeJwsUnverified(certificate);
  } catch {
    return fail('malformed', 'the copy certificate is not a readable JWS');
  }
  if (decoded.header.alg !== SIGNING_ALG || decoded.header.typ !== TOKEN_TYPES.copyCertificate) {
    fail('malformed', `the copy certificate must be a ${TOKEN_TYPES.copyCertificate} signed with ${SIGNING_ALG}`);
  }
  const parsed = copyCertificateClaimsSchema.safeParse(decoded.payload);
  if (!parsed.success) return fail('malformed', `the copy certificate claims are invalid: ${formatZodIssues(parsed.error)}`);
  return parsed.data;
}
