import type { Request } from 'express';
import { sql } from 'drizzle-orm';
import { Strategy } from 'passport-strategy';
import { z } from 'zod';
import {
  DEVICE_PROOF_SCHEME,
  deviceProofClaimsSchema,
  sha256Base64url,
  TOKEN_TYPES,
  TesseraProblem,
  verifyJws,
  type DeviceProofClaims,
  type PublicEcJwk,
} from '@tessera/protocol';
import type { AuthorityRef } from '../authorities/authority-directory.ts';
import type { AppContext } from '../context.ts';

import type { DevicePrincipal } from '../http/principals.ts';
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

/** Checks that a verified proof was made for exactly this request, now. */
export function checkProofBinding(claims: DeviceProofClaims, req: Request, ctx: AppContext): void {
  if (claims.htm !== req.method) throw new TesseraProblem('proof_mismatch', `the proof is for ${claims.htm}, not ${req.method}`);
  const url = `${ctx.config.publicUrl}${req.originalUrl}`;
  if (claims.htu !== url) throw new TesseraProblem('proof_mismatch', `the proof is for ${claims.htu}, not ${url}`);
  if (claims.bsh !== sha256Base64url(rawBodyOf(req))) throw new TesseraProblem('proof_mismatch', 'the proof does not match the request body');
  const skew = ctx.config.clockSkewSeconds;
  const now = Math.floor(Date.now() / 1000);
  if (Math.abs(now - claims.iat) > skew) throw new TesseraProblem('proof_expired', `the proof's iat must be within ${skew} s of the server's clock`);
}

/** Nonces live until a proof with that `iat` could no longer be accepted anyway. */
export const nonceExpiry = (iat: number, skewSeconds: number) => new Date((iat + 2 * skewSeconds) * 1000);

interface ClientRow extends Record<string, unknown> {
  id: string;
  user_id: string;
  leaf_id: number;
  label: string | null;
  public_jwk: PublicEcJwk;
  status: 'active' | 'revoked';
  username: string;
  user_status: 'active' | 'suspended';
  fresh: boolean;
}

/**
 * Authenticates a device request (DESIGN 5, "device proof"). The client lookup and the
 * one-time `jti` insert share one SQL round trip; the nonce store is in the database so
 * every instance behind a load balancer refuses the same replays.
 */
export async function verifyDeviceRequest(req: Request, authority: AuthorityRef, ctx: AppContext): Promise<DevicePrincipal> {
  const token = readProofHeader(req);
  let clientId: string | undefined;
  let row: ClientRow | undefined;
  const { payload } = await verifyJws(token, {
    typ: TOKEN_TYPES.deviceProof,
    schema: deviceProofClaimsSchema,
    problem: 'proof_invalid',
    resolveKey: async (header) => {
      if (typeof header.kid !== 'string' || header.kid.length > 64) throw new TesseraProblem('proof_invalid', 'the proof header must carry the client ID as kid');
      clientId = header.kid;
      const claims = peekClaims(token);
      const result = (await ctx.db.execute(sql`
        with nonce as (
          insert into device_proof_nonces (authority_id, jti, expires_at)
          select ${authority.id}, ${claims.jti}, ${nonceExpiry(claims.iat, ctx.config.clockSkewSeconds)}
          where exists (select 1 from clients where authority_id = ${authority.id} and id = ${clientId})
          on conflict do nothing
          returning 1
        )
        select c.id, c.user_id, c.leaf_id, c.label, c.public_jwk, c.status, u.username, u.status as user_status,
               exists (select 1 from nonce) as fresh
        from clients c join users u on u.authority_id = c.authority_id and u.id = c.user_id
        where c.authority_id = ${authority.id} and c.id = ${clientId}`)) as unknown as { rows: ClientRow[] };
      row = result.rows[0];
      if (!row) throw new TesseraProblem('client_unknown', `no device ${clientId} at ${authority.issuer}`);
      return row.public_jwk;
    },
  });
  checkProofBinding(payload, req, ctx);
  if (!row!.fresh) throw new TesseraProblem('proof_replayed', 'this proof was already used; sign a new one for every request');
  if (row!.status !== 'active') throw new TesseraProblem('client_revoked', `device ${clientId} has been revoked`);
  if (row!.user_status !== 'active') throw new TesseraProblem('user_suspended', 'the account is suspended');
  return { authority, clientId: row!.id, leafId: row!.leaf_id, label: row!.label, userId: row!.user_id, username: row!.username };
}

// Not `.pick()`: the claims schema is strict, and a pick of it would refuse the other claims.
const nonceClaimsSchema = z.object({ jti: deviceProofClaimsSchema.shape.jti, iat: deviceProofClaimsSchema.shape.iat });

/** Reads jti/iat before verification only to key the nonce insert; they are verified right after. */
function peekClaims(token: string): { jti: string; iat: number } {
  try {
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
    const parsed = nonceClaimsSchema.safeParse(claims);
    if (parsed.success) return parsed.data;
  } catch {
    /* fall through */
  }
  throw new TesseraProblem('proof_invalid', 'the proof claims are malformed');
}

/** The Passport strategy `device-proof`: stateless, one verification per request. */
export class DeviceProofStrategy extends Strategy {
  name = 'device-proof';

  constructor(private readonly ctx: AppContext) {
    super();
  }

  override authenticate(req: Request): void {
    const authority = req.res?.locals.authority as AuthorityRef | undefined;
    if (!authority) return this.error(new Error('device-proof needs the authority resolved first'));
    verifyDeviceRequest(req, authority, this.ctx).then(
      (principal) => this.success(principal),
      (error) => this.error(error),
    );
  }
}
