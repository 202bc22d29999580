import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { and, eq } from 'drizzle-orm';
import { newId } from '@tessera/protocol';
import type supertest from 'supertest';
import { auditLog, clients } from '../../src/storage/schema.ts';
import { expectProblem, startHarness, TestDevice, type Harness } from '../support/harness.ts';

describe('administering devices', () => {
  let h: Harness;
  let aurora: { id: string; slug: string; issuer: string };
  let admin: supertest.Agent;
  let viewer: supertest.Agent;
  let alice: { id: string; password: string };
  let bob: { id: string; password: string };
  const devices: Record<string, TestDevice> = {};

  const register = async (name: string, username: string, password: string, label?: string) => {
    const d = await TestDevice.create(h, 'aurora');
    const res = await d.register(username, password, label);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    devices[name] = d;
    return d;
  };

  before(async () => {
    h = await startHarness();
    aurora = await h.authority({ slug: 'aurora' });
    const borealis = await h.authority({ slug: 'borealis' });
    await h.admin('ada@aurora.example', 'admin password 1', [{ authorityId: aurora.id, role: 'admin' }]);
    await h.admin('vic@aurora.example', 'viewer password 1', [{ authorityId: aurora.id, role: 'viewer' }]);
    await h.admin('bea@borealis.example', 'admin password 2', [{ authorityId: borealis.id, role: 'owner' }]);
    admin = await h.adminAgent('ada@aurora.example', 'admin password 1');
    viewer = await h.adminAgent('vic@aurora.example', 'viewer password 1');
    alice = await h.user(aurora.id, 'alice');
    bob = await h.user(aurora.id, 'bob');
    await register('alicePhone', 'alice', alice.password, 'Alice phone');
    await register('aliceTv', 'alice', alice.password, 'Living-room TV');
    await register('bobPhone', 'bob', bob.password, 'Bob phone');
  });
  after(() => h.close());

  test('devices are listed newest first with their owner and public key, and filtered by user, status and label or ID', async () => {
    const all = await viewer.get('/admin/authorities/aurora/devices');
    assert.equal(all.status, 200, JSON.stringify(all.body));
    assert.deepEqual(
      all.body.items.map((d: { clientId: string }) => d.clientId),
      [devices.bobPhone!.clientId, devices.aliceTv!.clientId, devices.alicePhone!.clientId],
    );
    const tv = all.body.items[1];
    assert.equal(tv.userId, alice.id);
    assert.equal(tv.username, 'alice');
    assert.deepEqual(tv.publicKey, { kty: 'EC', crv: 'P-256', x: devices.aliceTv!.key.publicJwk.x, y: devices.aliceTv!.key.publicJwk.y });

    const ofAlice = await viewer.get('/admin/authorities/aurora/devices').query({ userId: alice.id });
    assert.equal(ofAlice.body.items.length, 2);
    const byLabel = await viewer.get('/admin/authorities/aurora/devices').query({ q: 'phone' });
    assert.deepEqual(byLabel.body.items.map((d: { label: string }) => d.label).sort(), ['Alice phone', 'Bob phone']);
    const byId = await viewer.get('/admin/authorities/aurora/devices').query({ q: devices.aliceTv!.clientId.slice(4, 14) });
    assert.deepEqual(
      byId.body.items.map((d: { clientId: string }) => d.clientId),
      [devices.aliceTv!.clientId],
    );

    const first = await viewer.get('/admin/authorities/aurora/devices').query({ limit: 2 });
    assert.equal(first.body.items.length, 2);
    assert.ok(first.body.nextCursor, 'a full first page offers a cursor to the next');
    const second = await viewer.get('/admin/authorities/aurora/devices').query({ limit: 2, cursor: first.body.nextCursor });
    assert.deepEqual(
      second.body.items.map((d: { clientId: string }) => d.clientId),
      [devices.alicePhone!.clientId],
    );
    assert.equal(second.body.nextCursor, null);
  });

  test('an admin revokes a device: the device is refused, the revocation is audited once, and revoking again changes nothing', async () => {
    const target = devices.aliceTv!;
    const res = await admin.post(`/admin/authorities/aurora/devices/${target.clientId}/revoke`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.status, 'revoked');
    assert.ok(res.body.revokedAt, 'the answer says when the device was revoked');
    const [row] = await h.server.ctx.db
      .select()
      .from(clients)
      .where(and(eq(clients.authorityId, aurora.id), eq(clients.id, target.clientId)));
    assert.equal(row!.status, 'revoked');
    expectProblem(await target.call('GET', '/me'), 403, 'client_revoked');
    assert.equal((await devices.alicePhone!.call('GET', '/me')).status, 200, "the user's other devices keep working");

    const again = await admin.post(`/admin/authorities/aurora/devices/${target.clientId}/revoke`);
    assert.equal(again.status, 200);
    assert.equal(again.body.revokedAt, res.body.revokedAt);
    const entries = await h.server.ctx.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.authorityId, aurora.id), eq(auditLog.target, target.clientId)));
    assert.equal(entries.length, 1);
    assert.equal(entries[0]!.action, 'device.revoke');
    assert.equal(entries[0]!.actor, 'ada@aurora.example');

    const revoked = await viewer.get('/admin/authorities/aurora/devices').query({ status: 'revoked' });
    assert.deepEqual(
      revoked.body.items.map((d: { clientId: string }) => d.clientId),
      [target.clientId],
    );
    const userView = await viewer.get(`/admin/authorities/aurora/users/${alice.id}`);
    assert.equal(userView.body.activeDevices, 1);
  });

  test('a viewer cannot revoke, an unknown device is not found, and another authority cannot touch it', async () => {
    const target = devices.bobPhone!;
    expectProblem(await viewer.post(`/admin/authorities/aurora/devices/${target.clientId}/revoke`), 403, 'forbidden');
    expectProblem(await admin.post(`/admin/authorities/aurora/devices/${newId('client')}/revoke`), 404, 'not_found');
    const other = await h.adminAgent('bea@borealis.example', 'admin password 2');
    expectProblem(await other.post(`/admin/authorities/borealis/devices/${target.clientId}/revoke`), 404, 'not_found');
    expectProblem(await other.get('/admin/authorities/aurora/devices'), 404, 'authority_unknown');
    assert.equal((await other.get('/admin/authorities/borealis/devices')).body.items.length, 0);
    assert.equal((await target.call('GET', '/me')).status, 200);
  });
});
