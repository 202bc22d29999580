import { randomBytes } from 'node:crypto';
import {
  generateEcKeyPair,
  newId,
  signJws,
  TOKEN_TYPES,
  wrapContentKey,
  type CopyCertificateClaims,
  type GeneratedKeyPair,
  type Jwks,
  type LicenseClaims,
  type PublicEcJwk,
} from '@tessera/protocol';

/** An authority's keys as a test needs them: a signing key and the JWKS a device would receive. */
export interface TestAuthority {
  issuer: string;
  signing: GeneratedKeyPair;
  encryption: GeneratedKeyPair;
  jwks: Jwks;
}

export async function createTestAuthority(issuer: string): Promise<TestAuthority> {
  const signing = await generateEcKeyPair('sig');
  const encryption = await generateEcKeyPair('enc');
  return {
    issuer,
    signing,
    encryption,
    jwks: {
      keys: [
        { ...signing.publicJwk, kid: signing.kid, use: 'sig', alg: 'ES256' },
        { ...encryption.publicJwk, kid: encryption.kid, use: 'enc', alg: 'ECDH-ES+A256KW' },
      ],
    },
  };
}

export interface TestDevice {
  clientId: string;
  keys: GeneratedKeyPair;
}

export async function createTestDevice(): Promise<TestDevice> {
  return { clientId: newId('client'), keys: await generateEcKeyPair('sig') };
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

export interface LicenseInput {
  device: { clientId: string; publicJwk: PublicEcJwk };
  contentId: string;
  contentKey?: Uint8Array;
  overrides?: Partial<LicenseClaims>;
  /** Sign with this key instead of the authority's own. */
  signWith?: GeneratedKeyPair;
}

export async function issueTestLicense(authority: TestAuthority, input: LicenseInput): Promise<string> {
  const now = nowSeconds();
  const claims: LicenseClaims = {
    iss: authority.issuer,
    jti: newId('license'),
    sub: input.device.clientId,
    uid: newId('user'),
    cid: input.contentId,
    rights: { play: true },
    key: await wrapContentKey(input.contentKey ?? randomBytes(32), input.device.publicJwk),
    origin: { type: 'purchase' },
    iat: now,
    nbf: now,
    ...input.overrides,
  };
  return signJws(claims, { typ: TOKEN_TYPES.license, key: (input.signWith ?? authority.signing).privateJwk });
}

export interface CertificateInput {
  destination: { clientId: string; publicJwk: PublicEcJwk };
  contentId: string;
  moveId?: string;
  contentKey?: Uint8Array;
  source?: { iss: string; sub: string; lic: string };
  overrides?: Partial<CopyCertificateClaims>;
  licenseOverrides?: Partial<LicenseClaims>;
  signWith?: GeneratedKeyPair;
}

/** A copy certificate as the destination's authority signs it, carrying the destination's license. */
export async function issueTestCopyCertificate(
  authority: TestAuthority,
  input: CertificateInput,
): Promise<{ certificate: string; license: string; moveId: string }> {
  const now = nowSeconds();
  const moveId = input.moveId ?? newId('move');
  const license = await issueTestLicense(authority, {
    device: input.destination,
    contentId: input.contentId,
    ...(input.contentKey ? { contentKey: input.contentKey } : {}),
    overrides: { origin: { type: 'move', move: moveId }, ...input.licenseOverrides },
  });
  const claims: CopyCertificateClaims = {
    iss: authority.issuer,
    jti: newId('certificate'),
    move: moveId,
    src: input.source ?? { iss: authority.issuer, sub: newId('client'), lic: newId('license') },
    dst: { iss: authority.issuer, sub: input.destination.clientId },
    cid: input.contentId,
    uid: `${newId('user')}@${authority.issuer}`,
    license,
    iat: now,
    exp: now + 3600,
    ...input.overrides,
  };
  const certificate = await signJws(claims, { typ: TOKEN_TYPES.copyCertificate, key: (input.signWith ?? authority.signing).privateJwk });
  return { certificate, license, moveId };
}

/** Flips one character of the signature: the token still parses, its signature no longer verifies. */
export function tamperSignature(token: string): string {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const first = signature[0] === 'A' ? 'B' : 'A';
  return `${header}.${payload}.${first}${signature.slice(1)}`;
}

/** Replaces the payload with edited claims while keeping the original signature. */
export function tamperPayload(token: string, edit: (claims: Record<string, unknown>) => void): string {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  edit(claims);
  return `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
}
