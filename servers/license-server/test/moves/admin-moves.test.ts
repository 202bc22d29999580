import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { newId } from '@tessera/protocol';
import type supertest from 'supertest';
import { expectProblem, startHarness, type Harness, type TestDevice } from '../support/harness.ts';
import { addContent, registeredDevice } from '../licenses/license-fixtures.ts';

describe('the history of moves in the admin API (claim 5)', () => {
  let h: Harness;
  let aurora: { id: string; slug: string; issuer: string };
  let viewer: supertest.Agent;
  let outsider: supertest.Agent;
  let alice: { id: string; username: string; password: string };
  let bob: { id: string; username: string; password: string };
  let phone: TestDevice;
  let tablet: TestDevice;
  let first: { moveId: string; certificate: string; contentId: string };
  let second: { moveId: string };
  let bobs: { moveId: string };

  const buyAndMove = async (from: TestDevice, to: TestDevice, contentId: string) => {
    const bought = await from.call('POST', '/licenses', { contentId });
    assert.equal(bought.status, 201);
    const moved = await from.call('POST', '/moves', { licenseId: bought.body.licenseId, destination: { clientId: to.clientId } });
    assert.equal(moved.status, 201, JSON.stringify(moved.body));
    return moved.body;
  };

  before(async () => {
    h = await startHarness();
    aurora = await h.authority({ slug: 'aurora', prices: { license: 499, move: 99 } });
    const borealis = await h.authority({ slug: 'borealis', prices: { license: 1, move: 1 } });
    alice = await h.user(aurora.id, 'alice');
    bob = await h.user(aurora.id, 'bob');
    [phone, tablet] = [await registeredDevice(h, 'aurora', alice), await registeredDevice(h, 'aurora', alice)];
    const [bobPhone, bobTablet] = [await registeredDevice(h, 'aurora', bob), await registeredDevice(h, 'aurora', bob)];
    const a = await addContent(h, aurora.id);
    const b = await addContent(h, aurora.id);
    first = await buyAndMove(phone, tablet, a.id);
    second = await buyAndMove(phone, tablet, b.id);
    bobs = await buyAndMove(bobPhone!, bobTablet!, a.id);
    assert.equal((await tablet.call('POST', `/moves/${second.moveId}/ack`)).status, 200);
    await h.admin('viewer@aurora.test', 'viewer password', [{ authorityId: aurora.id, role: 'viewer' }]);
    await h.admin('owner@borealis.test', 'owner password', [{ authorityId: borealis.id, role: 'owner' }]);
    viewer = await h.adminAgent('viewer@aurora.test', 'viewer password');
    outsider = await h.adminAgent('owner@borealis.test', 'owner password');
  });
  after(() => h.close());

  test('a viewer lists the moves, newest first, with source and destination', async () => {
    const res = await viewer.get('/admin/authorities/aurora/moves').expect(200);
    assert.deepEqual(
      res.body.items.map((m: { id: string }) => m.id),
      [bobs.moveId, second.moveId, first.moveId],
    );
    const m = res.body.items[2];
    assert.equal(m.role, 'both');
    assert.equal(m.state, 'completed');
    assert.equal(m.userId, alice.id);
    assert.equal(m.source.clientId, phone.clientId);
    assert.equal(m.destination.clientId, tablet.clientId);
    assert.equal(m.signedBy, aurora.issuer);
    assert.equal(m.certificate, undefined, 'the list carries no certificates');
  });

  test('the list filters by state, user and content, and pages with a cursor', async () => {
    const ids = async (query: string) =>
      (await viewer.get(`/admin/authorities/aurora/moves?${query}`).expect(200)).body.items.map((m: { id: string }) => m.id).sort();
    assert.deepEqual(await ids('state=delivered'), [second.moveId]);
    assert.deepEqual(await ids(`userId=${bob.id}`), [bobs.moveId]);
    assert.deepEqual(await ids(`contentId=${first.contentId}`), [first.moveId, bobs.moveId].sort());
    const page1 = await viewer.get('/admin/authorities/aurora/moves?limit=2').expect(200);
    const page2 = await viewer.get(`/admin/authorities/aurora/moves?limit=2&cursor=${page1.body.nextCursor}`).expect(200);
    assert.equal(page2.body.nextCursor, null);
    assert.equal(new Set([...page1.body.items, ...page2.body.items].map((m: { id: string }) => m.id)).size, 3);
  });

  test('one move is shown with its timeline and certificate', async () => {
    const res = await viewer.get(`/admin/authorities/aurora/moves/${second.moveId}`).expect(200);
    assert.equal(res.body.state, 'delivered');
    assert.deepEqual(
      res.body.events.map((e: { state: string }) => e.state),
      ['reserved', 'completed', 'delivered'],
    );
    assert.match(res.body.certificate, /^[\w-]+\.[\w-]+\.[\w-]+$/);
    const firstMove = await viewer.get(`/admin/authorities/aurora/moves/${first.moveId}`).expect(200);
    assert.equal(firstMove.body.certificate, first.certificate);
    expectProblem(await viewer.get(`/admin/authorities/aurora/moves/${newId('move')}`), 404, 'move_unknown');
  });

  test("another authority's administrator sees none of them", async () => {
    expectProblem(await outsider.get('/admin/authorities/aurora/moves'), 404, 'authority_unknown');
    expectProblem(await outsider.get(`/admin/authorities/borealis/moves/${first.moveId}`), 404, 'move_unknown');
    assert.equal((await outsider.get('/admin/authorities/borealis/moves').expect(200)).body.items.length, 0);
  });
});
