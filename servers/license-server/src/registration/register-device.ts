import {
  newId,
  publicPart,
  signJws,
  TesseraProblem,
  TOKEN_TYPES,
  userGlobalId,
  type ClientCertificateClaims,
  type PublicEcJwk,
  type RegisterDeviceResponse,
} from '@tessera/protocol';
import { verifyPassword } from '../admin/passwords.ts';
import type { AuthorityRef } from '../authorities/authority-directory.ts';
import type { AppContext } from '../context.ts';
import { attemptSucceeded, reserveAttempt } from '../limits/password-attempts.ts';
import { assignLeafId, countActiveDevicesAndKey, findUserByUsername, insertClient, lockUserForRegistration } from './client-queries.ts';

export interface DeviceRegistration {
  authority: AuthorityRef;
  username: string;
  password: string;
  /** Already proven to be held by the caller (registration-proof.ts). */
  publicKey: PublicEcJwk;
  thumbprint: string;
  label?: string | undefined;
  /** Where the request came from: password attempts are limited per address too. */
  clientAddress?: string | undefined;
}

/**
 * Registers a device (claims 1, 10): assigns its client ID and leaf ID, issues its client
 * certificate and stores the client (claim 5), in one transaction.
 */
export async function registerDevice(ctx: AppContext, input: DeviceRegistration): Promise<RegisterDeviceResponse> {
  const { authority } = input;
  // argon2 runs before any lock is taken: it is the slow part and needs none.
  // The attempt is reserved before the password is checked (limits/password-attempts.ts).
  const attempt = await reserveAttempt(ctx.db, ctx.config, { realm: authority.id, account: input.username, ip: input.clientAddress });
  const user = await findUserByUsername(ctx.db, authority.id, input.username);
  const passwordOk = await verifyPassword(user?.passwordHash, input.password);
  if (!user || !passwordOk) throw new TesseraProblem('invalid_credentials', 'wrong username or password');
  await attemptSucceeded(ctx.db, attempt);
  if (user.status !== 'active') throw new TesseraProblem('user_suspended', 'the account is suspended; no device can be registered');

  const signingKey = await ctx.keyring.signingKey(authority.id);
  const authorityKeys = await ctx.keyring.jwks(authority.id);
  const publicKey = publicPart(input.publicKey);
  const clientId = newId('client');

  const row = await ctx.db.transaction(async (tx) => {
    const locked = await lockUserForRegistration(tx, authority.id, user.id);
    if (!locked) throw new TesseraProblem('invalid_credentials', 'wrong username or password');
    if (locked.status !== 'active') throw new TesseraProblem('user_suspended', 'the account is suspended; no device can be registered');
    const { activeDevices, keyTaken } = await countActiveDevicesAndKey(tx, authority.id, user.id, input.thumbprint);
    if (keyTaken) throw new TesseraProblem('key_already_registered', 'this key is already registered; generate a new key pair for a new device');
    if (activeDevices >= locked.deviceLimit) {
      throw new TesseraProblem(
        'device_limit_reached',
        `the account already has ${activeDevices} active devices (limit ${locked.deviceLimit}); deactivate one first`,
      );
    }
    // Taken last: the authority row stays locked from here to commit, and every registration of the authority needs it.
    const leafId = await assignLeafId(tx, authority.id);
    const claims: ClientCertificateClaims = {
      iss: authority.issuer,
      sub: clientId,
      uid: user.id,
      leaf: leafId,
      cnf: { jwk: publicKey },
      iat: Math.floor(Date.now() / 1000),
    };
    const certificate = await signJws(claims, { typ: TOKEN_TYPES.clientCertificate, key: signingKey.key, kid: signingKey.kid });
    const inserted = await insertClient(tx, {
      authorityId: authority.id,
      id: clientId,
      userId: user.id,
      leafId,
      publicJwk: publicKey,
      thumbprint: input.thumbprint,
      certificate,
      label: input.label ?? null,
    });
    // Another user registering the same key concurrently is not serialised by our user lock.
    if (!inserted) throw new TesseraProblem('key_already_registered', 'this key is already registered; generate a new key pair for a new device');
    return inserted;
  });

  return {
    clientId: row.id,
    leafId: row.leafId,
    authority: authority.issuer,
    user: { id: user.id, username: user.username, globalId: userGlobalId(user.id, authority.issuer) },
    label: row.label,
    clientCertificate: row.certificate,
    authorityKeys,
    registeredAt: row.registeredAt.toISOString(),
  };
}
