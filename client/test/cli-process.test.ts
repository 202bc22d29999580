import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { Device } from '../src/index.ts';
import { FaultInjector } from './support/fault-injector.ts';
import { TestLicenseServer, type TestAuthority } from './support/license-server.ts';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'tessera-device.js');

let workdir: string;
let server: TestLicenseServer;
let store: TestAuthority;
let issuer: string;

before(async () => {
  workdir = await mkdtemp(join(tmpdir(), 'tessera-bin-test-'));
  server = await TestLicenseServer.start();
  store = await server.authority('store');
  issuer = store.issuer;
  await store.addUser('alice', 'alice-password');
});

after(async () => {
  await server.close();
  await rm(workdir, { recursive: true, force: true });
});

function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    // From another directory: the binary must not depend on the caller's working directory.
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: tmpdir(), env: { ...process.env, NODE_OPTIONS: '', TESSERA_DEVICE_HOME: join(workdir, 'home') } },
      (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

describe('the tessera-device binary over HTTP', () => {
  it('registers, acquires and plays through real HTTP requests', async () => {
    const registered = await run('--json', 'register', '--authority', issuer, '--username', 'alice', '--password', 'alice-password');
    assert.equal(registered.code, 0, registered.stderr);
    assert.equal(JSON.parse(registered.stdout).authority, issuer);

    const entry = await store.addContent('Flamenco Sketches', randomBytes(50_000));
    const acquired = await run('acquire', entry.id);
    assert.equal(acquired.code, 0, acquired.stderr);
    assert.match(acquired.stdout, /Downloaded "Flamenco Sketches"/);

    const out = join(workdir, 'flamenco.out');
    const played = await run('play', entry.id, '--out', out);
    assert.equal(played.code, 0, played.stderr);
    assert.deepEqual(await readFile(out), store.contents.get(entry.id)!.plaintext);
  });

  it('fails with exit code 1 and one line on stderr', async () => {
    const refused = await run('play', 'cnt_nosuchcontent00000000', '--out', join(workdir, 'x.out'));
    assert.equal(refused.code, 1);
    assert.equal(refused.stderr.trim().split('\n').length, 1);
    assert.match(refused.stderr, /^error: .*\(license_missing\)$/m);
  });

  it('resumes a download whose connection was cut', async () => {
    // A real server does not drop connections on request: the fault injector cuts this one.
    const faults = new FaultInjector();
    const device = await Device.open(join(workdir, 'resume-home'), { fetch: faults.fetch });
    await device.register({ authority: issuer, username: 'alice', password: 'alice-password' });
    const entry = await store.addContent('Resumable', randomBytes(300_000));
    faults.cutNextDownloadAt = 100_000;
    await assert.rejects(device.download(entry.id), { code: 'network_error' });
    const kept = (await stat(device.store.partialPackagePath(entry.id))).size;
    assert.ok(kept > 0 && kept <= 100_000, `kept ${kept} bytes`);
    const result = await device.download(entry.id);
    assert.equal(result.resumedFrom, kept);
    assert.equal((await stat(device.store.packagePath(entry.id))).size, entry.packageSize);
  });
});
