import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createTestDatabase } from '../../servers/license-server/test/support/harness.ts';
import { serverCommand, startServerProcess, type ServerProcess } from '../support/server-process.ts';

/**
 * Peering from the operator's command line (`tessera-server peer …`): aurora's operator pins
 * borealis, a running server, by the thumbprint `authority show` prints on borealis's side.
 */
describe('tessera-server peer commands', () => {
  let dir: string;
  let borealis: ServerProcess;
  let aurora: NodeJS.ProcessEnv;
  const drops: (() => Promise<void>)[] = [];
  let issuer: string;

  const envFor = async (name: string) => {
    const db = await createTestDatabase();
    drops.push(db.drop);
    return {
      TESSERA_DATA_DIR: path.join(dir, name),
      TESSERA_MASTER_KEY: Buffer.alloc(32, name.length).toString('base64'),
      ...(db.url !== 'memory://' ? { DATABASE_URL: db.url } : {}),
    };
  };
  const run = async (env: NodeJS.ProcessEnv, args: string[]) => {
    const res = await serverCommand(args, env);
    assert.equal(res.code, 0, `${args.join(' ')}: ${res.stderr}`);
    return res.stdout;
  };

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-peer-cli-'));
    const b = await envFor('borealis');
    await run(b, ['authority', 'create', '--slug', 'borealis', '--name', 'Borealis Books']);
    borealis = await startServerProcess(b);
    issuer = `${borealis.url}/t/borealis`;
    aurora = await envFor('aurora');
    await run(aurora, ['authority', 'create', '--slug', 'aurora', '--name', 'Aurora Media']);
  });
  after(async () => {
    await borealis?.stop();
    for (const drop of drops) await drop();
    await rm(dir, { recursive: true, force: true });
  });

  test('an operator discovers a peer, pins its thumbprint, suspends, resumes and refreshes it', { timeout: 5 * 60_000 }, async () => {
    const discovered = await run(aurora, ['peer', 'discover', '--issuer', issuer]);
    const thumbprint = /thumbprint\s+(\S+)/.exec(discovered)?.[1];
    assert.ok(thumbprint, discovered);
    assert.match(discovered, /Borealis Books/);

    const wrong = await serverCommand(['peer', 'add', '--authority', 'aurora', '--issuer', issuer, '--thumbprint', 'A'.repeat(43)], aurora);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /peer_thumbprint_mismatch/);

    assert.match(await run(aurora, ['peer', 'add', '--authority', 'aurora', '--issuer', issuer, '--thumbprint', thumbprint]), /peer added: .*\tactive\t/);
    // Any spelling of the issuer names the same peer (SPEC §1.3).
    assert.match(await run(aurora, ['peer', 'suspend', '--authority', 'aurora', '--issuer', `${issuer.replace('http://', 'HTTP://')}/`]), /\tsuspended\t/);
    assert.match(await run(aurora, ['peer', 'resume', '--authority', 'aurora', '--issuer', issuer]), /\tactive\t/);
    assert.match(await run(aurora, ['peer', 'refresh', '--authority', 'aurora', '--issuer', issuer]), /\(ok\)$/m);
    const list = await run(aurora, ['peer', 'list', '--authority', 'aurora']);
    assert.equal(list.trim().split('\n').length, 1);
    assert.ok(list.includes(`pinned ${thumbprint}`), `the listed peer shows its pinned thumbprint: ${list}`);
  });

  test('an issuer with a query or another scheme is refused with the reason, before anything is fetched or stored', async () => {
    for (const [bad, reason] of [
      [`${issuer}?x=1`, /query or a fragment/],
      [issuer.replace('http://', 'ftp://'), /http or https, not ftp/],
    ] as const) {
      const res = await serverCommand(['peer', 'discover', '--issuer', bad], aurora);
      assert.notEqual(res.code, 0, `${bad} is refused`);
      assert.match(res.stderr, /--issuer/, 'the message names the option');
      assert.match(res.stderr, reason);
      assert.doesNotMatch(res.stderr, /at .*\.ts:\d+/, 'no stack trace');
    }
  });
});
