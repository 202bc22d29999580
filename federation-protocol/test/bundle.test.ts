import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, test } from 'node:test';
import {
  BUNDLE_HEADER_LENGTH,
  BundleFormatError,
  bundleManifestSchema,
  openBundlePackageStream,
  readBundleManifest,
  verifyBundlePackage,
  writeBundle,
  type BundleFormatReason,
  type BundleManifest,
} from '../src/bundle.ts';
import { createPackageDecryptor, createPackageEncryptor, PackageIntegrityError } from '../src/package-format.ts';

const copyCertificate = 'eyJhbGciOiJFUzI1NiIsInR5cCI6InRlc3NlcmEtY29weS1jZXJ0K2p3dCJ9.eyJtb3ZlIjoibW92X3gifQ.c2lnbmF0dXJl';

function bundleFailure(reason: BundleFormatReason) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof BundleFormatError, `expected a BundleFormatError, got ${String(error)}`);
    assert.equal(error.reason, reason);
    return true;
  };
}

/** Hand-assembles a bundle, so tests can build ones the writer would refuse to produce. */
function rawBundle(manifestBytes: Buffer, packageBytes: Buffer, version = 1): Buffer {
  const header = Buffer.alloc(BUNDLE_HEADER_LENGTH);
  header.write('TSBN', 0, 'latin1');
  header[4] = version;
  header.writeUInt32BE(manifestBytes.length, 8);
  return Buffer.concat([header, manifestBytes, packageBytes]);
}

async function drain(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

describe('move bundle', () => {
  let dir: string;
  let contentKey: Buffer;
  let plaintext: Buffer;
  let packagePath: string;
  let packageBytes: Buffer;
  let manifest: BundleManifest;
  let bundlePath: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tessera-bundle-'));
    contentKey = randomBytes(32);
    plaintext = randomBytes(200_000);
    packagePath = join(dir, 'content.tspk');
    const encryptor = createPackageEncryptor({ contentKey, plaintextLength: plaintext.length, chunkSize: 4096 });
    await pipeline(Readable.from([plaintext]), encryptor, createWriteStream(packagePath));
    const { packageSha256, packageLength } = await encryptor.digests();
    packageBytes = await readFile(packagePath);
    manifest = {
      format: 'tessera-bundle/1',
      contentId: 'cnt_AAAAAAAAAAAAAAAAAAAA',
      title: 'Stürme über Tessera',
      packageSha256,
      packageLength,
      copyCertificate,
    };
    bundlePath = join(dir, 'move.tsbn');
    await writeBundle(manifest, createReadStream(packagePath), createWriteStream(bundlePath));
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const writeVariant = async (name: string, bytes: Buffer): Promise<string> => {
    const path = join(dir, name);
    await writeFile(path, bytes);
    return path;
  };

  test('a bundle round-trips: its manifest, then the package that decrypts to the content', async () => {
    const { manifest: read, packageOffset } = await readBundleManifest(bundlePath);
    assert.deepEqual(read, manifest);
    const manifestLength = Buffer.byteLength(JSON.stringify(manifest), 'utf8');
    assert.equal(packageOffset, BUNDLE_HEADER_LENGTH + manifestLength);

    const bundle = await readFile(bundlePath);
    assert.equal(bundle.length, packageOffset + packageBytes.length);
    assert.deepEqual(bundle.subarray(0, 8), Buffer.from([0x54, 0x53, 0x42, 0x4e, 0x01, 0x00, 0x00, 0x00]));
    assert.equal(bundle.readUInt32BE(8), manifestLength);
    assert.deepEqual(bundle.subarray(packageOffset), packageBytes);

    await verifyBundlePackage(bundlePath, read, packageOffset);
    const packageStream = openBundlePackageStream(bundlePath, packageOffset, read);
    const decrypted = await drain(packageStream.pipe(createPackageDecryptor({ contentKey })));
    assert.deepEqual(decrypted, plaintext);
  });

  test('without a manifest to check against, the package stream yields the raw package bytes', async () => {
    const { packageOffset } = await readBundleManifest(bundlePath);
    assert.deepEqual(await drain(openBundlePackageStream(bundlePath, packageOffset)), packageBytes);
  });

  test('a bundle whose package was altered is refused by its digest, and would not decrypt either', async () => {
    const bundle = await readFile(bundlePath);
    bundle[bundle.length - 1000]! ^= 0x01;
    const path = await writeVariant('altered.tsbn', bundle);
    const { manifest: read, packageOffset } = await readBundleManifest(path);

    await assert.rejects(verifyBundlePackage(path, read, packageOffset), bundleFailure('package_digest_mismatch'));
    await assert.rejects(drain(openBundlePackageStream(path, packageOffset, read)), bundleFailure('package_digest_mismatch'));
    await assert.rejects(drain(openBundlePackageStream(path, packageOffset).pipe(createPackageDecryptor({ contentKey }))), PackageIntegrityError);
  });

  test('a truncated bundle is refused', async () => {
    const bundle = await readFile(bundlePath);
    const { packageOffset } = await readBundleManifest(bundlePath);
    const missingPackageTail = await writeVariant('short-package.tsbn', bundle.subarray(0, bundle.length - 1));
    await assert.rejects(readBundleManifest(missingPackageTail), bundleFailure('package_length_mismatch'));
    await assert.rejects(verifyBundlePackage(missingPackageTail, manifest, packageOffset), bundleFailure('package_length_mismatch'));
    const insideManifest = await writeVariant('short-manifest.tsbn', bundle.subarray(0, packageOffset - 1));
    await assert.rejects(readBundleManifest(insideManifest), bundleFailure('truncated'));
    const insideHeader = await writeVariant('short-header.tsbn', bundle.subarray(0, 7));
    await assert.rejects(readBundleManifest(insideHeader), bundleFailure('truncated'));
  });

  test('bytes after the package are refused', async () => {
    const bundle = await readFile(bundlePath);
    const { packageOffset } = await readBundleManifest(bundlePath);
    const path = await writeVariant('extended.tsbn', Buffer.concat([bundle, Buffer.from([0])]));
    await assert.rejects(readBundleManifest(path), bundleFailure('package_length_mismatch'));
    await assert.rejects(verifyBundlePackage(path, manifest, packageOffset), bundleFailure('package_length_mismatch'));
  });

  test('a file that is not a bundle of this version is refused by its header', async () => {
    const bundle = await readFile(bundlePath);
    const cases: Array<[string, Buffer, BundleFormatReason]> = [
      ['a package without a bundle', packageBytes, 'bad_magic'],
      ['version 2', Buffer.concat([bundle.subarray(0, 4), Buffer.from([2]), bundle.subarray(5)]), 'unsupported_version'],
      ['reserved byte set', Buffer.concat([bundle.subarray(0, 6), Buffer.from([1]), bundle.subarray(7)]), 'bad_header'],
      ['empty file', Buffer.alloc(0), 'truncated'],
    ];
    for (const [name, bytes, reason] of cases) {
      await assert.rejects(readBundleManifest(await writeVariant('header-case.tsbn', bytes)), bundleFailure(reason), name);
    }
  });

  test('a manifest length over 1 MiB is refused before the manifest is read', async () => {
    const header = Buffer.from([0x54, 0x53, 0x42, 0x4e, 1, 0, 0, 0, 0, 0x10, 0x00, 0x01]);
    const path = await writeVariant('huge-manifest.tsbn', Buffer.concat([header, Buffer.from('{}')]));
    await assert.rejects(readBundleManifest(path), bundleFailure('manifest_too_long'));
  });

  test('a manifest that is not UTF-8 JSON is refused', async () => {
    const json = Buffer.from(JSON.stringify(manifest));
    const cases: Array<[string, Buffer]> = [
      ['not JSON', Buffer.from('manifest: yes')],
      ['empty', Buffer.alloc(0)],
      ['invalid UTF-8', Buffer.concat([json.subarray(0, 20), Buffer.from([0xc3, 0x28]), json.subarray(20)])],
      ['byte-order mark', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), json])],
    ];
    for (const [name, manifestBytes] of cases) {
      const path = await writeVariant('manifest-case.tsbn', rawBundle(manifestBytes, packageBytes));
      await assert.rejects(readBundleManifest(path), bundleFailure('invalid_manifest'), name);
    }
  });

  test('a manifest that breaks the schema is refused', async () => {
    const cases: Array<[string, unknown]> = [
      ['unknown field', { ...manifest, extra: true }],
      ['other format', { ...manifest, format: 'tessera-bundle/2' }],
      ['upper-case digest', { ...manifest, packageSha256: manifest.packageSha256.toUpperCase() }],
      ['fractional length', { ...manifest, packageLength: manifest.packageLength + 0.5 }],
      ['no certificate', { ...manifest, copyCertificate: undefined }],
      ['certificate not a JWS', { ...manifest, copyCertificate: 'not a jws' }],
      ['not a content ID', { ...manifest, contentId: '../../etc/passwd' }],
      ['empty title', { ...manifest, title: '' }],
      ['an array', [manifest]],
    ];
    for (const [name, value] of cases) {
      assert.equal(bundleManifestSchema.safeParse(value).success, false, name);
      const path = await writeVariant('schema-case.tsbn', rawBundle(Buffer.from(JSON.stringify(value)), packageBytes));
      await assert.rejects(readBundleManifest(path), bundleFailure('invalid_manifest'), name);
    }
  });

  test('writing a bundle whose package does not match its manifest fails', async () => {
    const wrongDigest = { ...manifest, packageSha256: '0'.repeat(64) };
    await assert.rejects(
      writeBundle(wrongDigest, createReadStream(packagePath), createWriteStream(join(dir, 'wrong-digest.tsbn'))),
      bundleFailure('package_digest_mismatch'),
    );
    const tooShort = { ...manifest, packageLength: manifest.packageLength - 1 };
    await assert.rejects(
      writeBundle(tooShort, createReadStream(packagePath), createWriteStream(join(dir, 'too-short.tsbn'))),
      bundleFailure('package_length_mismatch'),
    );
    const tooLong = { ...manifest, packageLength: manifest.packageLength + 1 };
    await assert.rejects(
      writeBundle(tooLong, createReadStream(packagePath), createWriteStream(join(dir, 'too-long.tsbn'))),
      bundleFailure('package_length_mismatch'),
    );
  });

  test('writing a bundle with an invalid manifest fails before a byte is written', async () => {
    let written = 0;
    const out = new Writable({
      write(part: Buffer, _encoding, callback) {
        written += part.length;
        callback();
      },
    });
    const invalid = { ...manifest, copyCertificate: '' } as BundleManifest;
    await assert.rejects(writeBundle(invalid, createReadStream(packagePath), out), bundleFailure('invalid_manifest'));
    assert.equal(written, 0);
  });
});
