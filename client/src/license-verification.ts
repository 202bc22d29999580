import { licenseClaimsSchema, TOKEN_TYPES, type LicenseClaims } from '@tessera/protocol';
import { AuthorityKeyResolver, claimedIssuer, CLOCK_SKEW_SECONDS, epochSeconds, verifyAuthorityToken, type AuthorityTrust } from './authority-keys.ts';
import { DeviceError, type DeviceErrorCode, type VerificationReason } from './errors.ts';

export interface LicenseVerificationOptions extends AuthorityTrust {
  /** This device: the license must be addressed to it (`sub`). */
  clientId: string;
  /** When given, the license must be for this content (`cid`). */
  contentId?: string;
  /** Milliseconds since the epoch; defaults to the current time. */
  now?: number;
  /**
   * `play` (the default) also checks the rights against the plays already made; `store`
   * checks only that the license is genuine, addressed here and within its validity, as
   * when it is received from the server or out of a copy certificate.
   */
  purpose?: 'play' | 'store';
  /** Plays already made on this device with this license. */
  playCount?: number;
  /** Shares a key resolver (and its single refresh) with an enclosing verification. */
  resolver?: AuthorityKeyResolver;
  /** The error code for failures; a copy certificate reports its license's failures under its own. */
  errorCode?: DeviceErrorCode;
}

export interface VerifiedLicense {
  claims: LicenseClaims;
  /** The authority key that signed it. */
  kid: string;
  /** Plays left after the ones already made, or null when unlimited. */
  playsLeft: number | null;
}

/**
 * Decides whether this device may use a license: signed by one of its authority's keys,
 * issued by that authority, addressed to this device, inside its validity window and —
 * for playing — within its rights.
 */
export async function verifyLicenseForDevice(token: string, options: LicenseVerificationOptions): Promise<VerifiedLicense> {
  const code = options.errorCode ?? 'license_invalid';
  const fail = (reason: VerificationReason, detail: string): never => {
    throw new DeviceError(code, detail, { reason });
  };
  const claimed = claimedIssuer(token);
  if (claimed !== undefined && claimed !== options.issuer) {
    fail('wrong_issuer', `the license was issued by ${claimed}, not by this device's authority ${options.issuer}`);
  }

  const resolver = options.resolver ?? new AuthorityKeyResolver(options);
  const { payload: claims, kid } = await verifyAuthorityToken({
    token,
    typ: TOKEN_TYPES.license,
    schema: licenseClaimsSchema,
    resolver,
    code,
    what: 'license',
  });

  if (claims.iss !== options.issuer) fail('wrong_issuer', `the license was issued by ${claims.iss}, not by ${options.issuer}`);
  if (claims.sub !== options.clientId) fail('wrong_device', `the license is for device ${claims.sub}, not for this device (${options.clientId})`);
  if (options.contentId !== undefined && claims.cid !== options.contentId) {
    fail('wrong_content', `the license is for content ${claims.cid}, not ${options.contentId}`);
  }

  const now = epochSeconds(options.now ?? Date.now());
  if (claims.nbf > now + CLOCK_SKEW_SECONDS || claims.iat > now + CLOCK_SKEW_SECONDS) {
    fail('not_yet_valid', `the license is not valid before ${isoTime(claims.nbf)}`);
  }
  if (claims.exp !== undefined && now >= claims.exp + CLOCK_SKEW_SECONDS) fail('expired', `the license expired at ${isoTime(claims.exp)}`);

  const playCount = options.playCount ?? 0;
  const { rights } = claims;
  if ((options.purpose ?? 'play') === 'play') {
    // A genuine license whose rights are used up is refused under its own code: the user can buy again.
    const refuse = (reason: VerificationReason, detail: string): never => {
      throw new DeviceError('play_not_allowed', detail, { reason });
    };
    if (!rights.play) refuse('not_playable', 'the license does not grant the right to play');
    // notAfter is a right the authority granted, not a token's validity window: no skew.
    if (rights.notAfter !== undefined && now > rights.notAfter) refuse('rights_expired', `the right to play ended at ${isoTime(rights.notAfter)}`);
    if (rights.maxPlays !== undefined && playCount >= rights.maxPlays) {
      refuse('play_limit_reached', `the license allows ${rights.maxPlays} play${rights.maxPlays === 1 ? '' : 's'} and all have been used`);
    }
  }
  return { claims, kid, playsLeft: rights.maxPlays === undefined ? null : Math.max(0, rights.maxPlays - playCount) };
}

export const isoTime = (epochSecondsValue: number): string => new Date(epochSecondsValue * 1000).toISOString();
