import { z } from 'zod';
import { compactJweSchema, compactJwsSchema, publicEcJwkSchema } from './jose.ts';

/** Seconds since the epoch. */
const epochSeconds = z.number().int().nonnegative();
const issuerUrl = z.url({ protocol: /^https?$/ }).max(512);
const shortId = z.string().min(1).max(64);

export const rightsSchema = z
  .object({
    play: z.boolean(),
    /** Epoch seconds after which the content may no longer be played. */
    notAfter: epochSeconds.optional(),
    /** How many times the device may play the content; absent means unlimited. */
    maxPlays: z.number().int().positive().max(1_000_000).optional(),
  })
  .strict();
export type Rights = z.infer<typeof rightsSchema>;

export const licenseOriginSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('purchase') }).strict(),
  z.object({ type: z.literal('move'), move: shortId }).strict(),
]);
export type LicenseOrigin = z.infer<typeof licenseOriginSchema>;

/** `tessera-client+jwt`: issued at registration, binds the device key to its client and leaf IDs. */
export const clientCertificateClaimsSchema = z
  .object({
    iss: issuerUrl,
    sub: shortId,
    uid: shortId,
    leaf: z.number().int().nonnegative(),
    cnf: z.object({ jwk: publicEcJwkSchema }).strict(),
    iat: epochSeconds,
  })
  .strict();
export type ClientCertificateClaims = z.infer<typeof clientCertificateClaimsSchema>;

/** `tessera-license+jwt`: the content key wrapped to one device's key, signed by its authority. */
export const licenseClaimsSchema = z
  .object({
    iss: issuerUrl,
    jti: shortId,
    sub: shortId,
    uid: shortId,
    cid: shortId,
    rights: rightsSchema,
    key: compactJweSchema,
    origin: licenseOriginSchema,
    iat: epochSeconds,
    nbf: epochSeconds,
    exp: epochSeconds.optional(),
  })
  .strict();
export type LicenseClaims = z.infer<typeof licenseClaimsSchema>;

/**
 * `tessera-copy-cert+jwt`: makes a move legal. Signed by the authority where the
 * destination device is registered, and carries the destination's license.
 */
export const copyCertificateClaimsSchema = z
  .object({
    iss: issuerUrl,
    jti: shortId,
    move: shortId,
    src: z.object({ iss: issuerUrl, sub: shortId, lic: shortId }).strict(),
    dst: z.object({ iss: issuerUrl, sub: shortId }).strict(),
    cid: shortId,
    /** The user's global ID, `<userId>@<issuer>` at the source authority. */
    uid: z.string().min(1).max(600),
    license: compactJwsSchema,
    iat: epochSeconds,
    exp: epochSeconds,
  })
  .strict();
export type CopyCertificateClaims = z.infer<typeof copyCertificateClaimsSchema>;

/** `tessera-proof+jwt`: a device's signature over one HTTP request (the idea of DPoP, RFC 9449). */
export const deviceProofClaimsSchema = z
  .object({
    /** HTTP method, upper case. */
    htm: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD']),
    /** The full request URL, including the query string, as the device sent it. */
    htu: z.url().max(2048),
    iat: epochSeconds,
    jti: z
      .string()
      .min(16)
      .max(64)
      .regex(/^[A-Za-z0-9_-]+$/),
    /** base64url SHA-256 of the exact request body bytes (of the empty string when there is none). */
    bsh: z
      .string()
      .length(43)
      .regex(/^[A-Za-z0-9_-]+$/),
  })
  .strict();
export type DeviceProofClaims = z.infer<typeof deviceProofClaimsSchema>;

export const userGlobalId = (userId: string, issuer: string): string => `${userId}@${issuer}`;

export function parseUserGlobalId(globalId: string): { userId: string; issuer: string } | null {
  const at = globalId.indexOf('@');
  if (at <= 0) return null;
  return { userId: globalId.slice(0, at), issuer: globalId.slice(at + 1) };
}
