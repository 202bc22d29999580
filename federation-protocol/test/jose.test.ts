import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { z } from 'zod';
import {
  decodeJwsUnverified,
  generateEcKeyPair,
  signJws,
  TesseraProblem,
  TOKEN_TYPES,
  verifyJws,
  type GeneratedKeyPair,
  type ProblemCode,
} from '../src/index.ts';

const claimsSchema = z.object({ iss: z.string(), aud: z.string(), iat: z.number(), exp: z.number() }).passthrough();
const NOW = 1_800_000_000;

describe('verifyJws with registered-claim checks', () => {
  let signer: GeneratedKeyPair;
  before(async () => {
    signer = await generateEcKeyPair('sig');
  });

  const sign = (claims: object) => signJws(claims, { typ: TOKEN_TYPES.federationEnvelope, key: signer.privateJwk });
  const verify = (token: string) =>
    verifyJws(token, {
      typ: TOKEN_TYPES.federationEnvelope,
      schema: claimsSchema,
      resolveKey: () => signer.publicJwk,
      problem: 'envelope_invalid',
      claims: {
        audience: 'https://b.example/t/x',
        clockToleranceSeconds: 30,
        maxAgeSeconds: 120,
        now: NOW * 1000,
        expired: 'envelope_expired',
        misaddressed: 'envelope_misaddressed',
      },
    });
  const refusal = async (token: string): Promise<{ code: ProblemCode; detail: string | undefined }> => {
    const error = await verify(token).then(
      () => assert.fail('the token was accepted'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof TesseraProblem, `a TesseraProblem is thrown, got ${String(error)}`);
    return { code: error.code, detail: error.detail };
  };
  const good = { iss: 'https://a.example/t/y', aud: 'https://b.example/t/x', iat: NOW, exp: NOW + 60 };

  it('accepts a token inside its window and addressed to the verifier, and returns its claims', async () => {
    const { payload } = await verify(await sign(good));
    assert.deepEqual(payload, good);
  });

  it('accepts a token that expired less than the clock tolerance ago', async () => {
    const { payload } = await verify(await sign({ ...good, iat: NOW - 80, exp: NOW - 20 }));
    assert.equal(payload.exp, NOW - 20);
  });

  it('refuses an expired token with the expiry code', async () => {
    assert.deepEqual(await refusal(await sign({ ...good, iat: NOW - 100, exp: NOW - 30 })), { code: 'envelope_expired', detail: 'the token has expired' });
  });

  it('refuses a token dated in the future beyond the tolerance with the expiry code', async () => {
    const { code } = await refusal(await sign({ ...good, iat: NOW + 31, exp: NOW + 90 }));
    assert.equal(code, 'envelope_expired');
  });

  it('refuses a token older than the longest age even when its exp is later', async () => {
    const { code } = await refusal(await sign({ ...good, iat: NOW - 200, exp: NOW + 60 }));
    assert.equal(code, 'envelope_expired');
  });

  it('refuses a token addressed to another audience with the misaddressed code', async () => {
    const { code, detail } = await refusal(await sign({ ...good, aud: 'https://c.example/t/z' }));
    assert.equal(code, 'envelope_misaddressed');
    assert.match(detail ?? '', /not addressed to https:\/\/b\.example\/t\/x/);
  });

  it("refuses a token signed by another key with the token kind's own code, before any claim is looked at", async () => {
    const stranger = await generateEcKeyPair('sig');
    const forged = await signJws({ ...good, aud: 'https://c.example/t/z' }, { typ: TOKEN_TYPES.federationEnvelope, key: stranger.privateJwk });
    assert.deepEqual(await refusal(forged), { code: 'envelope_invalid', detail: 'the signature does not verify' });
  });

  it("refuses a token whose verification key is no point on P-256 with the token kind's own code", async () => {
    const token = await sign(good);
    const offCurve = { ...signer.publicJwk, x: signer.publicJwk.x.startsWith('A') ? `B${signer.publicJwk.x.slice(1)}` : `A${signer.publicJwk.x.slice(1)}` };
    const error = await verifyJws(token, {
      typ: TOKEN_TYPES.federationEnvelope,
      schema: claimsSchema,
      resolveKey: () => offCurve,
      problem: 'envelope_invalid',
    }).then(
      () => assert.fail('a token was verified with an off-curve key'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof TesseraProblem, `a TesseraProblem, not ${String(error)}`);
    assert.equal(error.code, 'envelope_invalid');
  });

  it("decodes an unverified token's header and claims through jose", async () => {
    const token = await sign(good);
    const { header, payload } = decodeJwsUnverified(token);
    assert.equal(header.typ, TOKEN_TYPES.federationEnvelope);
    assert.equal(header.kid, signer.kid);
    assert.deepEqual(payload, good);
    assert.throws(() => decodeJwsUnverified('not-a-token'), 'a malformed token throws instead of yielding empty claims');
  });
});
