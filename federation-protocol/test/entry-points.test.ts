import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const src = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src');

/** Every module a source file reaches through its static imports within the package, and the node: modules it names. */
function reach(entry: string): { files: Set<string>; builtins: Set<string> } {
  const files = new Set<string>();
  const builtins = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    const text = readFileSync(file, 'utf8');
    for (const [, spec] of text.matchAll(/^(?:import|export)\s[^'"]*?from\s+'([^']+)'/gm)) {
      if (spec!.startsWith('node:')) builtins.add(spec!);
      else if (spec!.startsWith('.')) visit(path.resolve(path.dirname(file), spec!));
    }
  };
  visit(path.join(src, entry));
  return { files, builtins };
}

describe('the protocol package entry points', () => {
  test('@tessera/protocol needs no Node I/O: of the node: modules it reaches only node:crypto', () => {
    const { files, builtins } = reach('index.ts');
    assert.ok(files.size > 5, `the entry's modules were followed: ${files.size}`);
    assert.deepEqual([...builtins], ['node:crypto'], 'node: modules reached from the main entry');
    assert.equal(
      [...files].some((f) => /package-format|bundle/.test(f)),
      false,
      'the package and bundle files are not reached',
    );
  });

  test('@tessera/protocol/node carries the package format and bundle files', async () => {
    const node = await import('../src/node.ts');
    for (const name of ['createPackageEncryptor', 'createPackageDecryptor', 'writeBundle', 'readBundleManifest'])
      assert.equal(typeof (node as Record<string, unknown>)[name], 'function', name);
    const { builtins } = reach('node.ts');
    assert.ok(builtins.has('node:fs') && builtins.has('node:stream'), `the node entry is where the I/O lives: ${[...builtins].join(', ')}`);
  });
});
