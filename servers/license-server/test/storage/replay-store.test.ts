import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eq } from 'drizzle-orm';
import { claimNonce, sweepExpiredNonces } from '../../src/storage/replay-queries.ts';
import { deviceProofNonces, federationNonces } from '../../src/storage/schema.ts';
import { startHarness, testEngine, type Harness } from '../support/harness.ts';

describe(`the replay stores (${testEngine()})`, () => {
  let h: Harness;
  let authorityId: string;
  before(async () => {
    h = await startHarness();
    authorityId = (await h.authority({ slug: 'aurora' })).id;
  });
  after(() => h.close());

  const soon = () => new Date(Date.now() + 60_000);

  test('a token ID is claimed once; the same ID from another issuer is another token', async () => {
    const db = h.server.ctx.db;
    assert.equal(await claimNonce(db, { store: 'device-proof', authorityId, jti: 'proof-1', expiresAt: soon() }), true, 'first use');
    assert.equal(await claimNonce(db, { store: 'device-proof', authorityId, jti: 'proof-1', expiresAt: soon() }), false, 'a replay');
    assert.equal(
      await claimNonce(db, { store: 'federation', authorityId, issuer: 'https://a.example/t/x', jti: 'env-1', expiresAt: soon() }),
      true,
      'first envelope',
    );
    assert.equal(
      await claimNonce(db, { store: 'federation', authorityId, issuer: 'https://b.example/t/y', jti: 'env-1', expiresAt: soon() }),
      true,
      'same jti, other issuer',
    );
    assert.equal(
      await claimNonce(db, { store: 'federation', authorityId, issuer: 'https://a.example/t/x', jti: 'env-1', expiresAt: soon() }),
      false,
      'a replayed envelope',
    );
  });

  test('the sweeper forgets every store’s expired IDs and keeps the live ones', async () => {
    const db = h.server.ctx.db;
    const past = new Date(Date.now() - 1000);
    await claimNonce(db, { store: 'device-proof', authorityId, jti: 'old-proof', expiresAt: past });
    await claimNonce(db, { store: 'federation', authorityId, issuer: 'https://a.example/t/x', jti: 'old-env', expiresAt: past });
    await sweepExpiredNonces(db, new Date());
    const proofs = (await db.select().from(deviceProofNonces).where(eq(deviceProofNonces.authorityId, authorityId))).map((r) => r.jti);
    const envelopes = (await db.select().from(federationNonces).where(eq(federationNonces.authorityId, authorityId))).map((r) => r.jti);
    assert.equal(proofs.includes('old-proof'), false, 'the expired proof ID is gone');
    assert.equal(envelopes.includes('old-env'), false, 'the expired envelope ID is gone');
    assert.ok(proofs.includes('proof-1') && envelopes.includes('env-1'), `live IDs stay: ${proofs.join(', ')} / ${envelopes.join(', ')}`);
  });
});
