import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { newId } from '@tessera/protocol';
import type supertest from 'supertest';
import { expectProblem, startHarness, type Harness, type TestDevice } from '../support/harness.ts';
import { addContent, registeredDevice } from './license-fixtures.ts';

describe('licenses in the admin API', () => {
  let h: Harness;
  let aurora: { id: string; slug: string; issuer: string };
  let viewer: supertest.Agent;
  let outsider: supertest.Agent;
  let alice: { id: string; username: string };
  let bob: { id: string; username: string };
  let phone: TestDevice;
  let tablet: TestDevice;
  const licenseIds: Record<string, string> = {};
  let contentA: string;
  let movedId: string;

  const buy = async (device: TestDevice, contentId: string) => {
    const res = await device.call('POST', '/licenses', { contentId });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.licenseId as string;
  };

  before(async () => {
    h = await startHarness();
    aurora = await h.authority({ slug: 'aurora', prices: { license: 499, move: 99 } });
    const borealis = await h.authority({ slug: 'borealis', prices: { license: 1, move: 1 } });
    alice = await h.user(aurora.id, 'alice');
    bob = await h.user(aurora.id, 'bob');
    phone = await registeredDevice(h, 'aurora', { ...alice, password: 'correct horse battery' });
    tablet = await registeredDevice(h, 'aurora', { ...alice, password: 'correct horse battery' });
    const bobPhone = await registeredDevice(h, 'aurora', { ...bob, password: 'correct horse battery' });
    const a = await addContent(h, aurora.id, { title: 'Aria' });
    const b = await addContent(h, aurora.id, { title: 'Ballad' });
    contentA = a.id;
    licenseIds.phoneA = await buy(phone, a.id);
    licenseIds.phoneB = await buy(phone, b.id);
    licenseIds.bobA = await buy(bobPhone, a.id);
    const moved = await phone.call('POST', '/moves', { licenseId: licenseIds.phoneB, destination: { clientId: tablet.clientId } });
    assert.equal(moved.status, 201);
    movedId = moved.body.destination.licenseId;
    await h.admin('viewer@aurora.test', 'viewer password', [{ authorityId: aurora.id, role: 'viewer' }]);
    await h.admin('owner@borealis.test', 'owner password', [{ authorityId: borealis.id, role: 'owner' }]);
    viewer = await h.adminAgent('viewer@aurora.test', 'viewer password');
    outsider = await h.adminAgent('owner@borealis.test', 'owner password');
  });
  after(() => h.close());

  test('a viewer lists the licenses with their content title and username, newest first', async () => {
    const res = await viewer.get('/admin/authorities/aurora/licenses').expect(200);
    assert.equal(res.body.items.length, 4);
    assert.equal(res.body.nextCursor, null);
    const phoneA = res.body.items.find((l: { id: string }) => l.id === licenseIds.phoneA);
    assert.equal(phoneA.contentTitle, 'Aria');
    assert.equal(phoneA.username, 'alice');
    assert.equal(phoneA.clientId, phone.clientId);
    assert.deepEqual(phoneA.origin, { type: 'purchase' });
    assert.equal(phoneA.token, undefined, 'the list carries no tokens');
    const issued = res.body.items.map((l: { issuedAt: string }) => l.issuedAt);
    assert.deepEqual(issued, [...issued].sort().reverse());
  });

  test('the list filters by state, content, user and device', async () => {
    const ids = async (query: string) =>
      (await viewer.get(`/admin/authorities/aurora/licenses?${query}`).expect(200)).body.items.map((l: { id: string }) => l.id).sort();
    assert.deepEqual(await ids('state=moved'), [licenseIds.phoneB]);
    assert.deepEqual(await ids(`contentId=${contentA}`), [licenseIds.phoneA, licenseIds.bobA].sort());
    assert.deepEqual(await ids(`userId=${bob.id}`), [licenseIds.bobA]);
    assert.deepEqual(await ids(`clientId=${tablet.clientId}`), [movedId]);
    assert.deepEqual(await ids(`state=active&userId=${alice.id}`), [licenseIds.phoneA, movedId].sort());
    expectProblem(await viewer.get('/admin/authorities/aurora/licenses?state=lost'), 400, 'invalid_request');
  });

  test('the list pages with a cursor, without repeating or skipping a license', async () => {
    const first = await viewer.get('/admin/authorities/aurora/licenses?limit=3').expect(200);
    assert.equal(first.body.items.length, 3);
    assert.ok(first.body.nextCursor, 'a full first page offers a cursor to the next');
    const second = await viewer.get(`/admin/authorities/aurora/licenses?limit=3&cursor=${first.body.nextCursor}`).expect(200);
    assert.equal(second.body.items.length, 1);
    assert.equal(second.body.nextCursor, null);
    const all = [...first.body.items, ...second.body.items].map((l: { id: string }) => l.id);
    assert.equal(new Set(all).size, 4);
    expectProblem(await viewer.get('/admin/authorities/aurora/licenses?cursor=garbage'), 400, 'invalid_request');
  });

  test('one license is shown with its token and origin', async () => {
    const res = await viewer.get(`/admin/authorities/aurora/licenses/${movedId}`).expect(200);
    assert.equal(res.body.id, movedId);
    assert.equal(res.body.state, 'active');
    assert.equal(res.body.origin.type, 'move');
    assert.match(res.body.token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
    expectProblem(await viewer.get(`/admin/authorities/aurora/licenses/${newId('license')}`), 404, 'license_unknown');
  });

  test("another authority's administrator sees none of them", async () => {
    expectProblem(await outsider.get('/admin/authorities/aurora/licenses'), 404, 'authority_unknown');
    expectProblem(await outsider.get(`/admin/authorities/aurora/licenses/${licenseIds.phoneA}`), 404, 'authority_unknown');
    expectProblem(await outsider.get(`/admin/authorities/borealis/licenses/${licenseIds.phoneA}`), 404, 'license_unknown');
    const own = await outsider.get('/admin/authorities/borealis/licenses').expect(200);
    assert.equal(own.body.items.length, 0);
    expectProblem(await h.request().get('/admin/authorities/aurora/licenses'), 401, 'unauthenticated');
  });
});
