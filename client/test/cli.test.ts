import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../src/cli-program.ts';
import { TestLicenseServer, type TestAuthority } from './support/license-server.ts';

/* The command line, run in process, against a real license server on 127.0.0.1. */
let ISSUER: string;
let workdir: string;
let server: TestLicenseServer;
let store: TestAuthority;

before(async () => {
  workdir = await mkdtemp(join(tmpdir(), 'tessera-cli-test-'));
  server = await TestLicenseServer.start();
  store = await server.authority('store');
  ISSUER = store.issuer;
  await store.addUser('alice', 'alice-password');
});

after(async () => {
  await server.close();
  await rm(workdir, { recursive: true, force: true });
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  json: () => any;
}

async function cli(...args: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const sink = (append: (s: string) => void) =>
    new Writable({
      write(chunk, _encoding, callback) {
        append(String(chunk));
        callback();
      },
    });
  const code = await runCli(['node', 'tessera-device', ...args], { stdout: sink((s) => (stdout += s)), stderr: sink((s) => (stderr += s)), env: {} }, {});
  return { code, stdout, stderr, json: () => JSON.parse(stdout) };
}

describe('the tessera-device command line', () => {
  const home = () => join(workdir, 'alice-phone');
  const tablet = () => join(workdir, 'alice-tablet');

  it('registers and reports who the device is, as JSON', async () => {
    const registered = await cli(
      '--home',
      home(),
      '--json',
      'register',
      '--authority',
      ISSUER,
      '--username',
      'alice',
      '--password',
      'alice-password',
      '--label',
      'phone',
    );
    assert.equal(registered.code, 0, registered.stderr);
    const identity = registered.json();
    assert.match(identity.clientId, /^cli_/);
    assert.equal(identity.user, 'alice');
    assert.equal(identity.label, 'phone');
    assert.equal(identity.authority, ISSUER);

    const whoami = await cli('--home', home(), '--json', 'whoami');
    assert.equal(whoami.code, 0);
    assert.deepEqual(whoami.json(), identity);
    assert.ok(identity.userId, 'the identity names the user the device is registered to');
  });

  it('prints a sentence and a table for people', async () => {
    await store.addContent('Blue in Green', randomBytes(200));
    const whoami = await cli('--home', home(), 'whoami');
    assert.match(whoami.stdout, /^client: +cli_/m);
    const catalog = await cli('--home', home(), 'catalog');
    assert.equal(catalog.code, 0);
    assert.match(catalog.stdout, /^ID +TITLE +SIZE +PRICE/);
    assert.match(catalog.stdout, /Blue in Green .*€4\.99/);
  });

  it('acquires, plays and lists a content', async () => {
    const entry = await store.addContent('So What', randomBytes(3000));
    const acquired = await cli('--home', home(), '--json', 'acquire', entry.id);
    assert.equal(acquired.code, 0, acquired.stderr);
    const license = acquired.json();
    assert.equal(license.contentId, entry.id);
    assert.equal(license.state, 'active');
    assert.deepEqual(license.charged, { amount: 499, currency: 'EUR' });
    assert.match(license.token, /^ey/);
    assert.equal(license.download.packageSize, entry.packageSize);

    const out = join(workdir, 'so-what.out');
    const played = await cli('--home', home(), 'play', entry.id, '--out', out);
    assert.equal(played.code, 0, played.stderr);
    assert.deepEqual(await readFile(out), store.contents.get(entry.id)!.plaintext);

    const listed = await cli('--home', home(), '--json', 'list');
    const row = listed.json().find((r: { contentId: string }) => r.contentId === entry.id);
    assert.deepEqual(
      { title: row.title, licenseId: row.licenseId, state: row.state, hasPackage: row.hasPackage, playCount: row.playCount },
      { title: 'So What', licenseId: license.licenseId, state: 'active', hasPackage: true, playCount: 1 },
    );
  });

  it('fails with exit code 1 and one clear line, plus a JSON error with --json', async () => {
    const entry = await store.addContent('Freddie Freeloader', randomBytes(100));
    await cli('--home', home(), 'download', entry.id);
    const refused = await cli('--home', home(), '--json', 'play', entry.id, '--out', join(workdir, 'nope.out'));
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^error: this device holds no license for cnt_\S+; run "tessera-device license cnt_\S+" \(license_missing\)\n$/);
    assert.equal(refused.json().error.code, 'license_missing');

    const unknown = await cli('--home', home(), 'license', 'cnt_nosuchcontent00000000');
    assert.equal(unknown.code, 1);
    assert.equal(unknown.stderr, `error: no content cnt_nosuchcontent00000000 at ${ISSUER} (content_unknown)\n`);
    assert.equal(unknown.stdout, '');

    const unregistered = await cli('--home', join(workdir, 'empty'), 'catalog');
    assert.equal(unregistered.code, 1);
    assert.match(unregistered.stderr, /\(not_registered\)\n$/);
    assert.doesNotMatch(unregistered.stderr, /\n\s+at /, 'no stack trace');

    const usage = await cli('--home', home(), '--json', 'play');
    assert.equal(usage.code, 1);
    assert.equal(usage.json().error.code, 'invalid_input');
  });

  it('moves a content to another device through a bundle', async () => {
    const registered = await cli('--home', tablet(), '--json', 'register', '--authority', ISSUER, '--username', 'alice', '--password', 'alice-password');
    const tabletId = registered.json().clientId;
    const entry = await store.addContent('All Blues', randomBytes(1500));
    assert.equal((await cli('--home', home(), 'acquire', entry.id)).code, 0);

    const bundle = join(workdir, 'all-blues.tsb');
    const moved = await cli('--home', home(), '--json', 'move', entry.id, '--to', tabletId, '--bundle', bundle);
    assert.equal(moved.code, 0, moved.stderr);
    assert.deepEqual(moved.json().destination, { clientId: tabletId, authority: ISSUER });
    assert.equal(moved.json().bundle, bundle);

    const received = await cli('--home', tablet(), '--json', 'receive', bundle);
    assert.equal(received.code, 0, received.stderr);
    assert.equal(received.json().contentId, entry.id);
    assert.equal(received.json().moveId, moved.json().moveId);

    const out = join(workdir, 'all-blues.out');
    assert.equal((await cli('--home', tablet(), 'play', entry.id, '--out', out)).code, 0);
    const gone = await cli('--home', home(), 'play', entry.id, '--out', join(workdir, 'all-blues-phone.out'));
    assert.equal(gone.code, 1);
  });

  it('lists the user’s devices and marks this one', async () => {
    const devices = await cli('--home', home(), '--json', 'devices');
    assert.equal(devices.code, 0);
    assert.equal(devices.json().filter((d: { current: boolean }) => d.current).length, 1);
  });
});
