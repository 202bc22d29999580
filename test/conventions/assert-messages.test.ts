import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { findBareAsserts, readSource, testSources } from '../support/bare-asserts.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('test conventions', () => {
  test('an assert.ok without a message is found, with or without the namespace', () => {
    const source = ['assert.ok(value);', 'assert(value);', "assert.ok(value, 'says why');", 'assert.equal(a, b);'].join('\n');
    assert.deepEqual(
      findBareAsserts(source, 'sample.ts').map((b) => b.line),
      [1, 2],
      'the two bare calls, and neither the one with a message nor assert.equal',
    );
  });

  test('every assert.ok in the test suites says what it expects, so a failure fails at once instead of stalling its suite', () => {
    const files = testSources(root);
    assert.ok(files.length > 50, `the test folders were read: ${files.length} files`);
    const bare = files.flatMap((f) => findBareAsserts(readSource(f), path.relative(root, f)));
    assert.deepEqual(
      bare.map((b) => `${b.file}:${b.line}: ${b.call}`),
      [],
      'assert.ok calls without a message',
    );
  });
});
