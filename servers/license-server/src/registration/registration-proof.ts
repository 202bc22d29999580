import type { Request } from 'express';
import { deviceProofClaimsSchema, jwkThumbprint, publicEcJwkSchema, TOKEN_TYPES, TesseraProblem, verifyJws, type PublicEcJwk } from '@tessera/protocol';
import type { AuthorityRef } from '../authorities/authority-directory.ts';
import type { AppContext } from '../context.ts';
import { checkProofBinding, claimProofNonce, proofTimeWindow, readProofHeader } from './device-proof-strategy.ts';

/**
 * Proof of possession at registration: the device has no client ID yet, so its proof carries
 * the public key itself (`jwk` header) and must be signed by the key it asks to register.
 * Returns the key's RFC 7638 thumbprint.
 */
export async function verifyRegistrationProof(req: Request, authority: AuthorityRef, publicKey: PublicEcJwk, ctx: AppContext): Promise<string> {
  const token = readProofHeader(req);
  const thumbprint = await jwkThumbprint(publicKey);
  const { payload } = await verifyJws(token, {
    typ: TOKEN_TYPES.deviceProof,
    schema: deviceProofClaimsSchema,
    problem: 'proof_invalid',
    claims: proofTimeWindow(ctx),
    resolveKey: async (header) => {
      const jwk = publicEcJwkSchema.safeParse(header.jwk);
      if (!jwk.success) throw new TesseraProblem('proof_invalid', 'a registration proof must carry the public P-256 key it is signed with as its jwk header');
      if ((await jwkThumbprint(jwk.data)) !== thumbprint)
        throw new TesseraProblem('proof_invalid', 'the proof is not signed with the publicKey being registered');
      // SDKs sign with a JWK whose kid is its thumbprint; anything else (a client ID) means the wrong kind of proof.
      if (header.kid !== undefined && header.kid !== thumbprint) throw new TesseraProblem('proof_invalid', 'a registration proof carries no client ID as kid');
      return jwk.data;
    },
  });
  checkProofBinding(payload, req, ctx);
  await claimProofNonce(ctx, authority.id, payload);
  return thumbprint;
}
