import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, test } from 'node:test';
import {
  DEFAULT_CHUNK_SIZE,
  PACKAGE_HEADER_LENGTH,
  PACKAGE_MAGIC,
  PackageIntegrityError,
  TAG_LENGTH,
  createPackageDecryptor,
  createPackageEncryptor,
  decryptPackage,
  encryptPackage,
  encryptedPackageLength,
  readPackageHeader,
  type PackageIntegrityReason,
} from '../src/package-format.ts';

const CHUNK = 1024;
const RECORD = CHUNK + TAG_LENGTH;

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

function integrityFailure(reason: PackageIntegrityReason) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof PackageIntegrityError, `expected a PackageIntegrityError, got ${String(error)}`);
    assert.equal(error.reason, reason);
    return true;
  };
}

/** Feeds `pkg` to a decryptor in writes of `writeSize` bytes; returns what it emitted and how it ended. */
async function decryptInWrites(contentKey: Uint8Array, pkg: Uint8Array, writeSize: number): Promise<{ plaintext: Buffer; error: unknown }> {
  const decryptor = createPackageDecryptor({ contentKey });
  const parts: Buffer[] = [];
  const writes = Readable.from(
    (function* () {
      for (let offset = 0; offset < pkg.length; offset += writeSize) yield Buffer.from(pkg.subarray(offset, offset + writeSize));
    })(),
  );
  const sink = new Writable({
    write(part: Buffer, _encoding, callback) {
      parts.push(part);
      callback();
    },
  });
  let error: unknown;
  await pipeline(writes, decryptor, sink).catch((caught: unknown) => {
    error = caught;
  });
  return { plaintext: Buffer.concat(parts), error };
}

describe('package layout', () => {
  test('a package is exactly 32 + 16 per chunk + the plaintext bytes long', async () => {
    const key = randomBytes(32);
    for (const length of [0, 1, 7, 1023, 1024, 1025, 2048, 2049, 3000]) {
      const chunks = Math.max(1, Math.ceil(length / CHUNK));
      const pkg = await encryptPackage(key, randomBytes(length), CHUNK);
      assert.equal(pkg.length, PACKAGE_HEADER_LENGTH + chunks * TAG_LENGTH + length, `length ${length}`);
      assert.equal(encryptedPackageLength(length, CHUNK), pkg.length, `length ${length}`);
    }
  });

  test('the package length is computed without encrypting anything', () => {
    assert.equal(encryptedPackageLength(0, CHUNK), 48);
    assert.equal(encryptedPackageLength(1024, CHUNK), 32 + 16 + 1024);
    assert.equal(encryptedPackageLength(1025n, CHUNK), 32 + 32 + 1025);
    assert.equal(encryptedPackageLength(20 * 2 ** 20), 32 + 320 * 16 + 20 * 2 ** 20);
    assert.equal(encryptedPackageLength(10 * 2 ** 40, 2 ** 24), 32 + 655_360 * 16 + 10 * 2 ** 40);
    assert.throws(() => encryptedPackageLength(-1, CHUNK), RangeError);
    assert.throws(() => encryptedPackageLength(1.5, CHUNK), RangeError);
    assert.throws(() => encryptedPackageLength(10, 1023), RangeError);
    assert.throws(() => encryptedPackageLength(10, 16 * 2 ** 20 + 1), RangeError);
    assert.throws(() => encryptedPackageLength(2 ** 42 + 1, CHUNK), RangeError, 'more than 2^32 chunks');
  });

  test('the header carries magic, version, chunk size, nonce prefix and plaintext length', async () => {
    const noncePrefix = Uint8Array.from([1, 2, 3, 4, 5, 6, 7]);
    const contentKey = randomBytes(32);
    const encryptor = createPackageEncryptor({ contentKey, plaintextLength: 5000, chunkSize: 2048, noncePrefix });
    const parts: Buffer[] = [];
    encryptor.on('data', (part: Buffer) => parts.push(part));
    encryptor.end(randomBytes(5000));
    await encryptor.digests();
    const pkg = Buffer.concat(parts);

    assert.equal(pkg.subarray(0, 4).toString('latin1'), PACKAGE_MAGIC);
    assert.deepEqual(readPackageHeader(pkg), {
      version: 1,
      chunkSize: 2048,
      noncePrefix,
      plaintextLength: 5000,
      chunkCount: 3,
      packageLength: 32 + 3 * 16 + 5000,
    });
    assert.deepEqual(encryptor.header, readPackageHeader(pkg));
  });

  test('the default chunk size is 64 KiB', async () => {
    const pkg = await encryptPackage(randomBytes(32), randomBytes(10));
    assert.equal(readPackageHeader(pkg).chunkSize, DEFAULT_CHUNK_SIZE);
    assert.equal(DEFAULT_CHUNK_SIZE, 65_536);
  });

  test('each package gets a fresh random nonce prefix', async () => {
    const key = randomBytes(32);
    const plaintext = randomBytes(100);
    const first = await encryptPackage(key, plaintext, CHUNK);
    const second = await encryptPackage(key, plaintext, CHUNK);
    assert.notDeepEqual(readPackageHeader(first).noncePrefix, readPackageHeader(second).noncePrefix);
    assert.notDeepEqual(first.subarray(32), second.subarray(32));
  });

  test('the known-answer vectors of the spec are reproduced', async () => {
    // Independently computed with Python's `cryptography` AESGCM; the same vectors are in the spec.
    const contentKey = Uint8Array.from({ length: 32 }, (_, i) => i);
    const noncePrefix = Uint8Array.from({ length: 7 }, (_, i) => 0xa0 + i);
    const encrypt = async (plaintext: Buffer) => {
      const encryptor = createPackageEncryptor({ contentKey, plaintextLength: plaintext.length, chunkSize: CHUNK, noncePrefix });
      const parts: Buffer[] = [];
      encryptor.on('data', (part: Buffer) => parts.push(part));
      encryptor.end(plaintext);
      return { pkg: Buffer.concat(parts), digests: await encryptor.digests() };
    };

    const short = await encrypt(Buffer.from('Tessera'));
    assert.equal(
      short.pkg.toString('hex'),
      '5453504b0100000000000400a0a1a2a3a4a5a6000000000000000007000000002304' + '3a6ddd74815ea7518931ed0dec6d3757ef909fd97f',
    );
    assert.equal(Buffer.from(await decryptPackage(contentKey, short.pkg)).toString(), 'Tessera');

    const empty = await encrypt(Buffer.alloc(0));
    assert.equal(empty.pkg.toString('hex'), '5453504b0100000000000400a0a1a2a3a4a5a600000000000000000000000000' + '5c33ea85c965df6c25f63f0d8fc43e63');

    const twoChunks = await encrypt(Buffer.from(Array.from({ length: 1500 }, (_, i) => i % 251)));
    assert.equal(twoChunks.pkg.subarray(0, 32).toString('hex'), '5453504b0100000000000400a0a1a2a3a4a5a60000000000000005dc00000000');
    assert.equal(twoChunks.pkg.subarray(32 + 1024, 32 + 1040).toString('hex'), '7593040e2592b1500704fee0e9f186c9');
    assert.equal(twoChunks.pkg.subarray(-16).toString('hex'), 'cd9f45520c065f36ac4cd0fa74f671e9');
    assert.deepEqual(twoChunks.digests, {
      plaintextSha256: '10d09b10018805bfa690e6f7546f485825405bb1af39bab75d2b636b6eac58db',
      packageSha256: 'd738d0f3f63ce1944c27fa1aafd73aa36e47b0ebe98349fc849669b8994a073e',
      packageLength: 1564,
    });
  });
});

describe('encrypting', () => {
  test('the encryptor reports the SHA-256 of the plaintext and of the package, and the package length', async () => {
    const plaintext = randomBytes(5 * CHUNK + 17);
    const contentKey = randomBytes(32);
    const encryptor = createPackageEncryptor({ contentKey, plaintextLength: plaintext.length, chunkSize: CHUNK });
    const parts: Buffer[] = [];
    encryptor.on('data', (part: Buffer) => parts.push(part));
    // Uneven writes exercise the partial-chunk path as well as whole chunks sealed straight from the input.
    let offset = 0;
    for (const size of [1, 1500, 3000, 300, 10_000]) {
      encryptor.write(plaintext.subarray(offset, offset + size));
      offset += size;
    }
    encryptor.end();
    const digests = await encryptor.digests();
    const pkg = Buffer.concat(parts);

    assert.deepEqual(digests, {
      plaintextSha256: sha256(plaintext),
      packageSha256: sha256(pkg),
      packageLength: encryptedPackageLength(plaintext.length, CHUNK),
    });
    assert.equal(pkg.length, digests.packageLength);
  });

  test('a plaintext shorter than declared makes the encryptor fail', async () => {
    const encryptor = createPackageEncryptor({ contentKey: randomBytes(32), plaintextLength: 2000, chunkSize: CHUNK });
    await assert.rejects(
      pipeline(Readable.from([randomBytes(1999)]), encryptor, new Writable({ write: (_c, _e, cb) => cb() })),
      integrityFailure('length_mismatch'),
    );
    await assert.rejects(encryptor.digests(), integrityFailure('length_mismatch'));
  });

  test('a plaintext longer than declared makes the encryptor fail', async () => {
    const encryptor = createPackageEncryptor({ contentKey: randomBytes(32), plaintextLength: 2000, chunkSize: CHUNK });
    await assert.rejects(
      pipeline(Readable.from([randomBytes(1500), randomBytes(501)]), encryptor, new Writable({ write: (_c, _e, cb) => cb() })),
      integrityFailure('length_mismatch'),
    );
    await assert.rejects(encryptor.digests(), integrityFailure('length_mismatch'));
  });

  test('an encryptor refuses a key, nonce prefix or chunk size of the wrong size', () => {
    assert.throws(() => createPackageEncryptor({ contentKey: randomBytes(16), plaintextLength: 1 }), RangeError);
    assert.throws(() => createPackageEncryptor({ contentKey: randomBytes(32), plaintextLength: 1, noncePrefix: randomBytes(8) }), RangeError);
    assert.throws(() => createPackageEncryptor({ contentKey: randomBytes(32), plaintextLength: 1, chunkSize: 512 }), RangeError);
    assert.throws(() => createPackageDecryptor({ contentKey: randomBytes(31) }), RangeError);
  });
});

describe('decrypting', () => {
  test('an empty content round-trips as one empty final chunk', async () => {
    const key = randomBytes(32);
    const pkg = await encryptPackage(key, new Uint8Array(0), CHUNK);
    assert.equal(pkg.length, PACKAGE_HEADER_LENGTH + TAG_LENGTH);
    assert.equal((await decryptPackage(key, pkg)).length, 0);
  });

  test('contents of every shape round-trip: below, at and across chunk boundaries', async () => {
    const key = randomBytes(32);
    for (const length of [1, 1023, 1024, 1025, 2048, 3 * CHUNK + 1]) {
      const plaintext = randomBytes(length);
      const pkg = await encryptPackage(key, plaintext, CHUNK);
      assert.deepEqual(Buffer.from(await decryptPackage(key, pkg)), plaintext, `length ${length}`);
    }
  });

  test('a package fed one byte at a time decrypts', async () => {
    const key = randomBytes(32);
    const plaintext = randomBytes(2500);
    const pkg = await encryptPackage(key, plaintext, CHUNK);
    const { plaintext: decrypted, error } = await decryptInWrites(key, pkg, 1);
    assert.equal(error, undefined);
    assert.deepEqual(decrypted, plaintext);
  });

  test('a truncated package fails to decrypt', async () => {
    const key = randomBytes(32);
    const pkg = await encryptPackage(key, randomBytes(2500), CHUNK);
    assert.equal(pkg.length, 32 + 3 * 16 + 2500);
    const cuts = [0, 3, 10, 31, 32, 33, 32 + RECORD, 32 + 2 * RECORD, 32 + 2 * RECORD + 100, pkg.length - 16, pkg.length - 1];
    for (const cut of cuts) {
      await assert.rejects(decryptPackage(key, pkg.subarray(0, cut)), integrityFailure('truncated'), `cut at ${cut}`);
    }
  });

  test('a package without its final chunk fails even though every chunk left is authentic', async () => {
    const key = randomBytes(32);
    const plaintext = randomBytes(3 * CHUNK);
    const pkg = await encryptPackage(key, plaintext, CHUNK);
    const { plaintext: emitted, error } = await decryptInWrites(key, pkg.subarray(0, 32 + 2 * RECORD), 4096);
    assert.ok(integrityFailure('truncated')(error), 'a package missing its final chunk fails as truncated');
    assert.deepEqual(emitted, plaintext.subarray(0, 2 * CHUNK));
  });

  test('a package with two chunks swapped fails', async () => {
    const key = randomBytes(32);
    const pkg = Buffer.from(await encryptPackage(key, randomBytes(3 * CHUNK), CHUNK));
    const chunk = (i: number) => pkg.subarray(32 + i * RECORD, 32 + (i + 1) * RECORD);
    const header = pkg.subarray(0, 32);

    const firstTwoSwapped = Buffer.concat([header, chunk(1), chunk(0), chunk(2)]);
    await assert.rejects(decryptPackage(key, firstTwoSwapped), integrityFailure('chunk_authentication_failed'));
    const finalMovedUp = Buffer.concat([header, chunk(0), chunk(2), chunk(1)]);
    await assert.rejects(decryptPackage(key, finalMovedUp), integrityFailure('chunk_authentication_failed'));
  });

  test('a chunk spliced in from another package under the same key fails', async () => {
    const key = randomBytes(32);
    const plaintext = randomBytes(3 * CHUNK);
    const first = Buffer.from(await encryptPackage(key, plaintext, CHUNK));
    const second = Buffer.from(await encryptPackage(key, plaintext, CHUNK));
    const spliced = Buffer.concat([first.subarray(0, 32 + RECORD), second.subarray(32 + RECORD, 32 + 2 * RECORD), first.subarray(32 + 2 * RECORD)]);
    await assert.rejects(decryptPackage(key, spliced), integrityFailure('chunk_authentication_failed'));
  });

  test('flipping any single byte of a small package makes decryption fail', async () => {
    const key = randomBytes(32);
    const plaintext = randomBytes(2500);
    const pkg = Buffer.from(await encryptPackage(key, plaintext, CHUNK));
    assert.equal(readPackageHeader(pkg).chunkCount, 3);
    for (let position = 0; position < pkg.length; position += 1) {
      const altered = Buffer.from(pkg);
      altered[position] = altered[position]! ^ 0x01;
      await assert.rejects(decryptPackage(key, altered), PackageIntegrityError, `flipped byte ${position}`);
    }
    assert.deepEqual(Buffer.from(await decryptPackage(key, pkg)), plaintext);
  });

  test('only authenticated plaintext is emitted: an altered chunk stops the stream before its bytes', async () => {
    const key = randomBytes(32);
    const plaintext = randomBytes(3 * CHUNK);
    const pkg = Buffer.from(await encryptPackage(key, plaintext, CHUNK));
    pkg[32 + 2 * RECORD + 5]! ^= 0x80;
    const { plaintext: emitted, error } = await decryptInWrites(key, pkg, pkg.length);
    assert.ok(integrityFailure('chunk_authentication_failed')(error), 'an altered chunk fails authentication before its bytes are emitted');
    assert.deepEqual(emitted, plaintext.subarray(0, 2 * CHUNK));
  });

  test('extra bytes after the final chunk are refused', async () => {
    const key = randomBytes(32);
    const pkg = await encryptPackage(key, randomBytes(2500), CHUNK);
    const extended = Buffer.concat([pkg, Buffer.from([0])]);
    await assert.rejects(decryptPackage(key, extended), integrityFailure('trailing_data'));
    // Also when the extra bytes arrive in a later write than the final chunk.
    const { error } = await decryptInWrites(key, Buffer.concat([pkg, randomBytes(pkg.length)]), pkg.length);
    assert.ok(integrityFailure('trailing_data')(error), 'extra bytes arriving in a later write are refused as trailing data');
    const emptyExtended = Buffer.concat([await encryptPackage(key, new Uint8Array(0), CHUNK), randomBytes(16)]);
    await assert.rejects(decryptPackage(key, emptyExtended), integrityFailure('trailing_data'));
  });

  test('the wrong content key is refused and yields no plaintext', async () => {
    const pkg = await encryptPackage(randomBytes(32), randomBytes(2500), CHUNK);
    const { plaintext, error } = await decryptInWrites(randomBytes(32), pkg, 512);
    assert.ok(integrityFailure('chunk_authentication_failed')(error), 'the wrong content key fails chunk authentication');
    assert.equal(plaintext.length, 0);
  });

  test('a file that is not a package is refused on its first bytes', async () => {
    const decryptor = createPackageDecryptor({ contentKey: randomBytes(32) });
    const failed = new Promise((resolve) => decryptor.once('error', resolve));
    decryptor.write(Buffer.from('GIF8'));
    assert.ok(integrityFailure('bad_magic')(await failed), 'a file that is not a package fails as bad_magic on its first bytes');
    const pdf = Buffer.from('%PDF-1.7 and then much more than 32 bytes of text');
    await assert.rejects(decryptPackage(randomBytes(32), pdf), integrityFailure('bad_magic'));
  });

  test('an unknown format version is refused', async () => {
    const key = randomBytes(32);
    const pkg = Buffer.from(await encryptPackage(key, randomBytes(10), CHUNK));
    pkg[4] = 2;
    await assert.rejects(decryptPackage(key, pkg), integrityFailure('unsupported_version'));
  });
});

describe('reading a header', () => {
  const valid = (): Buffer => Buffer.from('5453504b0100000000000400a0a1a2a3a4a5a60000000000000005dc00000000', 'hex');

  test('a valid header is read, and trailing bytes after it are ignored', () => {
    const header = readPackageHeader(Buffer.concat([valid(), randomBytes(100)]));
    assert.equal(header.chunkSize, 1024);
    assert.equal(header.plaintextLength, 1500);
    assert.equal(header.chunkCount, 2);
    assert.equal(header.packageLength, 1564);
  });

  test('each malformed header is refused with its own reason', () => {
    const altered = (mutate: (header: Buffer) => void): Buffer => {
      const header = valid();
      mutate(header);
      return header;
    };
    const cases: Array<[string, Buffer, PackageIntegrityReason]> = [
      ['bad magic', altered((h) => h.write('TSPX', 0, 'latin1')), 'bad_magic'],
      ['version 0', altered((h) => (h[4] = 0)), 'unsupported_version'],
      ['version 2', altered((h) => (h[4] = 2)), 'unsupported_version'],
      ['reserved byte 5', altered((h) => (h[5] = 1)), 'bad_header'],
      ['reserved byte 7', altered((h) => (h[7] = 1)), 'bad_header'],
      ['reserved byte 19', altered((h) => (h[19] = 1)), 'bad_header'],
      ['reserved byte 31', altered((h) => (h[31] = 1)), 'bad_header'],
      ['chunk size 1023', altered((h) => h.writeUInt32BE(1023, 8)), 'bad_header'],
      ['chunk size 16 MiB + 1', altered((h) => h.writeUInt32BE(16 * 2 ** 20 + 1, 8)), 'bad_header'],
      ['2^32 + 1 chunks', altered((h) => h.writeBigUInt64BE(2n ** 42n + 1n, 20)), 'bad_header'],
      ['length over 2^53', altered((h) => h.writeBigUInt64BE(2n ** 63n, 20)), 'bad_header'],
      ['31 bytes', valid().subarray(0, 31), 'truncated'],
      ['2 bytes of magic', valid().subarray(0, 2), 'truncated'],
      ['no bytes', Buffer.alloc(0), 'truncated'],
    ];
    for (const [name, bytes, reason] of cases) {
      assert.throws(() => readPackageHeader(bytes), integrityFailure(reason), name);
    }
  });
});

describe('streaming', () => {
  test('a 20 MiB content streams through encryptor and decryptor in bounded memory', async () => {
    const contentLength = 20 * 2 ** 20;
    const writeSize = 50_000; // deliberately not a multiple of the chunk size
    const contentKey = randomBytes(32);
    const sourceHash = createHash('sha256');
    const source = Readable.from(
      (function* () {
        for (let sent = 0; sent < contentLength; sent += writeSize) {
          const part = randomBytes(Math.min(writeSize, contentLength - sent));
          sourceHash.update(part);
          yield part;
        }
      })(),
      { objectMode: false },
    );
    const encryptor = createPackageEncryptor({ contentKey, plaintextLength: contentLength });
    const decryptor = createPackageDecryptor({ contentKey });

    const packageHash = createHash('sha256');
    let packageLength = 0;
    const tap = new Transform({
      transform(part: Buffer, _encoding, callback) {
        packageHash.update(part);
        packageLength += part.length;
        callback(null, part);
      },
    });

    const rssBefore = process.memoryUsage.rss();
    let rssPeak = rssBefore;
    let bufferedPeak = 0;
    const outputHash = createHash('sha256');
    let outputLength = 0;
    const sink = new Writable({
      write(part: Buffer, _encoding, callback) {
        outputHash.update(part);
        outputLength += part.length;
        rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
        const buffered = encryptor.readableLength + encryptor.writableLength + decryptor.readableLength + decryptor.writableLength;
        bufferedPeak = Math.max(bufferedPeak, buffered);
        callback();
      },
    });

    await pipeline(source, encryptor, tap, decryptor, sink);

    const digests = await encryptor.digests();
    assert.equal(outputLength, contentLength);
    const sourceDigest = sourceHash.digest('hex');
    assert.equal(outputHash.digest('hex'), sourceDigest);
    assert.equal(digests.plaintextSha256, sourceDigest);
    assert.equal(digests.packageSha256, packageHash.digest('hex'));
    assert.equal(digests.packageLength, packageLength);
    assert.equal(packageLength, encryptedPackageLength(contentLength));
    assert.ok(rssPeak - rssBefore < 64 * 2 ** 20, `rss grew by ${((rssPeak - rssBefore) / 2 ** 20).toFixed(1)} MiB`);
    // The streams themselves never hold more than a few chunks, whatever the garbage collector does.
    assert.ok(bufferedPeak <= 4 * (DEFAULT_CHUNK_SIZE + TAG_LENGTH), `streams buffered ${bufferedPeak} bytes`);
  });
});
