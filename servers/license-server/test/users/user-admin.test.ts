import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { and, eq } from 'drizzle-orm';
import { newId, userGlobalId } from '@tessera/protocol';
import type supertest from 'supertest';
import { auditLog, users } from '../../src/storage/schema.ts';
import { expectProblem, startHarness, TestDevice, type Harness } from '../support/harness.ts';

describe('administering users', () => {
  let h: Harness;
  let aurora: { id: string; slug: string; issuer: string };
  let borealis: { id: string; slug: string; issuer: string };
  let admin: supertest.Agent;
  let viewer: supertest.Agent;
  let borealisAdmin: supertest.Agent;

  const auditOf = async (target: string) =>
    h.server.ctx.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.authorityId, aurora.id), eq(auditLog.target, target)));
  const storedUser = async (id: string) =>
    (
      await h.server.ctx.db
        .select()
        .from(users)
        .where(and(eq(users.authorityId, aurora.id), eq(users.id, id)))
    )[0]!;

  before(async () => {
    h = await startHarness();
    aurora = await h.authority({ slug: 'aurora' });
    borealis = await h.authority({ slug: 'borealis' });
    await h.admin('ada@aurora.example', 'admin password 1', [{ authorityId: aurora.id, role: 'admin' }]);
    await h.admin('vic@aurora.example', 'viewer password 1', [{ authorityId: aurora.id, role: 'viewer' }]);
    await h.admin('bea@borealis.example', 'admin password 2', [{ authorityId: borealis.id, role: 'owner' }]);
    admin = await h.adminAgent('ada@aurora.example', 'admin password 1');
    viewer = await h.adminAgent('vic@aurora.example', 'viewer password 1');
    borealisAdmin = await h.adminAgent('bea@borealis.example', 'admin password 2');
  });
  after(() => h.close());

  test('an admin creates a user, who can then register a device; the creation is audited without the password', async () => {
    const res = await admin.post('/admin/authorities/aurora/users').send({ username: 'Alice', password: 'alice password', displayName: 'Alice A.' });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.match(res.body.id, /^usr_/);
    assert.deepEqual(
      { ...res.body, id: undefined, createdAt: undefined },
      {
        id: undefined,
        username: 'Alice',
        displayName: 'Alice A.',
        status: 'active',
        globalId: userGlobalId(res.body.id, aurora.issuer),
        activeDevices: 0,
        createdAt: undefined,
      },
    );
    const row = await storedUser(res.body.id);
    assert.match(row.passwordHash, /^\$argon2id\$/);

    const [entry, ...more] = await auditOf(res.body.id);
    assert.equal(more.length, 0);
    assert.equal(entry!.action, 'user.create');
    assert.equal(entry!.actor, 'ada@aurora.example');
    assert.ok(!JSON.stringify(entry!.details).includes('alice password'), 'the password is never audited');

    const device = await TestDevice.create(h, 'aurora');
    assert.equal((await device.register('alice', 'alice password')).status, 201);
    assert.equal((await admin.get(`/admin/authorities/aurora/users/${res.body.id}`)).body.activeDevices, 1);
  });

  test('a username is taken whatever its case', async () => {
    await h.user(aurora.id, 'bob');
    const res = await admin.post('/admin/authorities/aurora/users').send({ username: 'BOB', password: 'another password' });
    expectProblem(res, 409, 'user_exists');
  });

  test('bad user input is refused by the schema', async () => {
    expectProblem(await admin.post('/admin/authorities/aurora/users').send({ username: 'x y', password: 'long enough' }), 400, 'invalid_request');
    expectProblem(await admin.post('/admin/authorities/aurora/users').send({ username: 'short', password: 'short' }), 400, 'invalid_request');
    expectProblem(
      await admin.post('/admin/authorities/aurora/users').send({ username: 'extra', password: 'long enough', role: 'god' }),
      400,
      'invalid_request',
    );
  });

  test('a viewer can read users but cannot create or change them', async () => {
    assert.equal((await viewer.get('/admin/authorities/aurora/users')).status, 200);
    expectProblem(await viewer.post('/admin/authorities/aurora/users').send({ username: 'sneaky', password: 'sneaky password' }), 403, 'forbidden');
    const carol = await h.user(aurora.id, 'carol');
    expectProblem(await viewer.patch(`/admin/authorities/aurora/users/${carol.id}`).send({ status: 'suspended' }), 403, 'forbidden');
    assert.equal((await storedUser(carol.id)).status, 'active');
  });

  test("an admin of another authority cannot see this authority's users, not even that it exists", async () => {
    expectProblem(await borealisAdmin.get('/admin/authorities/aurora/users'), 404, 'authority_unknown');
    const carol = (await h.server.ctx.db.select().from(users).where(eq(users.authorityId, aurora.id)))[0]!;
    expectProblem(await borealisAdmin.get(`/admin/authorities/aurora/users/${carol.id}`), 404, 'authority_unknown');
    // Nor through its own authority's routes: another authority's IDs are like unknown ones.
    expectProblem(await borealisAdmin.get(`/admin/authorities/borealis/users/${carol.id}`), 404, 'not_found');
    expectProblem(await borealisAdmin.patch(`/admin/authorities/borealis/users/${carol.id}`).send({ status: 'suspended' }), 404, 'not_found');
    expectProblem(await h.request().get('/admin/authorities/aurora/users'), 401, 'unauthenticated');
  });

  test('users are searched by username and paged with an opaque cursor', async () => {
    const area = await h.authority({ slug: 'paging' });
    await h.admin('pat@paging.example', 'paging password', [{ authorityId: area.id, role: 'viewer' }]);
    const agent = await h.adminAgent('pat@paging.example', 'paging password');
    const names = Array.from({ length: 7 }, (_, i) => `member${i}`);
    for (const n of names) await h.user(area.id, n);
    await h.user(area.id, 'mem_x');
    await h.user(area.id, 'memzx');

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: supertest.Response = await agent.get('/admin/authorities/paging/users').query({ q: 'member', limit: 3, ...(cursor ? { cursor } : {}) });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.ok(res.body.items.length <= 3, `a page holds at most the limit of 3: ${res.body.items.length}`);
      seen.push(...res.body.items.map((u: { username: string }) => u.username));
      cursor = res.body.nextCursor;
      pages++;
    } while (cursor);
    assert.equal(pages, 3);
    assert.deepEqual([...seen].sort(), names, 'every match appears exactly once');
    assert.deepEqual(seen, [...names].reverse(), 'newest first');

    const literal = await agent.get('/admin/authorities/paging/users').query({ q: '_x' });
    assert.deepEqual(
      literal.body.items.map((u: { username: string }) => u.username),
      ['mem_x'],
      'wildcards in q are literal',
    );
    const anyCase = await agent.get('/admin/authorities/paging/users').query({ q: 'MEMBER6' });
    assert.deepEqual(
      anyCase.body.items.map((u: { username: string }) => u.username),
      ['member6'],
    );
    const badCursor = expectProblem(await agent.get('/admin/authorities/paging/users').query({ cursor: 'garbage' }), 400, 'invalid_request') as {
      errors?: { path: string }[];
    };
    assert.deepEqual(
      badCursor.errors?.map((e) => e.path),
      ['cursor'],
      'the problem names the field',
    );
  });

  test('an admin suspends a user: their devices are refused until reinstated, and both are audited', async () => {
    const dave = await h.user(aurora.id, 'dave');
    const device = await TestDevice.create(h, 'aurora');
    assert.equal((await device.register('dave', dave.password)).status, 201);

    const suspended = await admin.patch(`/admin/authorities/aurora/users/${dave.id}`).send({ status: 'suspended' });
    assert.equal(suspended.status, 200, JSON.stringify(suspended.body));
    assert.equal(suspended.body.status, 'suspended');
    assert.equal((await storedUser(dave.id)).status, 'suspended');
    expectProblem(await device.call('GET', '/me'), 403, 'user_suspended');
    expectProblem(await (await TestDevice.create(h, 'aurora')).register('dave', dave.password), 403, 'user_suspended');

    const reinstated = await admin.patch(`/admin/authorities/aurora/users/${dave.id}`).send({ status: 'active' });
    assert.equal(reinstated.body.status, 'active');
    assert.equal((await device.call('GET', '/me')).status, 200);

    const actions = (await auditOf(dave.id)).map((e) => [e.action, e.actor]);
    assert.deepEqual(actions.sort(), [
      ['user.reinstate', 'ada@aurora.example'],
      ['user.suspend', 'ada@aurora.example'],
    ]);
  });

  test('an admin changes a display name and a password; the new password works and is not audited', async () => {
    const erin = await h.user(aurora.id, 'erin');
    const res = await admin.patch(`/admin/authorities/aurora/users/${erin.id}`).send({ displayName: 'Erin E.', password: 'brand new password' });
    assert.equal(res.status, 200);
    assert.equal(res.body.displayName, 'Erin E.');
    expectProblem(await (await TestDevice.create(h, 'aurora')).register('erin', erin.password), 401, 'invalid_credentials');
    assert.equal((await (await TestDevice.create(h, 'aurora')).register('erin', 'brand new password')).status, 201);
    const [entry] = await auditOf(erin.id);
    assert.equal(entry!.action, 'user.update');
    assert.deepEqual(entry!.details, { displayName: 'Erin E.', passwordChanged: true });

    const cleared = await admin.patch(`/admin/authorities/aurora/users/${erin.id}`).send({ displayName: null });
    assert.equal(cleared.body.displayName, null);
  });

  test('an unknown user is not found', async () => {
    expectProblem(await admin.get(`/admin/authorities/aurora/users/${newId('user')}`), 404, 'not_found');
    expectProblem(await admin.patch(`/admin/authorities/aurora/users/${newId('user')}`).send({ status: 'suspended' }), 404, 'not_found');
  });
});
