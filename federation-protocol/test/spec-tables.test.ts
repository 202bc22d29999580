import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { routes, type RouteSpec } from '../src/routes.ts';
import { readSpecTable, renderProblemTable, renderRouteTable, writeSpecTables } from '../src/spec-tables.ts';

const spec = readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../SPEC.md'), 'utf8');

describe('SPEC.md restates the catalogues exactly', () => {
  test('§5.2 lists every device and federation route as the route catalogue declares it (npm run docs:spec rewrites it)', () => {
    assert.equal(readSpecTable(spec, 'routes'), renderRouteTable());
  });

  test('§7.2 lists every problem code with its status and title (npm run docs:spec rewrites it)', () => {
    assert.equal(readSpecTable(spec, 'problems'), renderProblemTable());
  });

  test('every route a device or a peer calls names the SPEC section that specifies it', () => {
    const unlisted = (Object.entries(routes) as [string, RouteSpec][]).filter(([, r]) => !r.path.startsWith('/admin') && !r.spec).map(([name]) => name);
    assert.deepEqual(unlisted, [], 'public routes without a SPEC section');
  });

  test('a catalogue change shows up as a difference', () => {
    const edited = spec.replace('| `content_exists` | 409 |', '| `content_exists` | 410 |');
    assert.notEqual(edited, spec, 'the sample edit applies');
    assert.notEqual(readSpecTable(edited, 'problems'), renderProblemTable(), 'the check would fail');
    assert.equal(writeSpecTables(edited), spec, 'and the generator puts it right');
  });
});
