import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { createPackageDecryptor } from '@tessera/protocol/node';
import { temporarySibling } from './device-store.ts';

/** Lower-case hex SHA-256 of a file, streamed. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Decrypts a package file into `out`. The plaintext goes to a temporary sibling first and
 * is renamed into place only once every chunk authenticated — truncation shows only at
 * the end — so a package that fails leaves no output behind. `beforeCommit` runs between
 * the two (the play is counted there, so an integrity failure never costs a play).
 */
export async function decryptPackageFile(
  packagePath: string,
  contentKey: Uint8Array,
  out: string,
  beforeCommit?: (bytes: number) => Promise<void>,
): Promise<number> {
  const temp = temporarySibling(out);
  try {
    await pipeline(createReadStream(packagePath), createPackageDecryptor({ contentKey }), createWriteStream(temp, { flags: 'wx', mode: 0o600 }));
    const { size } = await stat(temp);
    await beforeCommit?.(size);
    await rename(temp, out);
    return size;
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/**
 * Writes `source` to `destination` (atomically, through a temporary sibling) while checking
 * in the same pass that the bytes form a package that decrypts under `contentKey`: a
 * received package is only stored once it is known to play.
 */
export async function storeVerifiedPackage(source: Readable, contentKey: Uint8Array, destination: string): Promise<void> {
  const temp = temporarySibling(destination);
  try {
    await pipeline(source, decryptionCheck(contentKey), createWriteStream(temp, { flags: 'wx', mode: 0o600 }));
    await rename(temp, destination);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** A pass-through that feeds a package decryptor on the side and fails when it does. */
function decryptionCheck(contentKey: Uint8Array): Transform {
  const decryptor = createPackageDecryptor({ contentKey });
  let failure: Error | undefined;
  decryptor.on('error', (error: Error) => {
    failure ??= error;
  });
  // The plaintext itself is not wanted here; reading it keeps the decryptor flowing.
  decryptor.resume();
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      if (failure) {
        callback(failure);
        return;
      }
      decryptor.write(chunk);
      callback(null, chunk);
    },
    flush(callback: TransformCallback) {
      if (failure) {
        callback(failure);
        return;
      }
      decryptor.end();
      finished(decryptor).then(
        () => callback(failure ?? null),
        (error: Error) => callback(failure ?? error),
      );
    },
  });
}
