import { createHash } from 'node:crypto';
import {
  calculateJwkThumbprint,
  CompactEncrypt,
  compactDecrypt,
  CompactSign,
  compactVerify,
  decodeJwt,
  decodeProtectedHeader,
  errors as joseErrors,
  exportJWK,
  generateKeyPair,
  importJWK,
  jwtVerify,
  type CryptoKey,
  type JWK,
} from 'jose';
import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import { TesseraProblem, type ProblemCode } from './problems.ts';

/** The only algorithms Tessera accepts: allow-lists, never deny-lists. */
export const SIGNING_ALG = 'ES256';
export const KEY_AGREEMENT_ALG = 'ECDH-ES+A256KW';
export const CONTENT_ENCRYPTION_ALG = 'A256GCM';

export const TOKEN_TYPES = {
  clientCertificate: 'tessera-client+jwt',
  license: 'tessera-license+jwt',
  copyCertificate: 'tessera-copy-cert+jwt',
  deviceProof: 'tessera-proof+jwt',
  federationEnvelope: 'tessera-fed+jwt',
  entityConfiguration: 'tessera-entity+jwt',
  linkAssertion: 'tessera-link+jwt',
} as const;
export type TokenType = (typeof TOKEN_TYPES)[keyof typeof TOKEN_TYPES];

const b64url = z
  .string()
  .regex(/^[A-Za-z0-9_-]+$/)
  .max(128);

/** A public P-256 key as JWK. Private members are refused so a private key never travels by mistake. */
export const publicEcJwkSchema = z
  .object({
    kty: z.literal('EC'),
    crv: z.literal('P-256'),
    x: b64url.length(43),
    y: b64url.length(43),
    kid: z.string().max(128).optional(),
    use: z.enum(['sig', 'enc']).optional(),
    alg: z.enum([SIGNING_ALG, KEY_AGREEMENT_ALG]).optional(),
    key_ops: z.array(z.string().max(32)).max(8).optional(),
  })
  .strict();
export type PublicEcJwk = z.infer<typeof publicEcJwkSchema>;

export const jwksSchema = z.object({ keys: z.array(publicEcJwkSchema).max(64) }).strict();
export type Jwks = z.infer<typeof jwksSchema>;

export const compactJwsSchema = z
  .string()
  .max(64 * 1024)
  .regex(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, 'must be a compact JWS');
export const compactJweSchema = z
  .string()
  .max(16 * 1024)
  .regex(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, 'must be a compact JWE');

/** RFC 7638 thumbprint (SHA-256, base64url) of the public part of a key. */
export const jwkThumbprint = (jwk: JWK): Promise<string> => calculateJwkThumbprint({ kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y } as JWK, 'sha256');

export const publicPart = (jwk: JWK): PublicEcJwk => ({ kty: 'EC', crv: 'P-256', x: jwk.x!, y: jwk.y! });

export interface GeneratedKeyPair {
  kid: string;
  privateJwk: JWK;
  publicJwk: PublicEcJwk;
}

/** A fresh P-256 key pair; `kid` is the RFC 7638 thumbprint of its public key. */
export async function generateEcKeyPair(use: 'sig' | 'enc'): Promise<GeneratedKeyPair> {
  const { privateKey } = await generateKeyPair(use === 'sig' ? SIGNING_ALG : KEY_AGREEMENT_ALG, {
    crv: 'P-256',
    extractable: true,
  });
  const privateJwk = await exportJWK(privateKey);
  const publicJwk = publicPart(privateJwk);
  const kid = await jwkThumbprint(publicJwk);
  return { kid, privateJwk: { ...privateJwk, kid }, publicJwk };
}

// Imported keys are cached: importing costs more than a verification, and the same
// device, authority and peer keys are used over and over on the hot paths.
const keyCache = new LRUCache<string, CryptoKey>({ max: 50_000 });

const cacheKey = (jwk: JWK, alg: string) => `${alg}|${jwk.d ? 'private' : 'public'}|${jwk.x}|${jwk.y}|${jwk.d ?? ''}`;

export async function importEcKey(jwk: JWK, alg: typeof SIGNING_ALG | typeof KEY_AGREEMENT_ALG): Promise<CryptoKey> {
  const k = cacheKey(jwk, alg);
  const cached = keyCache.get(k);
  if (cached) return cached;
  const { kid: _kid, use: _use, alg: _alg, key_ops: _ops, ...material } = jwk;
  const key = (await importJWK({ ...material, kty: 'EC', crv: 'P-256' }, alg)) as CryptoKey;
  keyCache.set(k, key);
  return key;
}

export interface SignOptions {
  typ: TokenType;
  /** The signing key, private JWK (its `kid` is used unless `kid` is given) or imported key. */
  key: CryptoKey | JWK;
  kid?: string;
  /** Extra protected header members (e.g. `jwk` for a self-signed device proof). */
  header?: Record<string, unknown>;
}

export async function signJws(payload: object, options: SignOptions): Promise<string> {
  const key = isCryptoKey(options.key) ? options.key : await importEcKey(options.key, SIGNING_ALG);
  const kid = options.kid ?? (isCryptoKey(options.key) ? undefined : options.key.kid);
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ ...options.header, alg: SIGNING_ALG, typ: options.typ, ...(kid ? { kid } : {}) })
    .sign(key);
}

export interface VerifiedJws<T> {
  payload: T;
  header: { alg: string; typ: string; kid?: string; jwk?: JWK; [k: string]: unknown };
}

export interface VerifyOptions<T> {
  typ: TokenType;
  schema: z.ZodType<T>;
  /** Finds the verification key for the header, or null when the `kid` is unknown. */
  resolveKey: (header: VerifiedJws<unknown>['header']) => Promise<CryptoKey | JWK | null> | CryptoKey | JWK | null;
  /** The problem code to raise for any failure, so each token kind fails with its own code. */
  problem: ProblemCode;
  /**
   * Registered-claim checks, done by jose's `jwtVerify` after the signature: `aud`, `exp`,
   * `nbf`, and `iat` neither in the future nor older than `maxAgeSeconds`, each with the
   * clock tolerance. Without it only the signature, `typ` and the schema are checked.
   */
  claims?: ClaimChecks;
}

export interface ClaimChecks {
  audience?: string;
  clockToleranceSeconds: number;
  maxAgeSeconds?: number;
  /** The verifier's clock, in milliseconds; defaults to now. */
  now?: number;
  /** Raised when a time claim fails (expired, not yet valid, too old); defaults to `problem`. */
  expired?: ProblemCode;
  /** Raised when `aud` is not the expected audience; defaults to `problem`. */
  misaddressed?: ProblemCode;
}

/**
 * Verifies a compact JWS against the allow-listed algorithm and `typ`, then parses its
 * payload with the token's schema. Any failure becomes a TesseraProblem with
 * `options.problem`: a caller never sees a jose error.
 */
export async function verifyJws<T>(token: string, options: VerifyOptions<T>): Promise<VerifiedJws<T>> {
  const fail = (detail: string): never => {
    throw new TesseraProblem(options.problem, detail);
  };
  if (!compactJwsSchema.safeParse(token).success) fail('not a compact JWS');
  let header: VerifiedJws<unknown>['header'];
  try {
    header = decodeProtectedHeader(token) as VerifiedJws<unknown>['header'];
  } catch {
    return fail('the protected header cannot be decoded');
  }
  if (header.alg !== SIGNING_ALG) fail(`alg must be ${SIGNING_ALG}`);
  if (header.typ !== options.typ) fail(`typ must be ${options.typ}`);
  if (header.crit !== undefined) fail('crit header parameters are not supported');
  const resolved = await options.resolveKey(header);
  if (!resolved) return fail(header.kid ? `unknown signing key ${header.kid}` : 'no key to verify with');
  let key: CryptoKey;
  try {
    key = isCryptoKey(resolved) ? resolved : await importEcKey(resolved, SIGNING_ALG);
  } catch {
    // A key that is not a point on P-256 (a tampered self-signed configuration, a registration
    // proof's own key) cannot verify anything: the token is refused like a bad signature.
    return fail('the verification key is not a valid P-256 public key');
  }
  const json = options.claims ? await verifiedClaims(token, key, options) : await verifiedPayload(token, key, fail);
  const parsed = options.schema.safeParse(json);
  if (!parsed.success) return fail(`the claims are invalid: ${formatZodIssues(parsed.error)}`);
  return { payload: parsed.data, header };
}

async function verifiedPayload(token: string, key: CryptoKey, fail: (detail: string) => never): Promise<unknown> {
  let payloadBytes: Uint8Array;
  try {
    ({ payload: payloadBytes } = await compactVerify(token, key, { algorithms: [SIGNING_ALG] }));
  } catch {
    return fail('the signature does not verify');
  }
  try {
    return JSON.parse(new TextDecoder().decode(payloadBytes));
  } catch {
    return fail('the payload is not JSON');
  }
}

async function verifiedClaims<T>(token: string, key: CryptoKey, options: VerifyOptions<T>): Promise<unknown> {
  const checks = options.claims!;
  try {
    const { payload } = await jwtVerify(token, key, {
      algorithms: [SIGNING_ALG],
      audience: checks.audience,
      clockTolerance: checks.clockToleranceSeconds,
      maxTokenAge: checks.maxAgeSeconds,
      currentDate: checks.now === undefined ? undefined : new Date(checks.now),
    });
    return payload;
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) throw new TesseraProblem(checks.expired ?? options.problem, claimFailure(error.claim, error.reason));
    if (error instanceof joseErrors.JWTClaimValidationFailed) {
      const code = error.claim === 'aud' ? checks.misaddressed : ['exp', 'nbf', 'iat'].includes(error.claim) ? checks.expired : undefined;
      const detail = error.claim === 'aud' ? `the token is not addressed to ${checks.audience}` : claimFailure(error.claim, error.reason);
      throw new TesseraProblem(code ?? options.problem, detail);
    }
    if (error instanceof joseErrors.JWTInvalid) throw new TesseraProblem(options.problem, `the payload is not a JWT claims set: ${error.message}`);
    throw new TesseraProblem(options.problem, 'the signature does not verify');
  }
}

function claimFailure(claim: string, reason: string): string {
  if (claim === 'exp') return 'the token has expired';
  if (claim === 'nbf') return 'the token is not valid yet';
  if (claim === 'iat') return reason === 'check_failed' ? 'the token is dated in the future or too old' : `the iat claim is invalid (${reason})`;
  return `the ${claim} claim is invalid (${reason})`;
}

/** Reads a token's header and claims without verifying: for display and routing only, never for a decision. */
export function decodeJwsUnverified(token: string): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  return { header: decodeProtectedHeader(token), payload: decodeJwt(token) };
}

/** Wraps a content key to a device's public key: JWE, ECDH-ES+A256KW with A256GCM. */
export async function wrapContentKey(contentKey: Uint8Array, recipient: PublicEcJwk | CryptoKey, recipientKid?: string): Promise<string> {
  const key = isCryptoKey(recipient) ? recipient : await importEcKey(recipient, KEY_AGREEMENT_ALG);
  return new CompactEncrypt(contentKey)
    .setProtectedHeader({ alg: KEY_AGREEMENT_ALG, enc: CONTENT_ENCRYPTION_ALG, ...(recipientKid ? { kid: recipientKid } : {}) })
    .encrypt(key);
}

export async function unwrapContentKey(jwe: string, privateKey: JWK | CryptoKey): Promise<Uint8Array> {
  const key = isCryptoKey(privateKey) ? privateKey : await importEcKey(privateKey, KEY_AGREEMENT_ALG);
  try {
    const { plaintext } = await compactDecrypt(jwe, key, {
      keyManagementAlgorithms: [KEY_AGREEMENT_ALG],
      contentEncryptionAlgorithms: [CONTENT_ENCRYPTION_ALG],
    });
    if (plaintext.length !== 32) throw new Error('content key must be 32 bytes');
    return plaintext;
  } catch {
    throw new TesseraProblem('invalid_request', 'the content key cannot be unwrapped with this device key');
  }
}

export const sha256Base64url = (data: Uint8Array | string): string => createHash('sha256').update(data).digest('base64url');

export function isCryptoKey(value: unknown): value is CryptoKey {
  return typeof value === 'object' && value !== null && 'algorithm' in value && 'type' in value && 'usages' in value;
}

export function formatZodIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');
}
