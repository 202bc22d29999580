import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import type supertest from 'supertest';
import { expectProblem, startHarness, type Harness } from '../support/harness.ts';

/** Requests the fuzzer found answered with a 500 or outside the document; each now gets a problem. */
describe('requests that cannot be decoded', () => {
  let h: Harness;
  let admin: supertest.Agent;
  before(async () => {
    h = await startHarness();
    const aurora = await h.authority({ slug: 'aurora' });
    await h.admin('ada@aurora.example', 'admin password 1', [{ authorityId: aurora.id, role: 'owner' }]);
    admin = await h.adminAgent('ada@aurora.example', 'admin password 1');
  });
  after(() => h.close());

  test('a path escape that is not UTF-8 is 400 malformed_request, not a 500', async () => {
    for (const path of ['/t/%zz/jwks.json', '/t/%ff%fe/jwks.json', '/t/%C0%AE/jwks.json']) expectProblem(await h.request().get(path), 400, 'malformed_request');
  });

  test('a body labelled gzip that is not compressed is 400 malformed_request', async () => {
    const res = await admin
      .post('/admin/authorities/aurora/invoices')
      .set('Content-Type', 'application/json')
      .set('Content-Encoding', 'gzip')
      .send('{"period":"2026-12"}');
    expectProblem(res, 400, 'malformed_request');
  });

  test('a device proof whose kid holds a NUL is proof_invalid before any lookup', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'tessera-proof+jwt', kid: '\u0000' })).toString('base64url');
    expectProblem(await h.request().get('/t/aurora/me').set('Authorization', `Tessera-Proof ${header}.e30.c2ln`), 401, 'proof_invalid');
  });

  test('OPTIONS is 405 (no CORS is served) and If-None-Match: * does not turn an answer into a 304', async () => {
    expectProblem(await h.request().options('/t/aurora/jwks.json'), 405, 'method_not_allowed');
    const res = await admin.get('/admin/authorities/aurora').set('If-None-Match', '*');
    assert.equal(res.status, 200);
    assert.equal(res.body.slug, 'aurora');
  });

  test("raw bytes above ASCII in the target get a problem document from the HTTP parser's refusal", async () => {
    const socket = net.connect(Number(new URL(h.url).port), '127.0.0.1');
    await once(socket, 'connect');
    let answer = '';
    socket.on('data', (chunk) => {
      answer += String(chunk);
    });
    socket.write(Buffer.concat([Buffer.from('GET /t/'), Buffer.from([0xc3, 0xa5]), Buffer.from('/jwks.json HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')]));
    await once(socket, 'close');
    assert.match(answer, /^HTTP\/1\.1 400 /);
    assert.match(answer, /content-type: application\/problem\+json/i);
    assert.match(answer, /"code":"malformed_request"/);
  });
});
