import { canonicalIssuer, IssuerError, unwrapContentKey } from '@tessera/protocol';
import type { JWK } from 'jose';
import type { AuthorityTrust } from './authority-keys.ts';
import type { DeviceRecord, DeviceStore } from './device-store.ts';
import { DeviceError } from './errors.ts';
import type { RequestAuth, TesseraHttpClient } from './http.ts';
import type { VerifiedLicense } from './license-verification.ts';

/**
 * What each capability of a device (registration, acquisition, playback, move out, move in)
 * works with: its store, its registration and key, and its authority's route client. The
 * `Device` class holds the state and hands this view to the capability modules.
 */
export interface DeviceContext {
  readonly store: DeviceStore;
  /** The stored registration; throws `not_registered` before the device registered. */
  readonly registration: DeviceRecord;
  readonly privateKey: JWK;
  /** The route client of this device's own authority. */
  http(): TesseraHttpClient;
  /** A route client of any authority (registration, a peer's keys). */
  client(issuer: string): TesseraHttpClient;
  /** A device proof signed with this device's key. */
  auth(): RequestAuth;
  /** The own authority's keys, refetched at most once a minute when a token names an unknown key. */
  trust(): AuthorityTrust;
  now(): number;
  isoNow(): string;
}

/** Issuer URLs are compared as strings, so the device keeps their canonical spelling (SPEC §1.3). */
export function normalizeIssuer(url: string): string {
  try {
    return canonicalIssuer(url);
  } catch (error) {
    if (error instanceof IssuerError) throw new DeviceError('invalid_input', `${JSON.stringify(url)} is not an issuer URL: it ${error.message}`);
    throw error;
  }
}

/** The content key of a verified license, unwrapped with this device's key. */
export async function unwrapLicenseKey(
  ctx: DeviceContext,
  license: VerifiedLicense,
  code: 'license_invalid' | 'copy_certificate_invalid',
): Promise<Uint8Array> {
  try {
    return await unwrapContentKey(license.claims.key, ctx.privateKey);
  } catch {
    throw new DeviceError(code, `the content key in license ${license.claims.jti} cannot be unwrapped with this device's key`, { reason: 'key_unwrap' });
  }
}
