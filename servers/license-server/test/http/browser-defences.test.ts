import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { and, eq } from 'drizzle-orm';
import type supertest from 'supertest';
import { authorities, clients } from '../../src/storage/schema.ts';
import { expectProblem, startHarness, TestDevice, type Harness } from '../support/harness.ts';

/**
 * An administrator's session is a cookie. A page of another site can make a browser send it,
 * so a change must come as JSON (which forms cannot send) and from no foreign origin; and no
 * answer carrying a token or admin data may be kept by a cache.
 */
describe("the server's defences against browsers of other sites", () => {
  const CONSOLE = 'https://console.example';
  let h: Harness;
  let aurora: { id: string; slug: string; issuer: string };
  let admin: supertest.Agent;
  let device: TestDevice;

  before(async () => {
    h = await startHarness({ allowedOrigins: [CONSOLE] });
    aurora = await h.authority({ slug: 'aurora' });
    await h.admin('ada@aurora.example', 'admin password 1', [{ authorityId: aurora.id, role: 'owner' }]);
    admin = await h.adminAgent('ada@aurora.example', 'admin password 1');
    await h.user(aurora.id, 'dora', 'dora password');
    device = await TestDevice.create(h, 'aurora');
    assert.equal((await device.register('dora', 'dora password')).status, 201, 'the device registers');
  });
  after(() => h.close());

  const authorityName = async () => (await h.server.ctx.db.select({ name: authorities.name }).from(authorities).where(eq(authorities.id, aurora.id)))[0]!.name;
  const deviceStatus = async () =>
    (
      await h.server.ctx.db
        .select({ status: clients.status })
        .from(clients)
        .where(and(eq(clients.authorityId, aurora.id), eq(clients.id, device.clientId)))
    )[0]!.status;

  test('a revocation sent as a form (what a page of another site can send) is refused with 415 and the device stays active', async () => {
    const form = await admin
      .post(`/admin/authorities/aurora/devices/${device.clientId}/revoke`)
      .set('Content-Type', 'application/x-www-form-urlencoded')
      .send('');
    expectProblem(form, 415, 'unsupported_media_type');
    const plain = await admin.post(`/admin/authorities/aurora/devices/${device.clientId}/revoke`).set('Content-Type', 'text/plain').send('x');
    expectProblem(plain, 415, 'unsupported_media_type');
    assert.equal(await deviceStatus(), 'active');
  });

  test('a change whose Origin is another site is refused with cross_site_request and changes nothing', async () => {
    const before = await authorityName();
    const res = await admin.patch('/admin/authorities/aurora').set('Origin', 'http://evil.example').send({ name: 'Hijacked' });
    const problem = expectProblem(res, 403, 'cross_site_request');
    assert.match(problem.detail ?? '', /TESSERA_ALLOWED_ORIGINS/, 'the detail tells the operator which setting allows a console');
    const fetchMetadata = await admin.patch('/admin/authorities/aurora').set('Sec-Fetch-Site', 'cross-site').send({ name: 'Hijacked' });
    expectProblem(fetchMetadata, 403, 'cross_site_request');
    assert.equal(await authorityName(), before);
  });

  test("a change from the server's own origin, an allowed console, or a client that is no browser goes through", async () => {
    const own = await admin.patch('/admin/authorities/aurora').set('Origin', new URL(h.url).origin).send({ name: 'Aurora one' });
    assert.equal(own.status, 200, JSON.stringify(own.body));
    const console = await admin.patch('/admin/authorities/aurora').set('Origin', CONSOLE).set('Sec-Fetch-Site', 'cross-site').send({ name: 'Aurora two' });
    assert.equal(console.status, 200, JSON.stringify(console.body));
    const script = await admin.patch('/admin/authorities/aurora').send({ name: 'Aurora three' });
    assert.equal(script.status, 200, JSON.stringify(script.body));
    assert.equal(await authorityName(), 'Aurora three');
  });

  test('reading is not affected by the origin', async () => {
    const res = await admin.get('/admin/authorities/aurora').set('Origin', 'http://evil.example');
    assert.equal(res.status, 200);
  });

  test('answers carry no-store unless their route makes them public, and headers that forbid framing and sniffing', async () => {
    const adminRead = await admin.get('/admin/authorities/aurora/users');
    assert.equal(adminRead.headers['cache-control'], 'no-store');
    const problem = await h.request().get('/admin/authorities/aurora/users');
    assert.equal(problem.headers['cache-control'], 'no-store');
    const keys = await h.request().get('/t/aurora/jwks.json');
    assert.match(String(keys.headers['cache-control']), /^public, max-age=\d+/, 'public keys stay cacheable');
    for (const res of [adminRead, problem, keys]) {
      assert.equal(res.headers['x-content-type-options'], 'nosniff');
      assert.match(String(res.headers['content-security-policy']), /default-src 'none'/);
      assert.match(String(res.headers['content-security-policy']), /frame-ancestors 'none'/);
      assert.equal(res.headers['x-powered-by'], undefined);
    }
  });
});
