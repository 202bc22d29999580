import { decodeJwsUnverified, SIGNING_ALG, TesseraProblem, verifyJws, type Jwks, type PublicEcJwk, type TokenType } from '@tessera/protocol';
import type { z } from 'zod';
import { DeviceError, type DeviceErrorCode, type VerificationReason } from './errors.ts';

/**
 * Tolerance between the authority's clock and the device's, in seconds: the same window
 * the server gives device proofs, so a device a minute off still plays what it bought.
 */
export const CLOCK_SKEW_SECONDS = 60;

/**
 * A token naming a key the device does not hold makes it refetch its authority's key set, but
 * not more often than this (SPEC §2.7): a stream of bundles naming made-up keys costs one fetch.
 * Rotations need no faster refetch: a key is published as `next` before it signs anything.
 */
export const AUTHORITY_KEYS_REFETCH_INTERVAL_MS = 60_000;

/** The authority a device trusts: its issuer URL and the keys it received at registration (claim 10). */
export interface AuthorityTrust {
  issuer: string;
  authorityKeys: Jwks;
  /**
   * Fetches the authority's current keys from `<issuer>/jwks.json` (and stores them). Called at
   * most once per verification, when a token names a key the device does not know — the
   * authority rotated its keys since the device registered.
   */
  refreshAuthorityKeys?: () => Promise<Jwks>;
}

/**
 * Finds signing keys by `kid` among the authority's keys, refreshing them at most once.
 * One resolver is shared by a copy certificate and the license inside it, so a single
 * verification never fetches the keys twice.
 */
export class AuthorityKeyResolver {
  #keys: Jwks;
  readonly #refresh: (() => Promise<Jwks>) | undefined;
  #refreshed = false;
  #refreshError: unknown;

  constructor(trust: Pick<AuthorityTrust, 'authorityKeys' | 'refreshAuthorityKeys'>) {
    this.#keys = trust.authorityKeys;
    this.#refresh = trust.refreshAuthorityKeys;
  }

  get keys(): Jwks {
    return this.#keys;
  }

  get refreshed(): boolean {
    return this.#refreshed;
  }

  get refreshError(): unknown {
    return this.#refreshError;
  }

  async resolve(kid: string | undefined): Promise<PublicEcJwk | null> {
    if (!kid) return null;
    const known = findSigningKey(this.#keys, kid);
    if (known || !this.#refresh || this.#refreshed) return known;
    this.#refreshed = true;
    try {
      this.#keys = await this.#refresh();
    } catch (error) {
      this.#refreshError = error;
      return null;
    }
    return findSigningKey(this.#keys, kid);
  }
}

/** Only keys meant for signatures: the authority's encryption key shares the JWKS but must never verify a token. */
export function findSigningKey(jwks: Jwks, kid: string): PublicEcJwk | null {
  return jwks.keys.find((k) => k.kid === kid && k.use !== 'enc' && (k.alg === undefined || k.alg === SIGNING_ALG)) ?? null;
}

export interface TokenCheck<T> {
  token: string;
  typ: TokenType;
  schema: z.ZodType<T>;
  resolver: AuthorityKeyResolver;
  /** The code every failure carries. */
  code: DeviceErrorCode;
  /** What the token is, for messages: "license", "copy certificate". */
  what: string;
}

/**
 * verifyJws with the device's authority keys, turning its problem into a DeviceError whose
 * reason says whether the key was unknown, the signature wrong or the token malformed.
 */
export async function verifyAuthorityToken<T>(check: TokenCheck<T>): Promise<{ payload: T; kid: string }> {
  let lookedUp = false;
  let key: PublicEcJwk | null = null;
  let kid: string | undefined;
  try {
    const { payload } = await verifyJws(check.token, {
      typ: check.typ,
      schema: check.schema,
      problem: 'invalid_request',
      resolveKey: async (header) => {
        lookedUp = true;
        kid = typeof header.kid === 'string' ? header.kid : undefined;
        key = await check.resolver.resolve(kid);
        return key;
      },
    });
    return { payload, kid: kid! };
  } catch (error) {
    if (!(error instanceof TesseraProblem)) throw error;
    const detail = error.detail ?? error.message;
    if (lookedUp && !kid) throw new DeviceError(check.code, `the ${check.what} names no signing key`, { reason: 'malformed' });
    if (lookedUp && !key) {
      const refreshNote = check.resolver.refreshError
        ? ` (the authority's keys could not be refreshed: ${(check.resolver.refreshError as Error).message})`
        : check.resolver.refreshed
          ? " (not among the authority's current keys either)"
          : '';
      throw new DeviceError(check.code, `the ${check.what} is signed with a key this device does not trust: ${kid}${refreshNote}`, { reason: 'unknown_key' });
    }
    const reason: VerificationReason = lookedUp && detail.startsWith('the signature') ? 'signature' : 'malformed';
    throw new DeviceError(check.code, `the ${check.what} does not verify: ${detail}`, { reason });
  }
}

/**
 * The `iss` a token claims, read without verification. Only used to refuse early with a
 * precise reason (and without refetching keys for a foreign authority) — never to accept.
 */
export function claimedIssuer(token: string): string | undefined {
  try {
    const iss = decodeJwsUnverified(token).payload.iss;
    return typeof iss === 'string' ? iss : undefined;
  } catch {
    return undefined;
  }
}

export const epochSeconds = (nowMs: number): number => Math.floor(nowMs / 1000);
