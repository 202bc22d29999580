import { z } from 'zod';
import { compactJwsSchema, jwksSchema, publicEcJwkSchema } from '../jose.ts';
import { licenseOriginSchema, rightsSchema } from '../tokens.ts';
import {
  authorityParamsSchema,
  idSchema,
  isoDateTime,
  lineSchema,
  issuerInputSchema,
  issuerUrlSchema,
  moneySchema,
  paginationQuerySchema,
  page,
  passwordSchema,
  usernameSchema,
} from './common.ts';

export const passwordCredentialsSchema = z.object({ type: z.literal('password'), username: usernameSchema, password: passwordSchema }).strict();

export const registerDeviceRequestSchema = z
  .object({
    credentials: passwordCredentialsSchema,
    publicKey: publicEcJwkSchema,
    label: lineSchema(64).optional(),
  })
  .strict();
export type RegisterDeviceRequest = z.infer<typeof registerDeviceRequestSchema>;

export const userSummarySchema = z.object({ id: idSchema, username: usernameSchema, globalId: z.string() }).strict();

export const registerDeviceResponseSchema = z
  .object({
    clientId: idSchema,
    leafId: z.number().int().nonnegative(),
    authority: issuerUrlSchema,
    user: userSummarySchema,
    label: z.string().nullable(),
    clientCertificate: compactJwsSchema,
    /** The authority's public keys (claim 10): the device verifies licenses and copy certificates with them. */
    authorityKeys: jwksSchema,
    registeredAt: isoDateTime,
  })
  .strict();
export type RegisterDeviceResponse = z.infer<typeof registerDeviceResponseSchema>;

export const deviceStatusSchema = z.enum(['active', 'revoked']);

export const deviceSchema = z
  .object({
    clientId: idSchema,
    leafId: z.number().int().nonnegative(),
    label: z.string().nullable(),
    status: deviceStatusSchema,
    thumbprint: z.string(),
    registeredAt: isoDateTime,
    revokedAt: isoDateTime.nullable(),
  })
  .strict();
export type Device = z.infer<typeof deviceSchema>;

export const deviceListSchema = z.object({ items: z.array(deviceSchema), limit: z.number().int() }).strict();

export const whoamiResponseSchema = z
  .object({
    clientId: idSchema,
    leafId: z.number().int().nonnegative(),
    label: z.string().nullable(),
    authority: issuerUrlSchema,
    user: userSummarySchema,
  })
  .strict();

export const clientIdParamsSchema = authorityParamsSchema.extend({ clientId: idSchema }).strict();
export const contentIdParamsSchema = authorityParamsSchema.extend({ contentId: idSchema }).strict();
export const licenseIdParamsSchema = authorityParamsSchema.extend({ licenseId: idSchema }).strict();
export const moveIdParamsSchema = authorityParamsSchema.extend({ moveId: idSchema }).strict();

export const contentStatusSchema = z.enum(['available', 'withdrawn']);

export const catalogEntrySchema = z
  .object({
    id: idSchema,
    title: z.string(),
    description: z.string().nullable(),
    mediaType: z.string(),
    /** Plaintext size in bytes. */
    size: z.number().int().nonnegative(),
    /** Encrypted package size in bytes. */
    packageSize: z.number().int().nonnegative(),
    /** Hex SHA-256 of the plaintext. */
    sha256: z.string(),
    /** Hex SHA-256 of the encrypted package. */
    packageSha256: z.string(),
    price: moneySchema.nullable(),
    status: contentStatusSchema,
  })
  .strict();
export type CatalogEntry = z.infer<typeof catalogEntrySchema>;
export const catalogQuerySchema = paginationQuerySchema;
export const catalogResponseSchema = page(catalogEntrySchema);

export const licenseStateSchema = z.enum(['active', 'moving', 'moved', 'revoked', 'expired']);
export type LicenseState = z.infer<typeof licenseStateSchema>;

export const licenseRequestSchema = z.object({ contentId: idSchema }).strict();

export const licenseResponseSchema = z
  .object({
    licenseId: idSchema,
    contentId: idSchema,
    clientId: idSchema,
    state: licenseStateSchema,
    rights: rightsSchema,
    origin: licenseOriginSchema,
    /** The license, a compact JWS (`tessera-license+jwt`). */
    token: compactJwsSchema,
    issuedAt: isoDateTime,
    /** What this request charged: null when the device already held the license. */
    charged: moneySchema.nullable(),
  })
  .strict();
export type LicenseResponse = z.infer<typeof licenseResponseSchema>;

export const licenseStatusSchema = z
  .object({
    licenseId: idSchema,
    contentId: idSchema,
    clientId: idSchema,
    state: licenseStateSchema,
    origin: licenseOriginSchema,
    issuedAt: isoDateTime,
    updatedAt: isoDateTime,
  })
  .strict();

export const deviceLicenseListSchema = z.object({ items: z.array(licenseStatusSchema) }).strict();

export const moveRequestSchema = z
  .object({
    licenseId: idSchema,
    destination: z
      .object({
        clientId: idSchema,
        /** Issuer URL of the destination's authority; absent means this authority. */
        authority: issuerInputSchema.optional(),
      })
      .strict(),
  })
  .strict();
export type MoveRequest = z.infer<typeof moveRequestSchema>;

export const moveStateSchema = z.enum(['reserved', 'completed', 'aborted', 'delivered']);
export type MoveState = z.infer<typeof moveStateSchema>;

export const moveResponseSchema = z
  .object({
    moveId: idSchema,
    state: moveStateSchema,
    contentId: idSchema,
    source: z.object({ authority: issuerUrlSchema, clientId: idSchema, licenseId: idSchema }).strict(),
    /** `licenseId` is null until the destination authority has signed. */
    destination: z.object({ authority: issuerUrlSchema, clientId: idSchema, licenseId: idSchema.nullable() }).strict(),
    /**
     * The copy certificate, a compact JWS (`tessera-copy-cert+jwt`) carrying the destination's
     * license; null while a cross-authority move waits for the destination authority's answer
     * (state `reserved`, HTTP 202) and when it was refused (state `aborted`).
     */
    certificate: compactJwsSchema.nullable(),
    /** Why an aborted move was refused. */
    refusal: z.object({ code: z.string(), detail: z.string() }).strict().nullable().optional(),
    charged: moneySchema.nullable(),
    createdAt: isoDateTime,
  })
  .strict();
export type MoveResponse = z.infer<typeof moveResponseSchema>;

export const moveAckResponseSchema = z.object({ moveId: idSchema, state: moveStateSchema }).strict();
