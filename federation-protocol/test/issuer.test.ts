import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { canonicalIssuer, isCanonicalIssuer, issuerInputSchema, issuerUrlSchema } from '../src/index.ts';

describe('one canonical issuer (SPEC §1.3)', () => {
  test('every spelling of an issuer comes to one form: lower-case scheme and host, no default port, no trailing slash', () => {
    const spellings: [string, string][] = [
      ['https://licenses.example/t/store', 'https://licenses.example/t/store'],
      ['HTTPS://Licenses.EXAMPLE/t/store/', 'https://licenses.example/t/store'],
      ['https://licenses.example:443/t/store//', 'https://licenses.example/t/store'],
      ['http://127.0.0.1:4001/t/aurora/', 'http://127.0.0.1:4001/t/aurora'],
      ['http://127.0.0.1:80/t/aurora', 'http://127.0.0.1/t/aurora'],
      ['  https://licenses.example/t/./store  ', 'https://licenses.example/t/store'],
      ['https://licenses.example/', 'https://licenses.example'],
    ];
    for (const [spelling, canonical] of spellings) assert.equal(canonicalIssuer(spelling), canonical, spelling);
  });

  test('the path keeps its case: /t/Store and /t/store are two authorities', () => {
    assert.equal(canonicalIssuer('https://licenses.example/t/Store'), 'https://licenses.example/t/Store');
  });

  test('a query, a fragment, a user, another scheme or no URL at all is refused with the reason', () => {
    const refused: [string, RegExp][] = [
      ['https://licenses.example/t/store?x=1', /query or a fragment/],
      ['https://licenses.example/t/store?', /query or a fragment/],
      ['https://licenses.example/t/store#top', /query or a fragment/],
      ['https://ops:secret@licenses.example/t/store', /user name or password/],
      ['ftp://licenses.example/t/store', /http or https, not ftp/],
      ['licenses.example/t/store', /absolute http\(s\) URL/],
      [`https://licenses.example/t/${'a'.repeat(600)}`, /at most 512 characters/],
    ];
    for (const [input, reason] of refused) assert.throws(() => canonicalIssuer(input), reason, input);
  });

  test('a request may name an issuer in any spelling; a token or an answer must carry the canonical one', () => {
    assert.equal(issuerInputSchema.parse('HTTPS://Licenses.Example/t/store/'), 'https://licenses.example/t/store');
    assert.equal(issuerInputSchema.safeParse('https://licenses.example/t/store#x').success, false);
    assert.equal(issuerUrlSchema.safeParse('https://licenses.example/t/store').success, true);
    for (const other of ['https://licenses.example/t/store/', 'https://Licenses.example/t/store', 'https://licenses.example:443/t/store']) {
      assert.equal(issuerUrlSchema.safeParse(other).success, false, `${other} is not canonical`);
      assert.equal(isCanonicalIssuer(other), false, `${other} is not canonical`);
    }
  });
});
