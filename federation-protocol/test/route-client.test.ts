import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildRouteRequest, parseRouteAnswer, routeAnswerFormat, RouteAnswerError, RouteInputError } from '../src/index.ts';

const rejects = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return assert.fail('expected the call to throw');
};

describe('the route client: requests and answers by route name', () => {
  test('the path is the catalogue path with each parameter checked and percent-encoded', () => {
    assert.deepEqual(buildRouteRequest('getContent', { params: { authority: 'store', contentId: 'cnt_abc' } }), {
      route: 'getContent',
      method: 'GET',
      path: '/t/store/contents/cnt_abc',
    });
    assert.equal(buildRouteRequest('deleteAccountLink', { params: { authority: 'a b/c', linkId: 'lnk_1' } }).path, '/t/a%20b%2Fc/account-links/lnk_1');
    assert.equal(buildRouteRequest('deleteAccountLink', { params: { authority: 'a b/c', linkId: 'lnk_1' } }).method, 'DELETE');
  });

  test('query values keep their order; undefined, null and empty values are left out', () => {
    const request = buildRouteRequest('catalog', { params: { authority: 'store' }, query: { limit: 200, cursor: undefined } });
    assert.equal(request.path, '/t/store/contents?limit=200');
    const users = buildRouteRequest('listUsers', { params: { authority: 'store' }, query: { q: 'al ice&x', limit: 5, cursor: '' } });
    assert.equal(users.path, '/admin/authorities/store/users?q=al+ice%26x&limit=5');
  });

  test('the body is what its schema parsed, serialized once, so the bytes sent are the bytes a proof signs', () => {
    const request = buildRouteRequest('createLinkAssertion', { params: { authority: 'store' }, body: { audience: 'HTTPS://Music.Example/t/music/' } });
    assert.equal(request.method, 'POST');
    assert.equal(request.body, JSON.stringify({ audience: 'https://music.example/t/music' }));
    assert.equal(buildRouteRequest('whoami', { params: { authority: 'store' } }).body, undefined, 'a route without a body sends none');
  });

  test('params or a body that do not match are refused before anything is sent, naming the field', () => {
    const badParams = rejects(() => buildRouteRequest('getContent', { params: { authority: 'store', contentId: 'not an id' } }));
    assert.ok(badParams instanceof RouteInputError, `params are refused with a RouteInputError: ${String(badParams)}`);
    assert.equal(badParams.where, 'params');
    assert.deepEqual(
      badParams.issues.map((i) => i.path.join('.')),
      ['contentId'],
    );
    assert.match(badParams.message, /params\.contentId/);

    const badBody = rejects(() => buildRouteRequest('issueLicense', { params: { authority: 'store' }, body: { contentId: 42 } as never }));
    assert.ok(badBody instanceof RouteInputError, `a body is refused with a RouteInputError: ${String(badBody)}`);
    assert.equal(badBody.where, 'body');
  });

  test('an answer is parsed with the schema its status declares', () => {
    const entry = {
      id: 'cnt_abc',
      title: 'Nocturne',
      description: null,
      mediaType: 'audio/flac',
      size: 10,
      packageSize: 40,
      sha256: 'a'.repeat(64),
      packageSha256: 'b'.repeat(64),
      price: { amount: 499, currency: 'EUR' },
      status: 'available',
    };
    assert.deepEqual(parseRouteAnswer('getContent', { status: 200, body: entry }), entry);
    assert.equal(parseRouteAnswer('deleteAccountLink', { status: 204, body: undefined }), null);
    assert.equal(parseRouteAnswer('exportInvoices', { status: 200, body: 'a,b\n' }), 'a,b\n');
    assert.equal(routeAnswerFormat('downloadPackage', 206), 'binary');
    assert.equal(routeAnswerFormat('entityConfiguration', 200), 'text');
    assert.equal(routeAnswerFormat('issueLicense', 201), 'json');
  });

  test('an undeclared status or a body that fails the schema is a clear error, never passed on', () => {
    const undeclared = rejects(() => parseRouteAnswer('getContent', { status: 201, body: {} }));
    assert.ok(undeclared instanceof RouteAnswerError, `an undeclared status is a RouteAnswerError: ${String(undeclared)}`);
    assert.equal(undeclared.reason, 'undeclared_status');
    assert.match(undeclared.message, /getContent answered with status 201/);

    const mismatch = rejects(() => parseRouteAnswer('whoami', { status: 200, body: { clientId: 'cli_1' } }));
    assert.ok(mismatch instanceof RouteAnswerError, `a body that fails the schema is a RouteAnswerError: ${String(mismatch)}`);
    assert.equal(mismatch.reason, 'unexpected_body');
    assert.ok(mismatch.issues.length > 0, 'the schema issues are kept');

    const notJson = rejects(() => parseRouteAnswer('whoami', { status: 200, body: undefined }));
    assert.ok(notJson instanceof RouteAnswerError && notJson.reason === 'unexpected_body', `a body that is not JSON is unexpected: ${String(notJson)}`);
    const notText = rejects(() => parseRouteAnswer('exportInvoices', { status: 200, body: { x: 1 } }));
    assert.ok(notText instanceof RouteAnswerError && notText.reason === 'unexpected_body', `a text route needs text: ${String(notText)}`);
  });

  test('nothing undeclared leaks through: unknown fields of a strict answer are refused', () => {
    const error = rejects(() => parseRouteAnswer('acknowledgeMove', { status: 200, body: { moveId: 'mov_1', state: 'delivered', secret: 'x' } }));
    assert.ok(error instanceof RouteAnswerError, `an extra field is refused: ${String(error)}`);
  });
});
