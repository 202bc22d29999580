import type { Request } from 'express';
import { Strategy } from 'passport-strategy';
import {
  DEVICE_PROOF_SCHEME,
  deviceProofClaimsSchema,
  sha256Base64url,
  TOKEN_TYPES,
  TesseraProblem,
  verifyJws,
  type ClaimChecks,
  type DeviceProofClaims,
} from '@tessera/protocol';
import type { AuthorityRef } from '../authorities/authority-directory.ts';
import type { AppContext } from '../context.ts';

import type { DevicePrincipal } from '../http/principals.ts';
import { claimNonce } from '../storage/replay-queries.ts';
import { findProofClient, type ProofClient } from './client-queries.ts';
export type { DevicePrincipal };

/** The raw body bytes, kept by the JSON parser: the proof signs their digest. */
export const rawBodyOf = (req: Request): Buffer => (req as Request & { rawBody?: Buffer }).rawBody ?? Buffer.alloc(0);

export function readProofHeader(req: Request): string {
  const header = req.get('authorization');
  if (!header) throw new TesseraProblem('proof_missing', `send Authorization: ${DEVICE_PROOF_SCHEME} <proof>`);
  const [scheme, token, ...rest] = header.trim().split(/\s+/);
  if (scheme?.toLowerCase() !== DEVICE_PROOF_SCHEME.toLowerCase() || !token || rest.length) {
    throw new TesseraProblem('proof_missing', `the Authorization scheme must be ${DEVICE_PROOF_SCHEME}`);
  }
  return token;
}

/**
 * A proof's moment: jose's claim checks refuse an `iat` more than the clock skew away from the
 * server's clock, in either direction (an age of at most 0 s, with the skew as tolerance).
 */
export const proofTimeWindow = (ctx: AppContext): ClaimChecks => ({
  clockToleranceSeconds: ctx.config.clockSkewSeconds,
  maxAgeSeconds: 0,
  expired: 'proof_expired',
});

/** Checks that a verified proof was made for exactly this request. */
export function checkProofBinding(claims: DeviceProofClaims, req: Request, ctx: AppContext): void {
  if (claims.htm !== req.method) throw new TesseraProblem('proof_mismatch', `the proof is for ${claims.htm}, not ${req.method}`);
  const url = `${ctx.config.publicUrl}${req.originalUrl}`;
  if (claims.htu !== url) throw new TesseraProblem('proof_mismatch', `the proof is for ${claims.htu}, not ${url}`);
  if (claims.bsh !== sha256Base64url(rawBodyOf(req))) throw new TesseraProblem('proof_mismatch', 'the proof does not match the request body');
}

/**
 * Claims a verified proof's one-time `jti`, shared by every instance through the database. The
 * nonce lives until a proof with that `iat` could no longer be accepted anyway.
 */
export async function claimProofNonce(ctx: AppContext, authorityId: string, claims: DeviceProofClaims): Promise<void> {
  const expiresAt = new Date((claims.iat + 2 * ctx.config.clockSkewSeconds) * 1000);
  const fresh = await claimNonce(ctx.db, { store: 'device-proof', authorityId, jti: claims.jti, expiresAt });
  if (!fresh) throw new TesseraProblem('proof_replayed', 'this proof was already used; sign a new one for every request');
}

/**
 * Authenticates a device request (DESIGN 5, "device proof"): the client's key is looked up, the
 * proof verified against it and bound to this request and this moment, and only then is its
 * one-time `jti` claimed, so a stranger's unsigned proofs never reach the replay store. The store
 * is in the database, so every instance behind a load balancer refuses the same replays.
 */
export async function verifyDeviceRequest(req: Request, authority: AuthorityRef, ctx: AppContext): Promise<DevicePrincipal> {
  const token = readProofHeader(req);
  let clientId: string | undefined;
  let row: ProofClient | undefined;
  const { payload } = await verifyJws(token, {
    typ: TOKEN_TYPES.deviceProof,
    schema: deviceProofClaimsSchema,
    problem: 'proof_invalid',
    claims: proofTimeWindow(ctx),
    resolveKey: async (header) => {
      if (typeof header.kid !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(header.kid))
        throw new TesseraProblem('proof_invalid', 'the proof header must carry the client ID as kid');
      clientId = header.kid;
      row = await findProofClient(ctx.db, authority.id, clientId);
      if (!row) throw new TesseraProblem('client_unknown', `no device ${clientId} at ${authority.issuer}`);
      return row.public_jwk;
    },
  });
  checkProofBinding(payload, req, ctx);
  await claimProofNonce(ctx, authority.id, payload);
  if (row!.status !== 'active') throw new TesseraProblem('client_revoked', `device ${clientId} has been revoked`);
  if (row!.user_status !== 'active') throw new TesseraProblem('user_suspended', 'the account is suspended');
  return { authority, clientId: row!.id, leafId: row!.leaf_id, label: row!.label, userId: row!.user_id, username: row!.username };
}

/** The Passport strategy `device-proof`: stateless, one verification per request. */
export class DeviceProofStrategy extends Strategy {
  name = 'device-proof';

  constructor(private readonly ctx: AppContext) {
    super();
  }

  override authenticate(req: Request): void {
    const authority = req.res?.locals.authority as AuthorityRef | undefined;
    if (!authority) {
      this.error(new Error('device-proof needs the authority resolved first'));
      return;
    }
    verifyDeviceRequest(req, authority, this.ctx).then(
      (principal) => this.success(principal),
      (error) => this.error(error),
    );
  }
}
