import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeJwsUnverified, generateEcKeyPair, signJws, TOKEN_TYPES } from '@tessera/protocol';
import { Device, DeviceError } from '../src/index.ts';
import { TestLicenseServer, type TestAuthority } from './support/license-server.ts';

/*
 * The device SDK against a real license server (in process, real database, real HTTP): an
 * authority rotates its keys and devices registered before keep verifying what it signs.
 */
describe('a device across its authority’s key rotations (real server)', () => {
  let server: TestLicenseServer;
  let aurora: TestAuthority;
  let issuer: string;
  let workdir: string;
  const requests: string[] = [];
  const recordingFetch: typeof fetch = (input, init) => {
    requests.push(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    return fetch(input, init);
  };
  const jwksFetchesSince = (index: number) => requests.slice(index).filter((u) => u.endsWith('/jwks.json'));
  let devices = 0;

  const newDevice = async (label: string) => {
    const device = await Device.open(join(workdir, `device-${++devices}`), { fetch: recordingFetch });
    await device.register({ authority: issuer, username: 'alice', password: 'alice password', label });
    return device;
  };
  /** A fresh Device object over the same home, as the next run of the CLI would open it. */
  const reopen = (device: Device) => Device.open(device.home, { fetch: recordingFetch });
  const upload = async (title: string) => (await aurora.addContent(title, randomBytes(5000))).id;
  const rotate = () => aurora.rotateKeys();
  const kidOf = (token: string) => String(decodeJwsUnverified(token).header.kid);

  before(async () => {
    workdir = await mkdtemp(join(tmpdir(), 'tessera-rotation-'));
    server = await TestLicenseServer.start();
    aurora = await server.authority('aurora', { license: 299, move: 99 });
    issuer = aurora.issuer;
    await aurora.addUser('alice', 'alice password');
  });
  after(async () => {
    await server.close();
    await rm(workdir, { recursive: true, force: true });
  });

  it('a device registered before one rotation verifies a new license with the keys it got at registration, without fetching any', async () => {
    const phone = await newDevice('phone');
    await rotate();
    const contentId = await upload('After one rotation');
    const before = requests.length;
    const { license } = await phone.acquire(contentId);
    assert.ok(
      phone.authorityKeys.keys.some((k) => k.kid === kidOf(license.token)),
      'the new signing key was announced as next at registration',
    );
    assert.equal(jwksFetchesSince(before).length, 0);
    await phone.play(contentId, { out: join(workdir, 'one-rotation.out') });
  });

  it('a device registered before two rotations fetches its own authority’s jwks.json once, then verifies and plays a new license', async () => {
    const tablet = await newDevice('tablet');
    await rotate();
    await rotate();
    const contentId = await upload('After two rotations');
    const before = requests.length;
    const { license } = await tablet.acquire(contentId);
    const fetched = jwksFetchesSince(before);
    assert.deepEqual(fetched, [`${issuer}/jwks.json`], 'one fetch, from its own authority');
    assert.ok(
      tablet.authorityKeys.keys.some((k) => k.kid === kidOf(license.token)),
      'the refreshed authority keys include the key that signed the new license',
    );
    const stored = await (await reopen(tablet)).store.readDevice();
    assert.deepEqual(stored?.authorityKeys, tablet.authorityKeys, 'the refreshed keys are kept');
    await tablet.play(contentId, { out: join(workdir, 'two-rotations.out') });
  });

  it('a license bought before two rotations still plays after the device refetched the key set: retired keys stay published', async () => {
    const reader = await newDevice('reader');
    const early = await upload('Before the rotations');
    const { license } = await reader.acquire(early);
    await rotate();
    await rotate();
    const late = await upload('After the rotations');
    await reader.acquire(late);
    const refreshed = reader.authorityKeys.keys.map((k) => k.kid);
    assert.ok(refreshed.includes(kidOf(license.token)), 'the retired key is in the refetched set');

    const again = await reopen(reader);
    const before = requests.length;
    await again.play(early, { out: join(workdir, 'early.out') });
    await again.play(late, { out: join(workdir, 'late.out') });
    assert.equal(jwksFetchesSince(before).length, 0);
  });

  it('a copy certificate signed after two rotations is verified by a destination registered before them', async () => {
    const source = await newDevice('source');
    const destination = await newDevice('destination');
    const contentId = await upload('Moved after rotations');
    await source.acquire(contentId);
    await rotate();
    await rotate();
    const bundle = join(workdir, 'moved.tsbn');
    const moved = await (await reopen(source)).move(contentId, { to: destination.identity.clientId, bundle });
    assert.equal(moved.certificateVerified, true);
    const received = await (await reopen(destination)).receive(bundle);
    assert.equal(received.contentId, contentId);
    const out = join(workdir, 'moved.out');
    await (await reopen(destination)).play(contentId, { out });
    assert.ok((await readFile(out)).length > 0, 'the moved license plays on the destination and writes the content');
  });

  it('a license signed by a key the authority never published is refused after one fetch from its own authority, and refetched no more within a minute', async () => {
    const watch = await newDevice('watch');
    const contentId = await upload('Forged');
    await watch.acquire(contentId);
    const record = (await watch.store.readLicense(contentId))!;
    const stranger = await generateEcKeyPair('sig');
    const forged = await signJws(decodeJwsUnverified(record.token).payload, { typ: TOKEN_TYPES.license, key: stranger.privateJwk, kid: stranger.kid });
    await watch.store.writeLicense({ ...record, token: forged });

    const device = await reopen(watch);
    const before = requests.length;
    for (let attempt = 0; attempt < 3; attempt++) {
      const error = await device.play(contentId, { out: join(workdir, 'forged.out') }).then(
        () => assert.fail('a forged license must not play'),
        (e: unknown) => e,
      );
      assert.ok(error instanceof DeviceError, `a forged license is refused with a DeviceError: ${String(error)}`);
      assert.equal(error.code, 'license_invalid');
      assert.equal(error.reason, 'unknown_key');
    }
    assert.deepEqual(jwksFetchesSince(before), [`${issuer}/jwks.json`], 'keys come only from its own authority, and a burst of unknown kids costs one fetch');
  });
});
