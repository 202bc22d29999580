import {
  clientCertificateClaimsSchema,
  jwkThumbprint,
  publicPart,
  TOKEN_TYPES,
  verifyJws,
  type AccountLink,
  type Device as DeviceInfo,
  type Jwks,
} from '@tessera/protocol';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { findSigningKey } from './authority-keys.ts';
import { normalizeIssuer, type DeviceContext } from './device-context.ts';
import type { DeviceRecord } from './device-store.ts';
import { DeviceError } from './errors.ts';
import type { TesseraHttpClient } from './http.ts';

export interface DeviceIdentity {
  clientId: string;
  leafId: number;
  authority: string;
  /** The username. */
  user: string;
  userId: string;
  /** `<userId>@<issuer>`: how other authorities know this user. */
  userGlobalId: string;
  label: string | null;
}

export interface RegisterInput {
  /** The authority's issuer URL, `<server>/t/<slug>`. */
  authority: string;
  username: string;
  password: string;
  label?: string;
}

export function identityOf(record: DeviceRecord): DeviceIdentity {
  return {
    clientId: record.clientId,
    leafId: record.leafId,
    authority: record.authority,
    user: record.user.username,
    userId: record.user.id,
    userGlobalId: record.user.globalId,
    label: record.label,
  };
}

/**
 * Registers a device (claims 1, 10): a fresh P-256 key pair — one key both signs the device's
 * proofs and receives content keys — sent with the user's credentials. The client certificate
 * is checked against the authority keys that come with it before anything is stored; the
 * caller writes nothing itself.
 */
export async function registerDevice(ctx: Pick<DeviceContext, 'store' | 'client'>, input: RegisterInput): Promise<{ record: DeviceRecord; privateJwk: JWK }> {
  const endpoint = normalizeIssuer(input.authority);
  const http = ctx.client(endpoint);
  const { privateKey } = await generateKeyPair('ES256', { crv: 'P-256', extractable: true });
  const privateJwk = await exportJWK(privateKey);
  const publicJwk = publicPart(privateJwk);
  const response = await http.call(
    'registerDevice',
    {
      body: {
        credentials: { type: 'password', username: input.username, password: input.password },
        publicKey: publicJwk,
        ...(input.label !== undefined ? { label: input.label } : {}),
      },
    },
    { kind: 'registration', privateJwk, publicJwk },
  );

  const certificate = await verifyJws(response.clientCertificate, {
    typ: TOKEN_TYPES.clientCertificate,
    schema: clientCertificateClaimsSchema,
    problem: 'invalid_request',
    resolveKey: (header) => (typeof header.kid === 'string' ? findSigningKey(response.authorityKeys, header.kid) : null),
  }).catch((error: unknown) => {
    throw new DeviceError('unexpected_response', `the client certificate does not verify with the authority's keys: ${(error as Error).message}`);
  });
  const claims = certificate.payload;
  const boundToThisKey = (await jwkThumbprint(claims.cnf.jwk)) === (await jwkThumbprint(publicJwk));
  if (
    claims.iss !== response.authority ||
    claims.sub !== response.clientId ||
    claims.leaf !== response.leafId ||
    claims.uid !== response.user.id ||
    !boundToThisKey
  ) {
    throw new DeviceError('unexpected_response', 'the client certificate does not describe this device and its key');
  }

  const record: DeviceRecord = {
    version: 1,
    authority: response.authority,
    endpoint,
    clientId: response.clientId,
    leafId: response.leafId,
    user: response.user,
    label: response.label,
    clientCertificate: response.clientCertificate,
    authorityKeys: response.authorityKeys,
    registeredAt: response.registeredAt,
  };
  // The key first: a device record without its key would be a device that cannot speak.
  await ctx.store.writePrivateKey(privateJwk);
  await ctx.store.writeDevice(record);
  return { record, privateJwk };
}

/** Asks the authority who this device is: also proves the registration still works. */
export async function whoami(ctx: DeviceContext): Promise<DeviceIdentity> {
  const me = await ctx.http().call('whoami', {}, ctx.auth());
  return {
    clientId: me.clientId,
    leafId: me.leafId,
    authority: me.authority,
    user: me.user.username,
    userId: me.user.id,
    userGlobalId: me.user.globalId,
    label: me.label,
  };
}

export async function listDevices(ctx: DeviceContext): Promise<DeviceInfo[]> {
  return (await ctx.http().call('listDevices', {}, ctx.auth())).items;
}

/** Deactivates one of the user's devices — this one included, after which it is refused. */
export async function deactivateDevice(ctx: DeviceContext, clientId: string): Promise<DeviceInfo> {
  return ctx.http().call('deactivateDevice', { params: { clientId } }, ctx.auth());
}

/**
 * An authority's published keys, `<issuer>/jwks.json`. The device stores only its own
 * authority's: a token naming an unknown key is never a reason to trust another.
 */
export async function fetchAuthorityKeys(http: TesseraHttpClient): Promise<Jwks> {
  return http.call('jwks', {}, { kind: 'none' });
}

/**
 * Account linking, step 1 (DESIGN §7): a link assertion from this device's authority that its
 * user is signed in here, addressed to `audience` (a peer authority's issuer URL).
 */
export async function requestLinkAssertion(ctx: DeviceContext, audience: string): Promise<{ assertion: string; expiresAt: string }> {
  return ctx.http().call('createLinkAssertion', { body: { audience: normalizeIssuer(audience) } }, ctx.auth());
}

/** Account linking, step 2: presents an assertion from a peer authority here, linking the two accounts. */
export async function presentLinkAssertion(ctx: DeviceContext, assertion: string): Promise<AccountLink> {
  return ctx.http().call('presentLinkAssertion', { body: { assertion: assertion.trim() } }, ctx.auth());
}

export async function listAccountLinks(ctx: DeviceContext): Promise<AccountLink[]> {
  return (await ctx.http().call('listAccountLinks', {}, ctx.auth())).items;
}
