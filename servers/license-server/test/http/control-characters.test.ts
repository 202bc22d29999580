import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { and, eq } from 'drizzle-orm';
import type supertest from 'supertest';
import { authorities, users } from '../../src/storage/schema.ts';
import { expectProblem, startHarness, TestDevice, type Harness } from '../support/harness.ts';

/**
 * PostgreSQL's text cannot hold NUL, and other control characters hide in logs and consoles:
 * every string that is stored or searched refuses them with 400 invalid_request naming the
 * field, before anything is written.
 */
describe('control characters in input', () => {
  let h: Harness;
  let aurora: { id: string; slug: string; issuer: string };
  let admin: supertest.Agent;

  before(async () => {
    h = await startHarness();
    aurora = await h.authority({ slug: 'aurora' });
    await h.admin('ada@aurora.example', 'admin password 1', [{ authorityId: aurora.id, role: 'owner' }]);
    admin = await h.adminAgent('ada@aurora.example', 'admin password 1');
  });
  after(() => h.close());

  const refusedNaming = (res: supertest.Response, field: string) => {
    const problem = expectProblem(res, 400, 'invalid_request') as { detail?: string; errors?: { path: string }[] };
    assert.ok(
      problem.errors?.some((e) => e.path === field || e.path.endsWith(`.${field}`)),
      `the problem names ${field}: ${JSON.stringify(problem)}`,
    );
  };

  test('a NUL in an authority slug of a public path is an unknown authority (SPEC 5.1), not a server error', async () => {
    expectProblem(await h.request().get('/t/%00/jwks.json'), 404, 'authority_unknown');
    expectProblem(await h.request().get('/t/aur%00ora/jwks.json'), 404, 'authority_unknown');
  });

  test("a NUL or an escape in an authority's new name is refused and the name stays as it was", async () => {
    const before = (await h.server.ctx.db.select({ name: authorities.name }).from(authorities).where(eq(authorities.id, aurora.id)))[0]!.name;
    refusedNaming(await admin.patch('/admin/authorities/aurora').send({ name: 'Aurora\u0000' }), 'name');
    refusedNaming(await admin.patch('/admin/authorities/aurora').send({ name: 'Aurora \u001b[31mred' }), 'name');
    const after = (await h.server.ctx.db.select({ name: authorities.name }).from(authorities).where(eq(authorities.id, aurora.id)))[0]!.name;
    assert.equal(after, before);
  });

  test("a user's display name with a NUL is refused and no user is created", async () => {
    refusedNaming(
      await admin.post('/admin/authorities/aurora/users').send({ username: 'nul-user', password: 'a password 1', displayName: 'Nul\u0000' }),
      'displayName',
    );
    const rows = await h.server.ctx.db
      .select()
      .from(users)
      .where(and(eq(users.authorityId, aurora.id), eq(users.username, 'nul-user')));
    assert.equal(rows.length, 0);
  });

  test('a device label with a NUL is refused at registration', async () => {
    await h.user(aurora.id, 'carol', 'carol password');
    const device = await TestDevice.create(h, 'aurora');
    refusedNaming(await device.register('carol', 'carol password', 'phone\u0000'), 'label');
  });

  test('an upload whose title carries a NUL is refused before the file is read', async () => {
    const res = await admin
      .post('/admin/authorities/aurora/contents')
      .query({ title: 'Film\u0000' })
      .set('Content-Type', 'application/octet-stream')
      .send(Buffer.alloc(1024));
    refusedNaming(res, 'title');
  });

  test('a search term with a NUL is refused, not passed to the database', async () => {
    refusedNaming(await admin.get('/admin/authorities/aurora/users').query({ q: 'a\u0000b' }), 'q');
  });

  test('a description keeps its line breaks and tabs', async () => {
    const res = await admin
      .post('/admin/authorities/aurora/contents')
      .query({ title: 'Lines', description: 'first line\n\tsecond line' })
      .set('Content-Type', 'application/octet-stream')
      .send(Buffer.alloc(1024));
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.description, 'first line\n\tsecond line');
  });
});
