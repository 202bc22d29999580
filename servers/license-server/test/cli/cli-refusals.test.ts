import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createAdminRequestSchema, createAuthorityRequestSchema, createUserRequestSchema, keyParamsSchema, updatePricesRequestSchema } from '@tessera/protocol';
import type { z } from 'zod';
import { serverCommand } from '../../../../test/support/server-process.ts';
import { toProblem } from '../../src/http/errors.ts';
import { createTestDatabase, testEngine } from '../support/harness.ts';

/*
 * `tessera-server` refuses what the admin API refuses, with the same problem code and message,
 * in one line, exit code 2 for bad usage and 1 for a refused action; it never prints SQL, and
 * a command that reads never makes a data directory where there was none.
 */
describe(`tessera-server refusals (${testEngine()})`, () => {
  let dir: string;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let env: NodeJS.ProcessEnv;
  const run = (...args: string[]) => serverCommand(args, env);

  /** The admin API's message for the same input: its problem for the schema's refusal. */
  function apiRefusal(schema: z.ZodType, input: unknown): string {
    const parsed = schema.safeParse(input);
    assert.equal(parsed.success, false, 'the admin API refuses this input too');
    const problem = toProblem(parsed.error)!;
    return `error: ${problem.detail} (${problem.code})`;
  }
  function assertOneLineRefusal(res: { code: number; stdout: string; stderr: string }, code: number, line: string | RegExp) {
    const lines = res.stderr.trim().split('\n');
    assert.equal(res.code, code, `exit code ${code}: ${res.stderr}`);
    assert.equal(lines.length, 1, `one line: ${res.stderr}`);
    if (typeof line === 'string') assert.equal(lines[0], line);
    else assert.match(lines[0]!, line);
    assert.doesNotMatch(res.stderr + res.stdout, /insert into|select |Failed query|params:|\bat .*\.ts:\d+/i, 'no SQL, no stack trace');
  }

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-cli-refusals-'));
    database = await createTestDatabase();
    env = {
      TESSERA_DATA_DIR: path.join(dir, 'data'),
      TESSERA_MASTER_KEY: randomBytes(32).toString('base64'),
      TESSERA_LOG_LEVEL: 'warn',
      DATABASE_URL: database.url === 'memory://' ? '' : database.url,
    };
    const made = await run('authority', 'create', '--slug', 'aurora', '--name', 'Aurora Media', '--license-price', '299');
    assert.equal(made.code, 0, made.stderr);
  });
  after(async () => {
    await database.drop();
    await rm(dir, { recursive: true, force: true });
  });

  test('a slug the API refuses is refused with the same invalid_request message, exit 2, and nothing is created', async () => {
    const res = await run('authority', 'create', '--slug', 'Bad Slug', '--name', 'Bad');
    assertOneLineRefusal(res, 2, apiRefusal(createAuthorityRequestSchema, { slug: 'Bad Slug', name: 'Bad' }));
    const list = await run('authority', 'list');
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(
      list.stdout
        .trim()
        .split('\n')
        .map((l) => l.split('\t')[0]),
      ['aurora'],
      'only the authority made before exists',
    );
  });

  test('a negative price and a price that is no number are refused as invalid_request naming the price, exit 2', async () => {
    assertOneLineRefusal(
      await run('authority', 'create', '--slug', 'borealis', '--name', 'Borealis', '--license-price', '-5'),
      2,
      /^error: prices\.license: .*>=0 \(invalid_request\)$/,
    );
    assertOneLineRefusal(
      await run('authority', 'create', '--slug', 'borealis', '--name', 'Borealis', '--move-price', 'abc'),
      2,
      /^error: prices\.move: .*number.* \(invalid_request\)$/,
    );
  });

  test('a slug that is taken is refused as authority_exists, exit 1, without the SQL', async () => {
    assertOneLineRefusal(
      await run('authority', 'create', '--slug', 'aurora', '--name', 'Again'),
      1,
      'error: an authority with slug "aurora" already exists (authority_exists)',
    );
  });

  test('an administrator password shorter than the console requires is refused as the API refuses it, exit 2', async () => {
    const input = { email: 'ops@aurora.test', password: 'short', role: 'owner' };
    assertOneLineRefusal(
      await run('admin', 'create', '--email', input.email, '--password', input.password, '--authority', 'aurora', '--role', 'owner'),
      2,
      apiRefusal(createAdminRequestSchema, input),
    );
    const ok = await run('admin', 'create', '--email', input.email, '--password', 'a long enough password', '--authority', 'aurora', '--role', 'owner');
    assert.equal(ok.code, 0, ok.stderr);
    assertOneLineRefusal(
      await run('admin', 'create', '--email', input.email, '--password', 'a long enough password', '--authority', 'aurora', '--role', 'admin'),
      1,
      'error: ops@aurora.test already has a role in this authority (admin_exists)',
    );
  });

  test('a user is refused as the API refuses it: a short password, then a taken name', async () => {
    assertOneLineRefusal(
      await run('user', 'create', '--authority', 'aurora', '--username', 'alice', '--password', 'short'),
      2,
      apiRefusal(createUserRequestSchema, { username: 'alice', password: 'short' }),
    );
    assert.equal((await run('user', 'create', '--authority', 'aurora', '--username', 'alice', '--password', 'alice password')).code, 0);
    assertOneLineRefusal(await run('user', 'create', '--authority', 'aurora', '--username', 'ALICE', '--password', 'alice password'), 1, /\(user_exists\)$/);
  });

  test('a price the API refuses is refused with the same invalid_request message, exit 2, and the price list stays', async () => {
    const before = await run('prices', 'show', '--authority', 'aurora');
    assert.equal(before.code, 0, before.stderr);
    assert.match(before.stdout, /^license\s+299$/m, 'the price set at creation');
    assertOneLineRefusal(
      await run('prices', 'set', '--authority', 'aurora', '--license-price', '-5'),
      2,
      apiRefusal(updatePricesRequestSchema, { license: -5 }),
    );
    assertOneLineRefusal(await run('prices', 'set', '--authority', 'aurora', '--move-price', '2.5'), 2, apiRefusal(updatePricesRequestSchema, { move: 2.5 }));
    assertOneLineRefusal(
      await run('prices', 'set', '--authority', 'aurora', '--currency', 'euro', '--license-price', '1'),
      2,
      apiRefusal(updatePricesRequestSchema, { currency: 'euro', license: 1 }),
    );
    const after = await run('prices', 'show', '--authority', 'aurora');
    assert.equal(after.stdout, before.stdout, 'no refused change was applied, not even its valid part');
  });

  test('prices set with nothing to change is bad usage, exit 2; prices of an unknown authority are refused as authority_unknown, exit 1', async () => {
    assertOneLineRefusal(await run('prices', 'set', '--authority', 'aurora'), 2, /^error: nothing to change: give --currency/);
    assertOneLineRefusal(
      await run('prices', 'set', '--authority', 'nowhere', '--move-price', '99'),
      1,
      'error: no authority "nowhere" on this server (authority_unknown)',
    );
  });

  test('a kid the API refuses is refused with the same invalid_request message, exit 2; an unknown kid as key_unknown, exit 1', async () => {
    assertOneLineRefusal(
      await run('keys', 'retire', '--authority', 'aurora', '--kid', 'not-a-thumbprint'),
      2,
      apiRefusal(keyParamsSchema, { authority: 'aurora', kid: 'not-a-thumbprint' }),
    );
    assertOneLineRefusal(
      await run('keys', 'revoke', '--authority', 'aurora', '--kid', 'not-a-thumbprint'),
      2,
      apiRefusal(keyParamsSchema, { authority: 'aurora', kid: 'not-a-thumbprint' }),
    );
    assertOneLineRefusal(await run('keys', 'retire', '--authority', 'aurora', '--kid', 'A'.repeat(43)), 1, /^error: .* has no key A{43} \(key_unknown\)$/);
  });

  test('a missing option is bad usage, exit 2, with the option named', async () => {
    assertOneLineRefusal(await run('authority', 'create', '--slug', 'cygnus'), 2, /required option '--name <name>'/);
  });

  test('a command that reads, given no data directory, says so and creates nothing', async () => {
    const nowhere = path.join(dir, 'nowhere');
    const res = await serverCommand(['authority', 'show', '--authority', 'aurora'], { ...env, TESSERA_DATA_DIR: nowhere, DATABASE_URL: '' });
    assertOneLineRefusal(res, 2, /^error: no Tessera data directory at .*nowhere/);
    assert.equal(existsSync(nowhere), false, 'no database or key file was made');
  });
});
