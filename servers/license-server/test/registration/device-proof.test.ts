import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { and, eq } from 'drizzle-orm';
import { createDeviceProof, newId, userGlobalId } from '@tessera/protocol';
import { clients, deviceProofNonces, users } from '../../src/storage/schema.ts';
import { expectProblem, startHarness, TestDevice, type Harness } from '../support/harness.ts';

describe('device proofs on the device API', () => {
  let h: Harness;
  let aurora: { id: string; slug: string; issuer: string };
  let alice: { id: string; username: string; password: string };
  let device: TestDevice;

  const whoami = (proof: string, path = '/t/aurora/me') => h.request().get(path).set('Authorization', `Tessera-Proof ${proof}`);
  const registeredDevice = async (slug: string, username: string, password: string) => {
    const d = await TestDevice.create(h, slug);
    const res = await d.register(username, password);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return d;
  };

  before(async () => {
    h = await startHarness();
    aurora = await h.authority({ slug: 'aurora' });
    await h.authority({ slug: 'borealis' });
    alice = await h.user(aurora.id, 'alice');
    device = await registeredDevice('aurora', 'alice', alice.password);
  });
  after(() => h.close());

  test('a device with a valid proof learns who it is', async () => {
    const res = await device.call('GET', '/me');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body, {
      clientId: device.clientId,
      leafId: device.registration!.leafId,
      label: null,
      authority: aurora.issuer,
      user: { id: alice.id, username: 'alice', globalId: userGlobalId(alice.id, aurora.issuer) },
    });
  });

  test('a request without a proof, or with another scheme, is refused', async () => {
    expectProblem(await h.request().get('/t/aurora/me'), 401, 'proof_missing');
    const res = await h.request().get('/t/aurora/me').set('Authorization', 'Bearer abc');
    expectProblem(res, 401, 'proof_missing');
    assert.equal(res.headers['www-authenticate'], 'Tessera-Proof');
  });

  test('a proof used twice is refused the second time', async () => {
    const proof = await device.proofFor('GET', '/me');
    assert.equal((await whoami(proof)).status, 200);
    expectProblem(await whoami(proof), 401, 'proof_replayed');
  });

  test('a proof made for another URL, method or body is refused', async () => {
    expectProblem(await whoami(await device.proofFor('GET', '/devices')), 401, 'proof_mismatch');
    expectProblem(await whoami(await device.proofFor('POST', '/me')), 401, 'proof_mismatch');
    expectProblem(await whoami(await device.proofFor('GET', '/me', '{"a":1}')), 401, 'proof_mismatch');
    expectProblem(await whoami(await device.proofFor('GET', '/me?x=1')), 401, 'proof_mismatch');
  });

  test('a proof made ten minutes ago is expired', async () => {
    expectProblem(await whoami(await device.proofFor('GET', '/me', '', Date.now() - 10 * 60_000)), 401, 'proof_expired');
    expectProblem(await whoami(await device.proofFor('GET', '/me', '', Date.now() + 10 * 60_000)), 401, 'proof_expired');
  });

  test('a proof whose signature was tampered with is refused', async () => {
    const [h64, p64, s64] = (await device.proofFor('GET', '/me')).split('.');
    const sig = Buffer.from(s64!, 'base64url');
    sig[10] = sig[10]! ^ 0xff;
    expectProblem(await whoami(`${h64}.${p64}.${sig.toString('base64url')}`), 401, 'proof_invalid');
    expectProblem(await whoami('not-a-jws'), 401, 'proof_invalid');
  });

  test('a proof that does not verify leaves nothing in the replay store; one dated far in the future is refused, never a 500', async () => {
    const stored = async () => (await h.server.ctx.db.select().from(deviceProofNonces).where(eq(deviceProofNonces.authorityId, aurora.id))).length;
    const before = await stored();
    for (let i = 0; i < 20; i++) {
      const [h64, p64, s64] = (await device.proofFor('GET', '/me')).split('.');
      const sig = Buffer.from(s64!, 'base64url');
      sig[5] = sig[5]! ^ 0x01;
      expectProblem(await whoami(`${h64}.${p64}.${sig.toString('base64url')}`), 401, 'proof_invalid');
    }
    expectProblem(await whoami(await device.proofFor('GET', '/me', '', 1e18)), 401, 'proof_expired');
    assert.equal(await stored(), before, 'no replay-store row for a proof that was refused');
    assert.equal((await device.call('GET', '/me')).status, 200, 'a good proof is still taken');
    assert.equal(await stored(), before + 1, 'and only it is remembered');
  });

  test('a proof signed by another key than the device’s is refused', async () => {
    const stranger = await TestDevice.create(h, 'aurora');
    const proof = await createDeviceProof({ method: 'GET', url: `${h.url}/t/aurora/me`, key: stranger.key.privateJwk, clientId: device.clientId });
    expectProblem(await whoami(proof), 401, 'proof_invalid');
  });

  test('an unregistered client is unknown', async () => {
    const ghost = await TestDevice.create(h, 'aurora');
    ghost.clientId = newId('client');
    expectProblem(await ghost.call('GET', '/me'), 401, 'client_unknown');
  });

  test("a device of one authority is unknown at another authority's routes", async () => {
    const res = await device.call('GET', '/t/borealis/me');
    expectProblem(res, 401, 'client_unknown');
  });

  test('a revoked device is refused', async () => {
    const bob = await h.user(aurora.id, 'bob');
    const d = await registeredDevice('aurora', 'bob', bob.password);
    await h.server.ctx.db
      .update(clients)
      .set({ status: 'revoked', revokedAt: new Date() })
      .where(and(eq(clients.authorityId, aurora.id), eq(clients.id, d.clientId)));
    expectProblem(await d.call('GET', '/me'), 403, 'client_revoked');
  });

  test("a suspended user's devices are refused, and work again once reinstated", async () => {
    const carol = await h.user(aurora.id, 'carol');
    const d = await registeredDevice('aurora', 'carol', carol.password);
    const setStatus = (status: 'active' | 'suspended') =>
      h.server.ctx.db
        .update(users)
        .set({ status })
        .where(and(eq(users.authorityId, aurora.id), eq(users.id, carol.id)));
    await setStatus('suspended');
    expectProblem(await d.call('GET', '/me'), 403, 'user_suspended');
    await setStatus('active');
    assert.equal((await d.call('GET', '/me')).status, 200);
  });
});
