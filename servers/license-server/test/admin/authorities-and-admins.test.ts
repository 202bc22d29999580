import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { and, eq } from 'drizzle-orm';
import type supertest from 'supertest';
import { adminRoles, adminUsers, auditLog, authorities, authorityKeys } from '../../src/storage/schema.ts';
import { expectProblem, startHarness, type Harness } from '../support/harness.ts';

const PW = 'a long admin password';

describe('authorities and their administrators', () => {
  let h: Harness;
  let a: { id: string; slug: string; issuer: string };
  let b: { id: string; slug: string; issuer: string };
  let operator: supertest.Agent;
  let ownerA: supertest.Agent;
  let ownerId: string;
  before(async () => {
    h = await startHarness();
    a = await h.authority({ slug: 'aurora', name: 'Aurora' });
    b = await h.authority({ slug: 'borealis', name: 'Borealis' });
    await h.admin('op@example.com', PW, [], true);
    ownerId = (await h.admin('owner@aurora.example', PW, [{ authorityId: a.id, role: 'owner' }])).id;
    await h.admin('owner@borealis.example', PW, [{ authorityId: b.id, role: 'owner' }]);
    operator = await h.adminAgent('op@example.com', PW);
    ownerA = await h.adminAgent('owner@aurora.example', PW);
  });
  after(() => h.close());

  test('an operator sees every authority; an administrator sees only those they have a role in', async () => {
    const all = await operator.get('/admin/authorities').expect(200);
    assert.deepEqual(
      all.body.items.map((x: { slug: string }) => x.slug),
      ['aurora', 'borealis'],
    );
    const mine = await ownerA.get('/admin/authorities').expect(200);
    assert.deepEqual(
      mine.body.items.map((x: { slug: string }) => x.slug),
      ['aurora'],
    );
    assert.equal(mine.body.items[0].issuer, a.issuer);
    assert.equal(mine.body.items[0].name, 'Aurora');
  });

  test("an administrator of one authority gets authority_unknown for another's routes", async () => {
    expectProblem(await ownerA.get('/admin/authorities/borealis'), 404, 'authority_unknown');
    expectProblem(await ownerA.get('/admin/authorities/borealis/admins'), 404, 'authority_unknown');
    expectProblem(await ownerA.patch('/admin/authorities/borealis/prices').send({ license: 1 }), 404, 'authority_unknown');
    expectProblem(await ownerA.get('/admin/authorities/borealis/ledger'), 404, 'authority_unknown');
    // The same answer as for an authority that does not exist.
    expectProblem(await ownerA.get('/admin/authorities/nowhere'), 404, 'authority_unknown');
  });

  test('an operator creates an authority: keys are made, its JWKS is served, and the creator owns it', async () => {
    const res = await operator.post('/admin/authorities').send({ slug: 'cygnus', name: 'Cygnus Books', currency: 'USD', operator: 'Cygnus Ltd' }).expect(201);
    assert.equal(res.body.slug, 'cygnus');
    assert.equal(res.body.issuer, `${h.url}/t/cygnus`);
    assert.equal(res.body.currency, 'USD');
    assert.equal(res.body.deviceLimit, 12);
    const keys = await h.server.ctx.db.select().from(authorityKeys).where(eq(authorityKeys.authorityId, res.body.id));
    assert.deepEqual(keys.map((k) => `${k.use}:${k.status}`).sort(), ['enc:active', 'enc:next', 'sig:active', 'sig:next']);
    const jwks = await h.request().get('/t/cygnus/jwks.json').expect(200);
    assert.equal(jwks.body.keys.length, 4);
    const roles = await h.server.ctx.db.select().from(adminRoles).where(eq(adminRoles.authorityId, res.body.id));
    assert.equal(roles.length, 1);
    assert.equal(roles[0]!.role, 'owner');
    const [audit] = await h.server.ctx.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.authorityId, res.body.id), eq(auditLog.action, 'authority.created')));
    assert.equal(audit!.actor, 'op@example.com');
  });

  test('a duplicate slug is refused with authority_exists', async () => {
    expectProblem(await operator.post('/admin/authorities').send({ slug: 'aurora', name: 'Again' }), 409, 'authority_exists');
  });

  test('an administrator who is not an operator cannot create an authority', async () => {
    expectProblem(await ownerA.post('/admin/authorities').send({ slug: 'draco', name: 'Draco' }), 403, 'forbidden');
    assert.equal((await h.server.ctx.db.select().from(authorities).where(eq(authorities.slug, 'draco'))).length, 0);
  });

  test('an owner edits the authority and the change is audited', async () => {
    const res = await ownerA.patch('/admin/authorities/aurora').send({ name: 'Aurora Media', deviceLimit: 5, operator: null }).expect(200);
    assert.equal(res.body.name, 'Aurora Media');
    assert.equal(res.body.deviceLimit, 5);
    const [row] = await h.server.ctx.db.select().from(authorities).where(eq(authorities.id, a.id));
    assert.equal(row!.deviceLimit, 5);
    const [audit] = await h.server.ctx.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.authorityId, a.id), eq(auditLog.action, 'authority.updated')));
    assert.deepEqual((audit!.details as { after: unknown }).after, { name: 'Aurora Media', deviceLimit: 5, operator: null });
  });

  test('an owner adds a new administrator account, who can then sign in with the role given', async () => {
    const res = await ownerA
      .post('/admin/authorities/aurora/admins')
      .send({ email: 'bill@aurora.example', name: 'Bill', password: 'billing password 1', role: 'billing' })
      .expect(201);
    assert.equal(res.body.role, 'billing');
    assert.equal(res.body.email, 'bill@aurora.example');
    const [account] = await h.server.ctx.db.select().from(adminUsers).where(eq(adminUsers.id, res.body.id));
    assert.match(account!.passwordHash, /^\$argon2id\$/);
    const bill = await h.adminAgent('bill@aurora.example', 'billing password 1');
    const session = await bill.get('/admin/session').expect(200);
    assert.deepEqual(session.body.roles, [{ authority: 'aurora', role: 'billing' }]);
    const list = await ownerA.get('/admin/authorities/aurora/admins').expect(200);
    assert.deepEqual(list.body.items.map((m: { email: string; role: string }) => `${m.email}:${m.role}`).sort(), [
      'bill@aurora.example:billing',
      'owner@aurora.example:owner',
    ]);
  });

  test('an existing server administrator is added by e-mail and keeps their own password; a second role in the same authority is admin_exists', async () => {
    const [before] = await h.server.ctx.db.select().from(adminUsers).where(eq(adminUsers.email, 'owner@borealis.example'));
    const res = await ownerA
      .post('/admin/authorities/aurora/admins')
      .send({ email: 'Owner@Borealis.example', password: 'not their password', role: 'viewer' })
      .expect(201);
    assert.equal(res.body.email, 'owner@borealis.example');
    const [after] = await h.server.ctx.db.select().from(adminUsers).where(eq(adminUsers.email, 'owner@borealis.example'));
    assert.equal(after!.passwordHash, before!.passwordHash, 'the password given is discarded for an existing account');
    await h.adminAgent('owner@borealis.example', PW);
    expectProblem(
      await ownerA.post('/admin/authorities/aurora/admins').send({ email: 'owner@borealis.example', password: 'not their password', role: 'admin' }),
      409,
      'admin_exists',
    );
    // Every addition needs a password, whether or not the e-mail has an account.
    expectProblem(await ownerA.post('/admin/authorities/aurora/admins').send({ email: 'newbie@aurora.example', role: 'viewer' }), 400, 'invalid_request');
    expectProblem(await ownerA.post('/admin/authorities/aurora/admins').send({ email: 'op@example.com', role: 'viewer' }), 400, 'invalid_request');
    const actions = await h.server.ctx.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.authorityId, a.id), eq(auditLog.action, 'admin.added')));
    assert.equal(actions.length, 2);
  });

  test("adding an administrator answers alike whether or not the e-mail has an account elsewhere on the server, in the answer and in the authority's audit log", async () => {
    await h.admin('elsewhere@borealis.example', PW, [{ authorityId: b.id, role: 'viewer' }]);
    const shape = (body: Record<string, unknown>) => ({ ...body, id: typeof body.id, email: typeof body.email, createdAt: typeof body.createdAt });
    const existing = await ownerA
      .post('/admin/authorities/aurora/admins')
      .send({ email: 'elsewhere@borealis.example', name: 'Elsa', password: 'a password 123', role: 'viewer' });
    const fresh = await ownerA
      .post('/admin/authorities/aurora/admins')
      .send({ email: 'fresh@aurora.example', name: 'Elsa', password: 'a password 123', role: 'viewer' });
    assert.equal(existing.status, 201);
    assert.equal(fresh.status, 201);
    assert.deepEqual(shape(existing.body), shape(fresh.body));
    const audit = await ownerA.get('/admin/authorities/aurora/audit').query({ action: 'admin.added' }).expect(200);
    const details = audit.body.items
      .filter((e: { details: { email: string } }) => ['elsewhere@borealis.example', 'fresh@aurora.example'].includes(e.details.email))
      .map((e: { details: object }) => Object.keys(e.details).sort());
    assert.deepEqual(details, [
      ['email', 'role'],
      ['email', 'role'],
    ]);
  });

  test('roles: a viewer reads but cannot change prices; billing changes prices but cannot add administrators', async () => {
    await ownerA.post('/admin/authorities/aurora/admins').send({ email: 'vera@aurora.example', password: 'viewer password 1', role: 'viewer' }).expect(201);
    const viewer = await h.adminAgent('vera@aurora.example', 'viewer password 1');
    await viewer.get('/admin/authorities/aurora/prices').expect(200);
    await viewer.get('/admin/authorities/aurora/admins').expect(200);
    expectProblem(await viewer.patch('/admin/authorities/aurora/prices').send({ license: 100 }), 403, 'forbidden');
    expectProblem(await viewer.get('/admin/authorities/aurora/ledger'), 403, 'forbidden');

    const bill = await h.adminAgent('bill@aurora.example', 'billing password 1');
    await bill.patch('/admin/authorities/aurora/prices').send({ license: 100 }).expect(200);
    expectProblem(
      await bill.post('/admin/authorities/aurora/admins').send({ email: 'x@aurora.example', password: 'another password', role: 'viewer' }),
      403,
      'forbidden',
    );
    expectProblem(await bill.patch('/admin/authorities/aurora').send({ name: 'Mine now' }), 403, 'forbidden');
  });

  test('the last owner can be neither removed nor demoted; with a second owner both work', async () => {
    expectProblem(await ownerA.delete(`/admin/authorities/aurora/admins/${ownerId}`), 409, 'conflict');
    expectProblem(await ownerA.patch(`/admin/authorities/aurora/admins/${ownerId}`).send({ role: 'admin' }), 409, 'conflict');
    const [vera] = await h.server.ctx.db.select().from(adminUsers).where(eq(adminUsers.email, 'vera@aurora.example'));
    const promoted = await ownerA.patch(`/admin/authorities/aurora/admins/${vera!.id}`).send({ role: 'owner' }).expect(200);
    assert.equal(promoted.body.role, 'owner');
    await ownerA.patch(`/admin/authorities/aurora/admins/${ownerId}`).send({ role: 'admin' }).expect(200);
    const vOwner = await h.adminAgent('vera@aurora.example', 'viewer password 1');
    expectProblem(await vOwner.delete(`/admin/authorities/aurora/admins/${vera!.id}`), 409, 'conflict');
    await vOwner.delete(`/admin/authorities/aurora/admins/${ownerId}`).expect(204);
    const roles = await h.server.ctx.db.select().from(adminRoles).where(eq(adminRoles.authorityId, a.id));
    assert.ok(!roles.some((r) => r.adminId === ownerId), 'the removed owner no longer holds a role in the authority');
    const actions = (await h.server.ctx.db.select().from(auditLog).where(eq(auditLog.authorityId, a.id))).map((x) => x.action);
    assert.ok(actions.includes('admin.role_changed'), `the role change is audited: ${actions.join(', ')}`);
    assert.ok(actions.includes('admin.removed'), `the removal is audited: ${actions.join(', ')}`);
  });

  test("another authority's administrator is not_found through this authority's routes", async () => {
    const [other] = await h.server.ctx.db.select().from(adminUsers).where(eq(adminUsers.email, 'owner@borealis.example'));
    await operator.delete(`/admin/authorities/aurora/admins/${other!.id}`).expect(204);
    expectProblem(await operator.patch(`/admin/authorities/aurora/admins/${other!.id}`).send({ role: 'viewer' }), 404, 'not_found');
    const stillOwner = await h.server.ctx.db
      .select()
      .from(adminRoles)
      .where(and(eq(adminRoles.authorityId, b.id), eq(adminRoles.adminId, other!.id)));
    assert.equal(stillOwner[0]!.role, 'owner');
  });
});
