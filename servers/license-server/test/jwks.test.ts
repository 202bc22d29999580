import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { expectProblem, startHarness, type Harness } from './support/harness.ts';

describe('authority public keys', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
    await h.authority({ slug: 'aurora' });
  });
  after(() => h.close());

  test('an authority publishes its signing and encryption keys, active and next, at <issuer>/jwks.json', async () => {
    const res = await h.request().get('/t/aurora/jwks.json').expect(200);
    assert.equal(res.body.keys.length, 4);
    assert.deepEqual(res.body.keys.map((k: { use: string }) => k.use).sort(), ['enc', 'enc', 'sig', 'sig']);
    for (const k of res.body.keys) assert.equal(k.d, undefined, 'no private member is ever published');
    assert.match(String(res.headers['cache-control']), /max-age=300/);
  });

  test('an unknown authority is a 404 problem', async () => {
    expectProblem(await h.request().get('/t/nowhere/jwks.json'), 404, 'authority_unknown');
  });

  test('an unknown path is a 404 problem, not an HTML page', async () => {
    expectProblem(await h.request().get('/nothing/here'), 404, 'not_found');
  });

  test('the OpenAPI document is generated from the protocol schemas', async () => {
    const res = await h.request().get('/openapi.json').expect(200);
    assert.equal(res.body.openapi, '3.1.0');
    assert.ok(res.body.paths['/t/{authority}/licenses'].post.requestBody, 'the license-issuing operation documents its request body');
  });
});
