import { createDeviceProof, generateEcKeyPair, type GeneratedKeyPair } from '@tessera/protocol';
import type { Harness } from '../support/harness.ts';

/**
 * Sends a registration request with full control over its parts, for the cases the
 * well-behaved TestDevice cannot produce: a proof by another key, a replayed proof, odd bodies.
 */
export async function registrationRequest(h: Harness, slug: string, body: string, options: { proof?: string | null; proofKey?: GeneratedKeyPair } = {}) {
  const path = `/t/${slug}/devices`;
  let proof = options.proof;
  if (proof === undefined) {
    const key = options.proofKey ?? (await generateEcKeyPair('sig'));
    proof = await createDeviceProof({ method: 'POST', url: `${h.url}${path}`, body, key: key.privateJwk, jwk: key.publicJwk });
  }
  let req = h.request().post(path).set('Content-Type', 'application/json');
  if (proof !== null) req = req.set('Authorization', `Tessera-Proof ${proof}`);
  return req.send(body);
}

export const registrationBody = (username: string, password: string, key: GeneratedKeyPair, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ credentials: { type: 'password', username, password }, publicKey: key.publicJwk, ...extra });

export const signRegistrationProof = (h: Harness, slug: string, body: string, key: GeneratedKeyPair) =>
  createDeviceProof({ method: 'POST', url: `${h.url}/t/${slug}/devices`, body, key: key.privateJwk, jwk: key.publicJwk });
