import {
  licenseClaimsSchema,
  signJws,
  TOKEN_TYPES,
  wrapContentKey,
  type LicenseClaims,
  type LicenseOrigin,
  type PublicEcJwk,
  type Rights,
} from '@tessera/protocol';
import { contentKeyContext } from '../contents/upload-content.ts';
import type { AppContext } from '../context.ts';

export function openContentKey(ctx: AppContext, authorityId: string, contentId: string, sealed: string): Buffer {
  return ctx.secrets.open(sealed, contentKeyContext(authorityId, contentId));
}

export interface LicenseTokenInput {
  authorityId: string;
  issuer: string;
  licenseId: string;
  clientId: string;
  userId: string;
  contentId: string;
  rights: Rights;
  origin: LicenseOrigin;
  contentKey: Uint8Array;
  /** The device key the content key is wrapped to: only that device can play. */
  devicePublicJwk: PublicEcJwk;
  /** Epoch seconds; now unless given. */
  iat?: number;
}

/** Wraps the content key to the device and signs the license with the authority's active key. */
export async function signLicenseToken(ctx: AppContext, input: LicenseTokenInput): Promise<{ token: string; claims: LicenseClaims }> {
  const [key, signingKey] = await Promise.all([wrapContentKey(input.contentKey, input.devicePublicJwk), ctx.keyring.signingKey(input.authorityId)]);
  const iat = input.iat ?? Math.floor(Date.now() / 1000);
  // Parsed before signing: a token the devices would refuse must never leave the server.
  const claims = licenseClaimsSchema.parse({
    iss: input.issuer,
    jti: input.licenseId,
    sub: input.clientId,
    uid: input.userId,
    cid: input.contentId,
    rights: input.rights,
    key,
    origin: input.origin,
    iat,
    nbf: iat,
  });
  const token = await signJws(claims, { typ: TOKEN_TYPES.license, key: signingKey.key, kid: signingKey.kid });
  return { token, claims };
}
