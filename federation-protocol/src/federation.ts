import { z } from 'zod';
import { amountSchema, currencySchema, idSchema, issuerInputSchema, issuerUrlSchema, lineSchema, moneySchema, periodSchema, textSchema } from './api/common.ts';
import { compactJweSchema, compactJwsSchema, jwksSchema } from './jose.ts';
import { problemCatalogue, type ProblemCode } from './problems.ts';
import { rightsSchema } from './tokens.ts';
import { SUPPORTED_PROTOCOL_VERSIONS } from './version.ts';

/*
 * The federation protocol (SPEC.md §10): how authorities on different servers trust each other
 * and move contents between their devices. Every server-to-server request and response is a
 * signed envelope; the entity configuration says who an authority is and which keys it signs with.
 */

/** Where an authority's entity configuration is served, relative to its issuer URL. */
export const ENTITY_CONFIGURATION_PATH = '/.well-known/tessera-authority';
/** Where an authority receives federation envelopes, relative to its issuer URL. */
export const FEDERATION_ENDPOINT_PATH = '/federation';
/** The media type of a federation envelope on the wire (request and response bodies). */
export const FEDERATION_MEDIA_TYPE = 'application/tessera-fed+jwt';
/** An entity configuration lives this long; verifiers refetch after it expires. */
export const ENTITY_CONFIGURATION_TTL_SECONDS = 3600;
/** The longest an envelope may live (`exp - iat`). */
export const ENVELOPE_MAX_LIFETIME_SECONDS = 120;
/** The longest a link assertion may live. */
export const LINK_ASSERTION_MAX_LIFETIME_SECONDS = 600;

const epochSeconds = z.number().int().min(0);
const versionSchema = z.string().min(1).max(32);
const jtiSchema = z
  .string()
  .min(16)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/);

/** `<issuer>/.well-known/tessera-authority`, a JWS (`tessera-entity+jwt`) signed by the authority itself. */
export const entityConfigurationClaimsSchema = z
  .object({
    iss: issuerUrlSchema,
    /** The same issuer: an entity configuration is a statement an authority makes about itself. */
    sub: issuerUrlSchema,
    iat: epochSeconds,
    exp: epochSeconds,
    name: lineSchema(200),
    operator: lineSchema(200, 0).nullable(),
    /** Every published key: `next` (announced ahead of use), `active` and `retired` ones. */
    jwks: jwksSchema,
    /**
     * The kids of the keys in use now: `sig` signs tokens and this configuration, `enc` is the key
     * peers wrap content keys to. The others in `jwks` are announced (`next`) or still verify (`retired`).
     */
    activeKeys: z.object({ sig: z.string().min(1).max(64), enc: z.string().min(1).max(64) }).strict(),
    endpoints: z
      .object({
        federation: z.url(),
        jwks: z.url(),
        devices: z.url(),
      })
      .strict(),
    versions: z.array(versionSchema).min(1).max(8),
  })
  .strict()
  .refine((c) => c.iss === c.sub, { message: 'iss and sub must both be the issuer' });
export type EntityConfigurationClaims = z.infer<typeof entityConfigurationClaimsSchema>;

// ---------------------------------------------------------------------------------------------
// Messages carried in envelopes
// ---------------------------------------------------------------------------------------------

export const contentDescriptionSchema = z
  .object({
    id: idSchema,
    title: lineSchema(200),
    mediaType: lineSchema(100, 3),
    size: z.number().int().min(0),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    packageSha256: z.string().regex(/^[0-9a-f]{64}$/),
  })
  .strict();
export type ContentDescription = z.infer<typeof contentDescriptionSchema>;

/** Source → destination authority: sign a copy certificate for one of my user's licenses. */
export const copyCertificateRequestSchema = z
  .object({
    /** The move ID chosen by the source; the request is idempotent on it. */
    moveId: idSchema,
    /** The person's global ID at the source, `<userId>@<source issuer>`. */
    user: z.string().min(3).max(600),
    source: z
      .object({
        clientId: idSchema,
        licenseId: idSchema,
        /** The source device's client certificate, signed by the source authority. */
        clientCertificate: compactJwsSchema,
      })
      .strict(),
    destination: z.object({ clientId: idSchema }).strict(),
    content: contentDescriptionSchema,
    /** The content key, a JWE to the destination authority's active encryption key. */
    contentKey: compactJweSchema,
    rights: rightsSchema,
  })
  .strict();
export type CopyCertificateRequest = z.infer<typeof copyCertificateRequestSchema>;

/** Destination → source: the signed copy certificate and what the destination books for it. */
export const copyCertificateResponseSchema = z
  .object({
    moveId: idSchema,
    /** The copy certificate, signed by the destination authority; it carries the destination's license. */
    certificate: compactJwsSchema,
    destinationLicenseId: idSchema,
    /** The federation fee the destination books against the source authority, or null. */
    fee: moneySchema.nullable(),
  })
  .strict();
export type CopyCertificateResponse = z.infer<typeof copyCertificateResponseSchema>;

export const pingSchema = z.object({}).strict();
export const pongSchema = z.object({ versions: z.array(versionSchema).min(1).max(8) }).strict();

const problemCodes = Object.keys(problemCatalogue) as [ProblemCode, ...ProblemCode[]];
/** A definite, signed refusal: the callee read the request and will never accept it as it stands. */
export const federationProblemSchema = z
  .object({
    code: z.enum(problemCodes),
    detail: textSchema(1000),
    moveId: idSchema.optional(),
  })
  .strict();
export type FederationProblem = z.infer<typeof federationProblemSchema>;

/** Message types: requests the callee serves, and the answers it may give to each. */
export const federationMessages = {
  'copy-certificate.request': { body: copyCertificateRequestSchema, answer: 'copy-certificate.response' },
  ping: { body: pingSchema, answer: 'pong' },
} as const;
export const federationAnswers = {
  'copy-certificate.response': copyCertificateResponseSchema,
  pong: pongSchema,
  problem: federationProblemSchema,
} as const;
export type FederationRequestType = keyof typeof federationMessages;
export type FederationAnswerType = keyof typeof federationAnswers;
export const federationMessageTypes = [...Object.keys(federationMessages), ...Object.keys(federationAnswers)] as string[];

/** The envelope `tessera-fed+jwt`: one per request and one per response. */
export const envelopeClaimsSchema = z
  .object({
    iss: issuerUrlSchema,
    aud: issuerUrlSchema,
    iat: epochSeconds,
    exp: epochSeconds,
    jti: jtiSchema,
    /** The protocol version, `tessera/1`. */
    ver: versionSchema,
    msg: z.string().min(1).max(64),
    /** For responses: the `jti` of the request answered, so an answer cannot be swapped for another. */
    re: jtiSchema.optional(),
    body: z.record(z.string(), z.unknown()),
  })
  .strict()
  .refine((e) => e.exp > e.iat && e.exp - e.iat <= ENVELOPE_MAX_LIFETIME_SECONDS, {
    message: `exp must be after iat and at most ${ENVELOPE_MAX_LIFETIME_SECONDS} s later`,
  });
export type EnvelopeClaims = z.infer<typeof envelopeClaimsSchema>;

export const isSupportedVersion = (v: string): boolean => (SUPPORTED_PROTOCOL_VERSIONS as readonly string[]).includes(v);

// ---------------------------------------------------------------------------------------------
// Account linking
// ---------------------------------------------------------------------------------------------

/** `tessera-link+jwt`: authority A vouches to authority B that one of its users is signed in. */
export const linkAssertionClaimsSchema = z
  .object({
    iss: issuerUrlSchema,
    aud: issuerUrlSchema,
    /** The user's global ID at the issuer. */
    sub: z.string().min(3).max(600),
    iat: epochSeconds,
    exp: epochSeconds,
    jti: jtiSchema,
  })
  .strict()
  .refine((c) => c.exp > c.iat && c.exp - c.iat <= LINK_ASSERTION_MAX_LIFETIME_SECONDS, {
    message: `exp must be after iat and at most ${LINK_ASSERTION_MAX_LIFETIME_SECONDS} s later`,
  });
export type LinkAssertionClaims = z.infer<typeof linkAssertionClaimsSchema>;

// Device API bodies for linking (served per authority, device-proof authenticated).
export const linkAssertionRequestSchema = z.object({ audience: issuerInputSchema }).strict();
export const linkAssertionResponseSchema = z.object({ assertion: compactJwsSchema, expiresAt: z.iso.datetime({ offset: true }) }).strict();
export const presentLinkRequestSchema = z.object({ assertion: compactJwsSchema }).strict();
export const accountLinkSchema = z
  .object({
    linkId: idSchema,
    peerIssuer: issuerUrlSchema,
    /** The linked account's global ID at the peer. */
    peerUser: z.string().min(3).max(600),
    createdAt: z.iso.datetime({ offset: true }),
  })
  .strict();
export type AccountLink = z.infer<typeof accountLinkSchema>;
export const accountLinkListSchema = z.object({ items: z.array(accountLinkSchema) }).strict();
export const linkIdParamsSchema = z.object({ authority: z.string().min(2).max(40), linkId: idSchema }).strict();
/** Admin: an operator links a user to a peer account (e.g. after checking identity out of band). */
export const adminLinkRequestSchema = z.object({ peerUser: z.string().min(3).max(600) }).strict();
export const userLinkParamsSchema = z.object({ authority: z.string().min(2).max(40), userId: idSchema }).strict();
export const userLinkIdParamsSchema = userLinkParamsSchema.extend({ linkId: idSchema }).strict();

// ---------------------------------------------------------------------------------------------
// Admin API: peers and settlement
// ---------------------------------------------------------------------------------------------

export const thumbprintSchema = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'an RFC 7638 SHA-256 thumbprint, base64url (43 characters)');
export const peerStatusSchema = z.enum(['active', 'suspended']);
export const peerSchema = z
  .object({
    id: idSchema,
    issuer: issuerUrlSchema,
    name: z.string().nullable(),
    status: peerStatusSchema,
    /** The thumbprint the operator pinned when adding the peer. */
    pinnedThumbprint: thumbprintSchema,
    /** The peer's signing keys this authority trusts now (they follow its rotations). */
    trustedKeys: z.array(z.object({ kid: z.string(), use: z.enum(['sig', 'enc']) }).strict()),
    lastContactAt: z.iso.datetime({ offset: true }).nullable(),
    /** `ok`, or the problem code of the last failed contact. */
    lastOutcome: z.string().nullable(),
    createdAt: z.iso.datetime({ offset: true }),
  })
  .strict();
export type Peer = z.infer<typeof peerSchema>;
export const peerListSchema = z.object({ items: z.array(peerSchema) }).strict();
export const addPeerRequestSchema = z
  .object({
    issuer: issuerInputSchema,
    /** The thumbprint of the key that signs the peer's entity configuration, compared out of band. */
    thumbprint: thumbprintSchema,
    name: lineSchema(200).optional(),
  })
  .strict();
export const peerParamsSchema = z.object({ authority: z.string().min(2).max(40), peerId: idSchema }).strict();
export const discoverPeerQuerySchema = z.object({ issuer: issuerInputSchema }).strict();
export const discoveredPeerSchema = z
  .object({
    issuer: issuerUrlSchema,
    name: z.string(),
    operator: z.string().nullable(),
    /** The thumbprint of the key that signed the entity configuration: compare it out of band. */
    thumbprint: thumbprintSchema,
    versions: z.array(z.string()),
  })
  .strict();

export const settlementQuerySchema = z.object({ period: periodSchema.optional() }).strict();
const settlementSideSchema = z.object({ count: z.number().int().min(0), amount: amountSchema }).strict();
export const settlementLineSchema = z
  .object({
    peerIssuer: issuerUrlSchema,
    peerName: z.string().nullable(),
    currency: currencySchema,
    /** Certificates this authority signed for the peer: the peer owes these fees. */
    receivable: settlementSideSchema,
    /** Certificates the peer signed for this authority: this authority owes these fees. */
    payable: settlementSideSchema,
    /** receivable − payable: positive when the peer owes this authority. */
    net: z.number().int(),
  })
  .strict();
export const settlementSchema = z.object({ period: periodSchema, items: z.array(settlementLineSchema) }).strict();
export type Settlement = z.infer<typeof settlementSchema>;
