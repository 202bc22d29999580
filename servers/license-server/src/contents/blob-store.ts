import { once } from 'node:events';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { PRIVATE_DIRECTORY_MODE, PRIVATE_FILE_MODE } from '../storage/private-files.ts';

/**
 * Where encrypted packages live. The filesystem store keeps them under the data directory;
 * several instances behind a load balancer share it (or an object store implementing this).
 */
export interface BlobStore {
  /** A writable for a new blob; `commit` makes it visible atomically, `abort` discards it. */
  create(key: string): Promise<{ stream: Writable; commit(): Promise<void>; abort(): Promise<void> }>;
  /** The local path of a blob, for `res.sendFile` with HTTP Range support. */
  localPath(key: string): string;
  read(key: string, range?: { start: number; end: number }): Readable;
  /** Like `read`, resolving once the blob is open, so a missing blob fails before anything is sent. */
  open(key: string, range?: { start: number; end: number }): Promise<Readable>;
  size(key: string): Promise<number>;
  remove(key: string): Promise<void>;
}

export function createFileBlobStore(root: string): BlobStore {
  const safe = (key: string) => {
    if (!/^[A-Za-z0-9_/.-]+$/.test(key) || key.includes('..')) throw new Error(`bad blob key ${key}`);
    return path.join(root, key);
  };
  return {
    async create(key) {
      const final = safe(key);
      const temp = `${final}.${process.pid}.${Date.now()}.partial`;
      await mkdir(path.dirname(final), { recursive: true, mode: PRIVATE_DIRECTORY_MODE });
      const stream = createWriteStream(temp, { mode: PRIVATE_FILE_MODE });
      return {
        stream,
        commit: async () => {
          if (!stream.writableFinished) throw new Error(`blob ${key} committed before its stream finished`);
          await closed(stream);
          await rename(temp, final);
        },
        abort: async () => {
          stream.destroy();
          // The file is opened asynchronously: removing it before the stream closed could
          // race the open and leave a partial file behind.
          await closed(stream);
          await rm(temp, { force: true });
        },
      };
    },
    localPath: safe,
    read: (key, range) => createReadStream(safe(key), range ? { start: range.start, end: range.end } : {}),
    async open(key, range) {
      const stream = createReadStream(safe(key), range ? { start: range.start, end: range.end } : {});
      await once(stream, 'ready');
      return stream;
    },
    size: async (key) => (await stat(safe(key))).size,
    remove: (key) => rm(safe(key), { force: true }),
  };
}

async function closed(stream: WriteStream): Promise<void> {
  if (stream.closed) return;
  await once(stream, 'close').catch(() => {});
}
