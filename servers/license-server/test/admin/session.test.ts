import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { and, eq, isNull } from 'drizzle-orm';
import supertest from 'supertest';
import { adminSessions, auditLog } from '../../src/storage/schema.ts';
import { expectProblem, startHarness, type Harness } from '../support/harness.ts';

const cookieOf = (res: supertest.Response): string => {
  const raw = ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith('tessera.sid='));
  assert.ok(raw, 'a session cookie is set');
  return raw;
};

describe('admin sessions', () => {
  let h: Harness;
  let authorityId: string;
  before(async () => {
    h = await startHarness();
    authorityId = (await h.authority({ slug: 'aurora' })).id;
    await h.admin('olga@example.com', 'a long admin password', [{ authorityId, role: 'owner' }]);
  });
  after(() => h.close());

  test('an administrator signs in with e-mail and password and gets an httpOnly, SameSite=Lax session cookie', async () => {
    const res = await h.request().post('/admin/session').send({ email: 'Olga@Example.com', password: 'a long admin password' }).expect(200);
    assert.equal(res.body.admin.email, 'olga@example.com');
    assert.equal(res.body.admin.operator, false);
    assert.deepEqual(res.body.roles, [{ authority: 'aurora', role: 'owner' }]);
    const cookie = cookieOf(res);
    assert.match(cookie, /HttpOnly/i);
    assert.match(cookie, /SameSite=Lax/i);
    assert.doesNotMatch(cookie, /Secure/i, 'not Secure without secureCookies (plain HTTP in development)');
    const [entry] = await h.server.ctx.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, 'admin.login'), eq(auditLog.actor, 'olga@example.com')));
    assert.ok(entry, 'a successful sign-in is audited');
  });

  test('a wrong password and an unknown e-mail get the same answer, and both are audited without the password', async () => {
    const wrong = expectProblem(
      await h.request().post('/admin/session').send({ email: 'olga@example.com', password: 'not the password' }),
      401,
      'invalid_credentials',
    );
    const unknown = expectProblem(
      await h.request().post('/admin/session').send({ email: 'nobody@example.com', password: 'not the password' }),
      401,
      'invalid_credentials',
    );
    assert.equal(wrong.detail, unknown.detail);
    const failed = await h.server.ctx.db.select().from(auditLog).where(eq(auditLog.action, 'admin.login_failed'));
    assert.deepEqual(failed.map((f) => f.actor).sort(), ['nobody@example.com', 'olga@example.com']);
    assert.ok(!JSON.stringify(failed).includes('not the password'), 'the audited failed sign-ins never contain the password');
  });

  test('the session tells who is signed in; without a session the admin API answers unauthenticated', async () => {
    const agent = await h.adminAgent('olga@example.com', 'a long admin password');
    const res = await agent.get('/admin/session').expect(200);
    assert.equal(res.body.admin.email, 'olga@example.com');
    expectProblem(await h.request().get('/admin/session'), 401, 'unauthenticated');
  });

  test('signing out ends the session: the old cookie no longer works and the cookie is cleared', async () => {
    const login = await h.request().post('/admin/session').send({ email: 'olga@example.com', password: 'a long admin password' }).expect(200);
    const cookie = cookieOf(login).split(';')[0]!;
    await h.request().get('/admin/session').set('Cookie', cookie).expect(200);
    const out = await h.request().delete('/admin/session').set('Cookie', cookie).expect(204);
    assert.match(cookieOf(out), /Expires=Thu, 01 Jan 1970/);
    expectProblem(await h.request().get('/admin/session').set('Cookie', cookie), 401, 'unauthenticated');
    expectProblem(await h.request().get('/admin/authorities').set('Cookie', cookie), 401, 'unauthenticated');
  });

  test('a session started on one instance works on another (sessions live in the database)', async () => {
    const login = await h.request().post('/admin/session').send({ email: 'olga@example.com', password: 'a long admin password' }).expect(200);
    const sid = cookieOf(login).split(';')[0]!;
    const second = await h.secondInstance();
    const res = await supertest(second.url).get('/admin/session').set('Cookie', sid).expect(200);
    assert.equal(res.body.admin.email, 'olga@example.com');
    await supertest(second.url).get('/admin/authorities/aurora').set('Cookie', sid).expect(200);
    assert.ok((await h.server.ctx.db.select().from(adminSessions)).length >= 1, 'the session is stored in the shared database');
  });
});

describe('admin sign-in limits', () => {
  let h: Harness;
  let authorityId: string;
  before(async () => {
    // An address may fail five times here, so the sixth attempt is refused however long the five took.
    h = await startHarness({ signInAddressLimit: 5 });
    authorityId = (await h.authority({ slug: 'aurora' })).id;
  });
  after(() => h.close());

  test('after five failed sign-ins, that address waits before the next, even with the right password (429 with Retry-After); the failures are audited', async () => {
    await h.admin('target@example.com', 'the right password', [{ authorityId, role: 'viewer' }]);
    for (let i = 0; i < 5; i++) {
      expectProblem(
        await h
          .request()
          .post('/admin/session')
          .send({ email: 'target@example.com', password: `guess ${i}` }),
        401,
        'invalid_credentials',
      );
    }
    const res = await h.request().post('/admin/session').send({ email: 'Target@example.com', password: 'the right password' });
    const refused = expectProblem(res, 429, 'too_many_attempts');
    assert.match(refused.detail!, /too many failed password attempts/);
    assert.match(String(res.headers['retry-after']), /^[1-9]\d*$/);
    const failed = await h.server.ctx.db
      .select()
      .from(auditLog)
      .where(and(isNull(auditLog.authorityId), eq(auditLog.actor, 'target@example.com')));
    assert.equal(failed.length, 5);
  });
});

describe('admin session cookies in production', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ secureCookies: true });
    await h.admin('op@example.com', 'a long admin password', [], true);
  });
  after(() => h.close());

  test('with secureCookies the session cookie is Secure (behind a TLS-terminating proxy)', async () => {
    const res = await h
      .request()
      .post('/admin/session')
      .set('X-Forwarded-Proto', 'https')
      .send({ email: 'op@example.com', password: 'a long admin password' })
      .expect(200);
    const cookie = cookieOf(res);
    assert.match(cookie, /; Secure/i);
    assert.match(cookie, /HttpOnly/i);
    assert.match(cookie, /SameSite=Lax/i);
  });
});
