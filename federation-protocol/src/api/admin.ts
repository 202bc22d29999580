import { z } from 'zod';
import { compactJwsSchema, publicEcJwkSchema } from '../jose.ts';
import { licenseOriginSchema, rightsSchema } from '../tokens.ts';
import {
  amountSchema,
  authorityParamsSchema,
  currencySchema,
  idSchema,
  isoDateTime,
  lineSchema,
  issuerUrlSchema,
  moneySchema,
  paginationQuerySchema,
  page,
  passwordSchema,
  periodSchema,
  searchSchema,
  slugSchema,
  textSchema,
  usernameSchema,
} from './common.ts';
import { contentStatusSchema, deviceSchema, licenseStateSchema, moveStateSchema } from './device.ts';

export const adminRoleSchema = z.enum(['owner', 'admin', 'billing', 'viewer']);
export type AdminRole = z.infer<typeof adminRoleSchema>;

const emailSchema = z.email().max(254);

// ---- session ----
export const loginRequestSchema = z.object({ email: emailSchema, password: passwordSchema }).strict();
export const adminSessionSchema = z
  .object({
    admin: z.object({ id: idSchema, email: z.string(), name: z.string().nullable(), operator: z.boolean() }).strict(),
    roles: z.array(z.object({ authority: slugSchema, role: adminRoleSchema }).strict()),
  })
  .strict();
export type AdminSession = z.infer<typeof adminSessionSchema>;

// ---- authorities ----
export const authoritySchema = z
  .object({
    id: idSchema,
    slug: slugSchema,
    name: z.string(),
    operator: z.string().nullable(),
    issuer: issuerUrlSchema,
    deviceLimit: z.number().int(),
    currency: currencySchema,
    createdAt: isoDateTime,
  })
  .strict();
export type Authority = z.infer<typeof authoritySchema>;
export const authorityListSchema = z.object({ items: z.array(authoritySchema) }).strict();
export const createAuthorityRequestSchema = z
  .object({
    slug: slugSchema,
    name: lineSchema(120),
    operator: lineSchema(120).optional(),
    deviceLimit: z.number().int().min(1).max(1000).default(12),
    currency: currencySchema.default('EUR'),
  })
  .strict();
export const updateAuthorityRequestSchema = z
  .object({
    name: lineSchema(120).optional(),
    operator: lineSchema(120).nullable().optional(),
    deviceLimit: z.number().int().min(1).max(1000).optional(),
  })
  .strict();

// ---- administrators ----
export const adminMemberSchema = z
  .object({ id: idSchema, email: z.string(), name: z.string().nullable(), role: adminRoleSchema, createdAt: isoDateTime })
  .strict();
export const adminMemberListSchema = z.object({ items: z.array(adminMemberSchema) }).strict();
export const createAdminRequestSchema = z
  .object({
    email: emailSchema,
    name: lineSchema(120).optional(),
    /**
     * The password of the account, if it is new. When the e-mail already has an account on this
     * server, that account keeps its own password and this one is discarded; the answer is the
     * same either way, so adding someone tells nobody whether they administer anything else.
     */
    password: z.string().min(10).max(256),
    role: adminRoleSchema,
  })
  .strict();
export const adminIdParamsSchema = authorityParamsSchema.extend({ adminId: idSchema }).strict();
export const updateAdminRoleRequestSchema = z.object({ role: adminRoleSchema }).strict();

// ---- users ----
export const userStatusSchema = z.enum(['active', 'suspended']);
export const userSchema = z
  .object({
    id: idSchema,
    username: usernameSchema,
    displayName: z.string().nullable(),
    status: userStatusSchema,
    globalId: z.string(),
    activeDevices: z.number().int(),
    createdAt: isoDateTime,
  })
  .strict();
export const userListQuerySchema = paginationQuerySchema.extend({ q: searchSchema(64).optional() }).strict();
export const userListSchema = page(userSchema);
export const createUserRequestSchema = z
  .object({
    username: usernameSchema,
    password: z.string().min(8).max(256),
    displayName: lineSchema(120).optional(),
  })
  .strict();
export const updateUserRequestSchema = z
  .object({
    status: userStatusSchema.optional(),
    displayName: lineSchema(120).nullable().optional(),
    password: z.string().min(8).max(256).optional(),
  })
  .strict();
export const userIdParamsSchema = authorityParamsSchema.extend({ userId: idSchema }).strict();

// ---- devices ----
export const adminDeviceSchema = deviceSchema.extend({ userId: idSchema, username: usernameSchema, publicKey: publicEcJwkSchema }).strict();
export const adminDeviceListQuerySchema = paginationQuerySchema
  .extend({ userId: idSchema.optional(), status: z.enum(['active', 'revoked']).optional(), q: searchSchema(64).optional() })
  .strict();
export const adminDeviceListSchema = page(adminDeviceSchema);
export const adminClientParamsSchema = authorityParamsSchema.extend({ clientId: idSchema }).strict();

// ---- contents ----
export const adminContentSchema = z
  .object({
    id: idSchema,
    title: z.string(),
    description: z.string().nullable(),
    mediaType: z.string(),
    size: z.number().int(),
    packageSize: z.number().int(),
    sha256: z.string(),
    packageSha256: z.string(),
    status: contentStatusSchema,
    /** Null for this authority's own contents; for one that arrived by a cross-authority move, its publisher's issuer (no package here). */
    originIssuer: issuerUrlSchema.nullable(),
    licensePrice: amountSchema.nullable(),
    movePrice: amountSchema.nullable(),
    downloads: z.number().int(),
    licenses: z.number().int(),
    createdAt: isoDateTime,
  })
  .strict();
export type AdminContent = z.infer<typeof adminContentSchema>;
export const adminContentListQuerySchema = paginationQuerySchema.extend({ status: contentStatusSchema.optional(), q: searchSchema(120).optional() }).strict();
export const adminContentListSchema = page(adminContentSchema);
/** Upload metadata travels in the query string; the body is the raw file (application/octet-stream), streamed. */
export const uploadContentQuerySchema = z
  .object({
    /** An ID the operator chooses (e.g. from its catalogue); a fresh `cnt_…` ID when absent. */
    id: z
      .string()
      .regex(/^cnt_[A-Za-z0-9_-]{3,60}$/, 'cnt_ followed by 3 to 60 letters, digits, - or _')
      .optional(),
    title: lineSchema(200),
    description: textSchema(2000).optional(),
    mediaType: z
      .string()
      .max(100)
      .regex(/^[\w.+-]+\/[\w.+-]+$/)
      .default('application/octet-stream'),
  })
  .strict();
export const updateContentRequestSchema = z
  .object({
    title: lineSchema(200).optional(),
    description: textSchema(2000).nullable().optional(),
    status: contentStatusSchema.optional(),
    licensePrice: amountSchema.nullable().optional(),
    movePrice: amountSchema.nullable().optional(),
  })
  .strict();
export const adminContentParamsSchema = authorityParamsSchema.extend({ contentId: idSchema }).strict();

// ---- licenses ----
export const adminLicenseSchema = z
  .object({
    id: idSchema,
    contentId: idSchema,
    contentTitle: z.string(),
    clientId: idSchema,
    userId: idSchema,
    username: usernameSchema,
    state: licenseStateSchema,
    rights: rightsSchema,
    origin: licenseOriginSchema,
    issuedAt: isoDateTime,
    updatedAt: isoDateTime,
  })
  .strict();
export const adminLicenseDetailSchema = adminLicenseSchema.extend({ token: compactJwsSchema }).strict();
export const adminLicenseListQuerySchema = paginationQuerySchema
  .extend({ state: licenseStateSchema.optional(), contentId: idSchema.optional(), userId: idSchema.optional(), clientId: idSchema.optional() })
  .strict();
export const adminLicenseListSchema = page(adminLicenseSchema);
export const adminLicenseParamsSchema = authorityParamsSchema.extend({ licenseId: idSchema }).strict();

// ---- moves ----
export const moveEventSchema = z.object({ state: moveStateSchema, at: isoDateTime, note: z.string().nullable() }).strict();
export const adminMoveSchema = z
  .object({
    id: idSchema,
    state: moveStateSchema,
    contentId: idSchema,
    userId: idSchema,
    role: z.enum(['source', 'destination', 'both']),
    source: z.object({ authority: issuerUrlSchema, clientId: idSchema, licenseId: idSchema }).strict(),
    destination: z.object({ authority: issuerUrlSchema, clientId: idSchema, licenseId: idSchema.nullable() }).strict(),
    signedBy: issuerUrlSchema.nullable(),
    createdAt: isoDateTime,
    updatedAt: isoDateTime,
  })
  .strict();
export const adminMoveDetailSchema = adminMoveSchema.extend({ certificate: compactJwsSchema.nullable(), events: z.array(moveEventSchema) }).strict();
export const adminMoveListQuerySchema = paginationQuerySchema
  .extend({ state: moveStateSchema.optional(), userId: idSchema.optional(), contentId: idSchema.optional() })
  .strict();
export const adminMoveListSchema = page(adminMoveSchema);
export const adminMoveParamsSchema = authorityParamsSchema.extend({ moveId: idSchema }).strict();

// ---- billing ----
export const priceKindSchema = z.enum(['license', 'move', 'federation_fee']);
export type PriceKind = z.infer<typeof priceKindSchema>;
export const priceListSchema = z
  .object({
    currency: currencySchema,
    license: amountSchema.nullable(),
    move: amountSchema.nullable(),
    federationFee: amountSchema.nullable(),
    overrides: z.array(z.object({ contentId: idSchema, title: z.string(), license: amountSchema.nullable(), move: amountSchema.nullable() }).strict()),
  })
  .strict();
export const updatePricesRequestSchema = z
  .object({
    currency: currencySchema.optional(),
    license: amountSchema.nullable().optional(),
    move: amountSchema.nullable().optional(),
    federationFee: amountSchema.nullable().optional(),
  })
  .strict();

/** `federation_fee`: booked against a peer for a certificate signed on its behalf; `peer_fee`: what a peer booked against us. */
export const ledgerKindSchema = z.enum(['license', 'move', 'federation_fee', 'peer_fee']);
export const ledgerEntrySchema = z
  .object({
    id: idSchema,
    kind: ledgerKindSchema,
    userId: idSchema.nullable(),
    username: z.string().nullable(),
    /** For a federation fee: the peer authority on whose behalf the certificate was signed. */
    counterparty: issuerUrlSchema.nullable(),
    contentId: idSchema,
    licenseId: idSchema.nullable(),
    moveId: idSchema.nullable(),
    amount: amountSchema,
    currency: currencySchema,
    invoiceId: idSchema.nullable(),
    createdAt: isoDateTime,
  })
  .strict();
export const ledgerQuerySchema = paginationQuerySchema
  .extend({ kind: ledgerKindSchema.optional(), userId: idSchema.optional(), period: periodSchema.optional() })
  .strict();
export const ledgerListSchema = page(ledgerEntrySchema);

export const invoiceStatusSchema = z.enum(['issued', 'paid', 'void']);
export const invoiceSchema = z
  .object({
    id: idSchema,
    number: z.string(),
    userId: idSchema,
    username: z.string(),
    period: periodSchema,
    total: amountSchema,
    currency: currencySchema,
    lines: z.number().int(),
    status: invoiceStatusSchema,
    issuedAt: isoDateTime,
  })
  .strict();
export const invoiceDetailSchema = invoiceSchema.extend({ entries: z.array(ledgerEntrySchema) }).strict();
export const invoiceListQuerySchema = paginationQuerySchema.extend({ period: periodSchema.optional(), userId: idSchema.optional() }).strict();
export const invoiceListSchema = page(invoiceSchema);
export const issueInvoicesRequestSchema = z.object({ period: periodSchema }).strict();
export const issueInvoicesResponseSchema = z.object({ period: periodSchema, issued: z.array(invoiceSchema) }).strict();
export const invoiceParamsSchema = authorityParamsSchema.extend({ invoiceId: idSchema }).strict();
export const updateInvoiceRequestSchema = z.object({ status: z.enum(['paid', 'void']) }).strict();

// ---- keys ----
export const keyStatusSchema = z.enum(['next', 'active', 'retired', 'revoked']);
export const authorityKeySchema = z
  .object({
    kid: z.string(),
    use: z.enum(['sig', 'enc']),
    status: keyStatusSchema,
    publicKey: publicEcJwkSchema,
    createdAt: isoDateTime,
    activatedAt: isoDateTime.nullable(),
    retiredAt: isoDateTime.nullable(),
  })
  .strict();
export const authorityKeyListSchema = z.object({ items: z.array(authorityKeySchema) }).strict();
export const keyParamsSchema = authorityParamsSchema.extend({ kid: z.string().regex(/^[A-Za-z0-9_-]{43}$/) }).strict();
/** Which key sets to rotate; both by default. */
export const rotateKeysRequestSchema = z.object({ use: z.enum(['sig', 'enc', 'both']).default('both') }).strict();

// ---- audit ----
export const auditEntrySchema = z
  .object({
    id: idSchema,
    at: isoDateTime,
    actor: z.string().nullable(),
    action: z.string(),
    target: z.string().nullable(),
    details: z.record(z.string(), z.unknown()).nullable(),
  })
  .strict();
export const auditQuerySchema = paginationQuerySchema.extend({ action: searchSchema(64).optional(), actor: searchSchema(254).optional() }).strict();
export const auditListSchema = page(auditEntrySchema);

// ---- overview ----
export const statsQuerySchema = z.object({ days: z.coerce.number().int().min(1).max(366).default(30) }).strict();
export const statsSchema = z
  .object({
    currency: currencySchema,
    totals: z
      .object({
        users: z.number().int(),
        activeDevices: z.number().int(),
        contents: z.number().int(),
        activeLicenses: z.number().int(),
        moves: z.number().int(),
        revenue: amountSchema,
      })
      .strict(),
    daily: z.array(
      z.object({ day: z.string(), licenses: z.number().int(), moves: z.number().int(), devices: z.number().int(), revenue: amountSchema }).strict(),
    ),
    movesByPeer: z.array(z.object({ peer: z.string(), moves: z.number().int() }).strict()),
  })
  .strict();

export { moneySchema };
