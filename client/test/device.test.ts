import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TesseraProblem } from '@tessera/protocol';
import { BUNDLE_MANIFEST_FORMAT, readBundleManifest, verifyBundlePackage, writeBundle } from '@tessera/protocol/node';
import { Device, DeviceError } from '../src/index.ts';
import { FaultInjector } from './support/fault-injector.ts';
import { TestLicenseServer, type TestAuthority } from './support/license-server.ts';

/*
 * The device SDK against real license servers (in process, PGlite, real HTTP on 127.0.0.1):
 * `store`, and its peer `music` on a second server, where alice has linked accounts. The fault injector stands
 * between the devices and the server only for what a server cannot be made to do.
 */
let ISSUER: string;
let PEER_ISSUER: string;

let workdir: string;
let server: TestLicenseServer;
let peerServer: TestLicenseServer;
let faults: FaultInjector;
let store: TestAuthority;
let peer: TestAuthority;

before(async () => {
  workdir = await mkdtemp(join(tmpdir(), 'tessera-device-test-'));
  [server, peerServer] = await Promise.all([TestLicenseServer.start(), TestLicenseServer.start()]);
  faults = new FaultInjector();
  store = await server.authority('store');
  peer = await peerServer.authority('music');
  ISSUER = store.issuer;
  PEER_ISSUER = peer.issuer;
  const alice = await store.addUser('alice', 'alice-password');
  await store.addUser('bob', 'bob-password');
  const peerAlice = await peer.addUser('alice', 'alice-password');
  await store.peerWith(peer);
  await peer.peerWith(store);
  await store.linkUser(alice.id, peerAlice.globalId);
  await peer.linkUser(peerAlice.id, alice.globalId);
});

after(async () => {
  await Promise.all([server.close(), peerServer.close()]);
  await rm(workdir, { recursive: true, force: true });
});

let homes = 0;
async function newDevice(): Promise<Device> {
  homes += 1;
  return Device.open(join(workdir, `home-${homes}`), { fetch: faults.fetch });
}

/** A port on 127.0.0.1 that nothing listens on. */
async function closedPort(): Promise<number> {
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

async function registered(authority = ISSUER, username = 'alice'): Promise<Device> {
  const device = await newDevice();
  await device.register({ authority, username, password: `${username}-password`, label: `device ${homes}` });
  return device;
}

async function rejection<T extends Error>(promise: Promise<unknown>, type: new (...args: never[]) => T): Promise<T> {
  const error = await promise.then(
    () => assert.fail('expected a failure'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof type, `expected ${type.name}, got ${String(error)}`);
  return error;
}

const out = (name: string) => join(workdir, name);
const exists = async (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

describe('registration', () => {
  it('stores the identity, the authority keys and a private key only its owner can read', async () => {
    const device = await registered();
    const identity = device.identity;
    assert.match(identity.clientId, /^cli_/);
    assert.equal(identity.authority, ISSUER);
    assert.equal(identity.user, 'alice');
    assert.deepEqual(device.authorityKeys, await store.jwks());
    assert.equal((await stat(device.home)).mode & 0o777, 0o700);
    assert.equal((await stat(device.store.keyPath)).mode & 0o777, 0o600);
    const reopened = await Device.open(device.home, { fetch: faults.fetch });
    assert.deepEqual(await reopened.whoami(), identity);
  });

  it('refuses wrong credentials with the authority’s problem, and stores nothing', async () => {
    const device = await newDevice();
    const error = await rejection(device.register({ authority: ISSUER, username: 'alice', password: 'wrong' }), TesseraProblem);
    assert.equal(error.code, 'invalid_credentials');
    assert.equal(device.isRegistered, false);
    assert.equal(await exists(device.store.devicePath), false);
  });

  it('refuses to register a home twice', async () => {
    const device = await registered();
    const error = await rejection(device.register({ authority: ISSUER, username: 'alice', password: 'alice-password' }), DeviceError);
    assert.equal(error.code, 'already_registered');
  });

  it('reports an unreachable authority as a network error', async () => {
    const device = await newDevice();
    const error = await rejection(
      device.register({ authority: `http://127.0.0.1:${await closedPort()}/t/nowhere`, username: 'alice', password: 'p' }),
      DeviceError,
    );
    assert.equal(error.code, 'network_error');
  });

  it('lists and deactivates its user’s devices; a deactivated device is refused', async () => {
    const first = await registered();
    const second = await registered();
    const ids = (await first.devices()).map((d) => d.clientId);
    assert.ok(
      ids.includes(first.identity.clientId) && ids.includes(second.identity.clientId),
      `the device list holds both of the user’s devices: ${ids.join(', ')}`,
    );
    assert.equal((await first.deactivate(second.identity.clientId)).status, 'revoked');
    assert.equal((await rejection(second.whoami(), TesseraProblem)).code, 'client_revoked');
  });
});

describe('acquiring and playing', () => {
  it('reads the whole catalogue across pages', async () => {
    const pageSize = 2;
    const device = await Device.open((await registered()).home, { fetch: faults.fetch, catalogPageSize: pageSize });
    for (let i = 0; i < 3; i += 1) await store.addContent(`Catalogue ${i}`, randomBytes(100));
    const catalog = await device.catalog();
    assert.equal(catalog.length, store.contents.size);
    assert.ok(store.contents.size > pageSize, `the catalogue spans more than one page: ${store.contents.size} items, pages of ${pageSize}`);
  });

  it('acquires a content, plays it into a file, and counts the play', async () => {
    const device = await registered();
    const plaintext = randomBytes(5000);
    const entry = await store.addContent('Nocturne', plaintext);
    const { download, license } = await device.acquire(entry.id);
    assert.equal(download.alreadyPresent, false);
    assert.deepEqual(license.charged, { amount: 499, currency: 'EUR' });
    assert.equal(license.state, 'active');

    const played = await device.play(entry.id, { out: out('nocturne.out') });
    assert.deepEqual(await readFile(out('nocturne.out')), plaintext);
    assert.equal(played.playCount, 1);
    assert.equal((await device.store.readLicense(entry.id))?.playCount, 1);

    const again = await device.license(entry.id);
    assert.equal(again.licenseId, license.licenseId);
    assert.equal(again.charged, null);
    assert.equal((await device.store.readLicense(entry.id))?.playCount, 1, 'asking again keeps the play count');
    assert.equal((await device.download(entry.id)).alreadyPresent, true);
  });

  it('refuses to play without a license and writes nothing', async () => {
    const device = await registered();
    const entry = await store.addContent('Unlicensed', randomBytes(100));
    await device.download(entry.id);
    const error = await rejection(device.play(entry.id, { out: out('unlicensed.out') }), DeviceError);
    assert.equal(error.code, 'license_missing');
    assert.equal(await exists(out('unlicensed.out')), false);
  });

  it('stops playing once the license’s plays are used up', async () => {
    const device = await registered();
    const entry = await store.addContent('Twice', randomBytes(100));
    const { license } = await device.acquire(entry.id);
    await store.regrantLicense(license.licenseId, { play: true, maxPlays: 2 });
    await device.license(entry.id);
    assert.equal((await device.play(entry.id, { out: out('twice-1.out') })).playsLeft, 1);
    assert.equal((await device.play(entry.id, { out: out('twice-2.out') })).playsLeft, 0);
    const error = await rejection(device.play(entry.id, { out: out('twice-3.out') }), DeviceError);
    assert.equal(error.code, 'play_not_allowed');
    assert.equal(error.reason, 'play_limit_reached');
    assert.equal(await exists(out('twice-3.out')), false);
  });

  it('leaves no output and counts no play when the stored package was altered', async () => {
    const device = await registered();
    const entry = await store.addContent('Altered', randomBytes(4000));
    await device.acquire(entry.id);
    const path = device.store.packagePath(entry.id);
    const bytes = await readFile(path);
    bytes[bytes.length - 100]! ^= 0x01;
    await writeFile(path, bytes);
    const error = await rejection(device.play(entry.id, { out: out('altered.out') }), DeviceError);
    assert.equal(error.code, 'package_integrity');
    assert.equal(await exists(out('altered.out')), false);
    assert.deepEqual(
      (await readdir(workdir)).filter((n) => n.startsWith('altered.out')),
      [],
    );
    assert.equal((await device.store.readLicense(entry.id))?.playCount, 0);
  });

  it('resumes an interrupted download with a Range request', async () => {
    const device = await registered();
    const entry = await store.addContent('Long', randomBytes(20_000));
    faults.cutNextDownloadAt = 7000;
    const error = await rejection(device.download(entry.id), DeviceError);
    assert.equal(error.code, 'network_error');
    assert.equal((await stat(device.store.partialPackagePath(entry.id))).size, 7000);

    const progress: number[] = [];
    const result = await device.download(entry.id, { onProgress: (p) => progress.push(p.received) });
    assert.equal(result.resumedFrom, 7000);
    assert.equal(result.fetched, entry.packageSize - 7000);
    assert.equal(faults.requests.at(-1)?.headers.range, 'bytes=7000-');
    assert.equal(progress.at(-1), entry.packageSize);
    assert.equal(await exists(device.store.partialPackagePath(entry.id)), false);
    await device.license(entry.id);
    await device.play(entry.id, { out: out('long.out') });
    assert.deepEqual(await readFile(out('long.out')), store.contents.get(entry.id)!.plaintext);
  });

  it('learns rotated authority keys once when a license is signed with a new key', async () => {
    // An authority of its own: `music` keeps trusting the keys `store` was peered with.
    const rotating = await server.authority('rotating');
    await rotating.addUser('alice', 'alice-password');
    const device = await registered(rotating.issuer);
    const entry = await rotating.addContent('Rotated', randomBytes(100));
    // The first rotation activates the key announced as next at registration; the second, one the device never saw.
    await rotating.rotateKeys();
    await rotating.rotateKeys();
    const before = faults.requests.length;
    await device.license(entry.id);
    const jwksFetches = faults.requests.slice(before).filter((r) => r.url === `${rotating.issuer}/jwks.json`);
    const jwks = await rotating.jwks();
    assert.equal(jwksFetches.length, 1);
    assert.deepEqual(device.authorityKeys, jwks);
    assert.deepEqual((await device.store.readDevice())?.authorityKeys, jwks);
  });

  it('turns a refusal of the authority into its problem', async () => {
    const device = await registered();
    const error = await rejection(device.license('cnt_doesnotexist000000000'), TesseraProblem);
    assert.equal(error.code, 'content_unknown');
  });

  it('refreshes license states from the authority', async () => {
    const device = await registered();
    const entry = await store.addContent('Revoked later', randomBytes(100));
    const { licenseId } = await device.acquire(entry.id).then((r) => r.license);
    await store.revokeLicense(licenseId);
    assert.equal((await device.list()).find((h) => h.contentId === entry.id)?.state, 'active');
    const refreshed = await device.list({ refresh: true });
    assert.equal(refreshed.find((h) => h.contentId === entry.id)?.state, 'revoked');
    assert.equal((await rejection(device.play(entry.id, { out: out('revoked.out') }), DeviceError)).code, 'license_not_active');
  });
});

describe('moving a content between devices', () => {
  it('moves within one authority: the bundle carries it over and the source gives it up', async () => {
    const source = await registered();
    const destination = await registered();
    const plaintext = randomBytes(3000);
    const entry = await store.addContent('Moved', plaintext);
    await source.acquire(entry.id);

    const bundle = out('moved.tsb');
    const moved = await source.move(entry.id, { to: destination.identity.clientId, bundle });
    assert.equal(moved.certificateVerified, true);
    assert.deepEqual(moved.destination, { clientId: destination.identity.clientId, authority: ISSUER });
    assert.equal(await source.store.readLicense(entry.id), null);
    assert.equal(await source.store.hasPackage(entry.id), false);
    assert.equal((await rejection(source.play(entry.id, { out: out('moved-src.out') }), DeviceError)).code, 'license_missing');

    const received = await destination.receive(bundle);
    assert.equal(received.moveId, moved.moveId);
    assert.equal(received.acknowledged, true);
    assert.equal((await store.move(moved.moveId))?.state, 'delivered');
    await destination.play(entry.id, { out: out('moved-dst.out') });
    assert.deepEqual(await readFile(out('moved-dst.out')), plaintext);

    const again = await destination.receive(bundle);
    assert.equal(again.alreadyReceived, true);
  });

  it('moves across authorities: the certificate is signed by the destination’s authority', async () => {
    const source = await registered(ISSUER);
    const destination = await registered(PEER_ISSUER);
    const plaintext = randomBytes(2500);
    const entry = await store.addContent('Across', plaintext);
    await source.acquire(entry.id);

    const bundle = out('across.tsb');
    const moved = await source.move(entry.id, { to: destination.identity.clientId, toAuthority: `${PEER_ISSUER}/`, bundle });
    assert.equal(moved.destination.authority, PEER_ISSUER);
    assert.equal(moved.certificateVerified, true);
    const received = await destination.receive(bundle);
    assert.equal(received.contentId, entry.id);
    await destination.play(entry.id, { out: out('across.out') });
    assert.deepEqual(await readFile(out('across.out')), plaintext);
  });

  it('refuses a bundle addressed to another device and stores nothing', async () => {
    const source = await registered();
    const destination = await registered();
    const bystander = await registered();
    const entry = await store.addContent('Not yours', randomBytes(100));
    await source.acquire(entry.id);
    await source.move(entry.id, { to: destination.identity.clientId, bundle: out('not-yours.tsb') });
    const error = await rejection(bystander.receive(out('not-yours.tsb')), DeviceError);
    assert.equal(error.code, 'copy_certificate_invalid');
    assert.equal(error.reason, 'wrong_device');
    assert.deepEqual(await bystander.list(), []);
  });

  it('refuses a bundle from another authority than its own', async () => {
    const source = await registered(ISSUER);
    const destination = await registered(PEER_ISSUER);
    const stranger = await registered(ISSUER);
    const entry = await store.addContent('Foreign', randomBytes(100));
    await source.acquire(entry.id);
    await source.move(entry.id, { to: destination.identity.clientId, toAuthority: PEER_ISSUER, bundle: out('foreign.tsb') });
    assert.equal((await rejection(stranger.receive(out('foreign.tsb')), DeviceError)).reason, 'wrong_issuer');
  });

  it('refuses a bundle whose package bytes were altered', async () => {
    const source = await registered();
    const destination = await registered();
    const entry = await store.addContent('Damaged', randomBytes(3000));
    await source.acquire(entry.id);
    const bundle = out('damaged.tsb');
    await source.move(entry.id, { to: destination.identity.clientId, bundle });
    const bytes = await readFile(bundle);
    bytes[bytes.length - 50]! ^= 0x01;
    await writeFile(bundle, bytes);
    assert.equal((await rejection(destination.receive(bundle), DeviceError)).code, 'bundle_invalid');
    assert.equal(await destination.store.hasPackage(entry.id), false);
  });

  it('refuses a bundle whose package was swapped, even with a matching manifest digest', async () => {
    const source = await registered();
    const destination = await registered();
    const entry = await store.addContent('Genuine', randomBytes(3000));
    const other = await store.addContent('Impostor', randomBytes(3000));
    await source.acquire(entry.id);
    await source.acquire(other.id);
    const bundle = out('genuine.tsb');
    await source.move(entry.id, { to: destination.identity.clientId, bundle });

    // Rebuild the bundle around the other content's package, with an honest digest of it.
    const { manifest } = await readBundleManifest(bundle);
    const impostor = source.store.packagePath(other.id);
    const swapped = out('swapped.tsb');
    await writeBundle(
      { ...manifest, packageSha256: other.packageSha256, packageLength: other.packageSize },
      createReadStream(impostor),
      createWriteStream(swapped),
    );
    const error = await rejection(destination.receive(swapped), DeviceError);
    assert.equal(error.code, 'package_integrity');
    assert.equal(await destination.store.hasPackage(entry.id), false);
    assert.equal(await destination.store.readLicense(entry.id), null);
  });

  it('keeps the content when the authority cannot be told of the delivery', async () => {
    const source = await registered();
    const destination = await registered();
    const entry = await store.addContent('Unacknowledged', randomBytes(100));
    await source.acquire(entry.id);
    await source.move(entry.id, { to: destination.identity.clientId, bundle: out('unack.tsb') });
    faults.failAcks = true;
    try {
      const received = await destination.receive(out('unack.tsb'));
      assert.equal(received.acknowledged, false);
    } finally {
      faults.failAcks = false;
    }
    await destination.play(entry.id, { out: out('unack.out') });
  });

  it('resumes a move whose bundle could not be written, without asking for a second certificate', async () => {
    const source = await registered();
    const destination = await registered();
    const entry = await store.addContent('Resumed', randomBytes(100));
    await source.acquire(entry.id);
    const movesBefore = await store.moveCount();
    await rejection(source.move(entry.id, { to: destination.identity.clientId, bundle: join(workdir, 'missing-dir', 'b.tsb') }), Error);
    assert.equal(await store.moveCount(), movesBefore + 1);
    assert.equal((await source.store.readLicense(entry.id))?.state, 'moved');
    assert.equal(await source.store.hasPackage(entry.id), true, 'the package stays until a bundle holds it');

    const elsewhere = await rejection(source.move(entry.id, { to: source.identity.clientId, bundle: out('elsewhere.tsb') }), DeviceError);
    assert.equal(elsewhere.code, 'move_pending');

    const moved = await source.move(entry.id, { to: destination.identity.clientId, bundle: out('resumed.tsb') });
    assert.equal(moved.resumed, true);
    assert.equal(await store.moveCount(), movesBefore + 1);
    await destination.receive(out('resumed.tsb'));
    await destination.play(entry.id, { out: out('resumed.out') });
  });

  it('cannot move a license twice', async () => {
    const source = await registered();
    const destination = await registered();
    const entry = await store.addContent('Once', randomBytes(100));
    await source.acquire(entry.id);
    await source.move(entry.id, { to: destination.identity.clientId, bundle: out('once.tsb') });
    const error = await rejection(source.move(entry.id, { to: destination.identity.clientId, bundle: out('twice.tsb') }), DeviceError);
    assert.equal(error.code, 'license_missing');
  });

  it('refuses a move to a device of another user, as the authority decides, and keeps the content', async () => {
    const source = await registered(ISSUER, 'alice');
    const bobs = await registered(ISSUER, 'bob');
    const entry = await store.addContent('Mine', randomBytes(100));
    await source.acquire(entry.id);
    const error = await rejection(source.move(entry.id, { to: bobs.identity.clientId, bundle: out('mine.tsb') }), TesseraProblem);
    assert.equal(error.code, 'move_destination_not_owned');
    assert.equal(await exists(out('mine.tsb')), false);
    await source.play(entry.id, { out: out('mine.out') });
  });

  it('writes bundles the protocol can read', async () => {
    const source = await registered();
    const destination = await registered();
    const entry = await store.addContent('Format', randomBytes(100));
    await source.acquire(entry.id);
    await source.move(entry.id, { to: destination.identity.clientId, bundle: out('format.tsb') });
    const { manifest, packageOffset } = await readBundleManifest(out('format.tsb'));
    assert.equal(manifest.format, BUNDLE_MANIFEST_FORMAT);
    assert.equal(manifest.title, 'Format');
    assert.equal(manifest.packageSha256, entry.packageSha256);
    await verifyBundlePackage(out('format.tsb'), manifest, packageOffset);
  });
});
