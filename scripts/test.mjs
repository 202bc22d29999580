#!/usr/bin/env node
// Runs the test suites with Node's test runner (TypeScript through tsx) and ends with one
// plain line `N passed, N failed`, counted over every suite.
//
//   node scripts/test.mjs [folder…] [--postgres] [--summary-file F] [--only-integration]
//
// --postgres runs the storage and integration suites against the PostgreSQL server named by
// TESSERA_TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test); each suite
// creates and drops its own database.
import { existsSync, readdirSync, statSync, appendFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from 'node:test';
import { spec } from 'node:test/reporters';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const option = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const postgres = flag('--postgres');
const summaryFile = option('--summary-file');
const folders = args.filter((a, i) => !a.startsWith('--') && args[i - 1] !== '--summary-file');

// The suites that touch storage; the pure protocol and client suites need no database.
const storageSuites = ['servers/license-server/test', 'test'];
const allSuites = ['federation-protocol/test', 'client/test', 'servers/license-server/test', 'test'];
const selected = (folders.length ? folders.map((f) => (f.endsWith('/test') || f === 'test' ? f : `${f}/test`)) : postgres ? storageSuites : allSuites)
  .map((f) => path.join(root, f))
  .filter((d) => existsSync(d));

const walk = (dir) =>
  readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (name === 'node_modules' || name === 'support' || name === 'fixtures') return [];
    if (statSync(full).isDirectory()) return walk(full);
    return /\.test\.ts$/.test(name) ? [full] : [];
  });
const files = selected.flatMap(walk).sort();
if (postgres) process.env.TESSERA_TEST_DATABASE_URL ??= 'postgres://postgres@127.0.0.1:5432/test';
// Browser and benchmark suites opt in explicitly.
process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --import tsx`.trim();

const label = postgres ? 'PostgreSQL' : 'PGlite';
console.log(`Running ${files.length} test files (${label})`);
let passed = 0;
let failed = 0;
let skipped = 0;
const failures = [];
const stream = run({ files, concurrency: Number(process.env.TESSERA_TEST_CONCURRENCY ?? 2), timeout: 20 * 60 * 1000 });
stream.on('test:pass', (data) => {
  if (data.details?.type === 'suite') return;
  if (data.skip || data.todo) skipped++;
  else passed++;
});
stream.on('test:fail', (data) => {
  if (data.details?.type === 'suite' && !isFileFailure(data)) return;
  failed++;
  failures.push(`${data.file ? path.relative(root, data.file) : ''} › ${data.name}`);
});
// A file that crashes before running its tests reports one failure named after the file.
function isFileFailure(data) {
  return data.nesting === 0 && data.details?.error?.failureType === 'testCodeFailure' && !data.details?.error?.cause?.failureType;
}
stream.compose(spec).pipe(process.stdout);
await new Promise((resolve) => stream.on('end', resolve));
await new Promise((resolve) => setTimeout(resolve, 50));
if (failures.length) console.log(`\nFailed (${label}):\n${failures.map((f) => `  ✖ ${f}`).join('\n')}`);
if (summaryFile) appendFileSync(summaryFile, `${passed} ${failed} ${skipped}\n`);
// The last line is always exactly `N passed, N failed`; skipped tests are counted on the line before.
if (skipped) console.log(`\n${skipped} skipped (each with its reason above)`);
console.log(`\n${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
