import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { and, eq } from 'drizzle-orm';
import { newId } from '@tessera/protocol';
import { clients } from '../../src/storage/schema.ts';
import { expectProblem, startHarness, TestDevice, type Harness } from '../support/harness.ts';

describe("a user's own devices", () => {
  let h: Harness;
  let aurora: { id: string; slug: string; issuer: string };

  const registeredDevice = async (username: string, password: string, label?: string) => {
    const d = await TestDevice.create(h, 'aurora');
    const res = await d.register(username, password, label);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return d;
  };
  const storedClient = async (clientId: string) =>
    (
      await h.server.ctx.db
        .select()
        .from(clients)
        .where(and(eq(clients.authorityId, aurora.id), eq(clients.id, clientId)))
    )[0]!;

  before(async () => {
    h = await startHarness();
    aurora = await h.authority({ slug: 'aurora', deviceLimit: 5 });
  });
  after(() => h.close());

  test("a device lists its user's devices, and only theirs, with the device limit", async () => {
    const alice = await h.user(aurora.id, 'alice');
    const bob = await h.user(aurora.id, 'bob');
    const phone = await registeredDevice('alice', alice.password, 'Phone');
    const tv = await registeredDevice('alice', alice.password, 'TV');
    await registeredDevice('bob', bob.password);
    const res = await phone.call('GET', '/devices');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.limit, 5);
    assert.deepEqual(
      res.body.items.map((d: { clientId: string; label: string; status: string }) => [d.clientId, d.label, d.status]),
      [
        [phone.clientId, 'Phone', 'active'],
        [tv.clientId, 'TV', 'active'],
      ],
    );
    assert.equal(res.body.items[0].leafId, phone.registration!.leafId);
    assert.equal(res.body.items[0].revokedAt, null);
  });

  test('a user deactivates another of their devices: it is revoked and refused from then on', async () => {
    const carol = await h.user(aurora.id, 'carol');
    const laptop = await registeredDevice('carol', carol.password);
    const old = await registeredDevice('carol', carol.password);
    const res = await laptop.call('DELETE', `/devices/${old.clientId}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.clientId, old.clientId);
    assert.equal(res.body.status, 'revoked');
    assert.ok(res.body.revokedAt, 'the answer says when the device was revoked');
    const row = await storedClient(old.clientId);
    assert.equal(row.status, 'revoked');
    assert.ok(row.revokedAt, 'the stored device records when it was revoked');
    expectProblem(await old.call('GET', '/me'), 403, 'client_revoked');
    assert.equal((await laptop.call('GET', '/me')).status, 200);

    // Deactivating it again changes nothing.
    const again = await laptop.call('DELETE', `/devices/${old.clientId}`);
    assert.equal(again.status, 200);
    assert.equal(again.body.revokedAt, res.body.revokedAt);
  });

  test('a device can deactivate itself', async () => {
    const dave = await h.user(aurora.id, 'dave');
    const d = await registeredDevice('dave', dave.password);
    const res = await d.call('DELETE', `/devices/${d.clientId}`);
    assert.equal(res.status, 200);
    assert.equal(res.body.status, 'revoked');
    expectProblem(await d.call('GET', '/devices'), 403, 'client_revoked');
  });

  test("another user's device, or an unknown one, cannot be deactivated", async () => {
    const erin = await h.user(aurora.id, 'erin');
    const frank = await h.user(aurora.id, 'frank');
    const mine = await registeredDevice('erin', erin.password);
    const theirs = await registeredDevice('frank', frank.password);
    expectProblem(await mine.call('DELETE', `/devices/${theirs.clientId}`), 404, 'not_found');
    assert.equal((await storedClient(theirs.clientId)).status, 'active');
    assert.equal((await theirs.call('GET', '/me')).status, 200);
    expectProblem(await mine.call('DELETE', `/devices/${newId('client')}`), 404, 'not_found');
    expectProblem(await mine.call('DELETE', '/devices/not-an-id'), 400, 'invalid_request');
  });
});
