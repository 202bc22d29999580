import { randomBytes } from 'node:crypto';
import type { CryptoKey, JWK } from 'jose';
import { sha256Base64url, signJws, TOKEN_TYPES, type PublicEcJwk } from './jose.ts';

/** How a device proof travels: `Authorization: Tessera-Proof <compact JWS>`. */
export const DEVICE_PROOF_SCHEME = 'Tessera-Proof';
/** A proof is accepted when its `iat` is within this many seconds of the server's clock. */
export const DEVICE_PROOF_MAX_SKEW_SECONDS = 60;

export const EMPTY_BODY_SHA256 = sha256Base64url(new Uint8Array());

export interface DeviceProofInput {
  method: string;
  url: string;
  body?: Uint8Array | string;
  /** The device's private signing key. */
  key: CryptoKey | JWK;
  /** The client ID; absent only at registration, where `jwk` is sent instead. */
  clientId?: string;
  /** At registration: the device's public key, proving possession of its private half. */
  jwk?: PublicEcJwk;
  now?: number;
}

export function createDeviceProof(input: DeviceProofInput): Promise<string> {
  const body = input.body === undefined ? new Uint8Array() : input.body;
  return signJws(
    {
      htm: input.method.toUpperCase(),
      htu: input.url,
      iat: Math.floor((input.now ?? Date.now()) / 1000),
      jti: randomBytes(18).toString('base64url'),
      bsh: sha256Base64url(body),
    },
    {
      typ: TOKEN_TYPES.deviceProof,
      key: input.key,
      ...(input.clientId ? { kid: input.clientId } : {}),
      ...(input.jwk ? { header: { jwk: input.jwk } } : {}),
    },
  );
}
