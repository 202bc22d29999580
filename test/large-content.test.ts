import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { Device } from '@tessera/client';
import { createTestDatabase } from '../servers/license-server/test/support/harness.ts';
import { serverCommand, startServerProcess, type ServerProcess } from './support/server-process.ts';

/** 1 GiB by default; TESSERA_LARGE_CONTENT_BYTES sets another size for a quick run. */
const SIZE = Number(process.env.TESSERA_LARGE_CONTENT_BYTES ?? 1024 ** 3);
const SERVER_RSS_LIMIT = 300 * 1024 * 1024;

/** A deterministic stream of `size` pseudo-random bytes, produced as it is read. */
function generated(size: number, hash: ReturnType<typeof createHash>): Readable {
  let left = size;
  const block = randomBytes(1024 * 1024);
  let counter = 0;
  return new Readable({
    read() {
      if (left <= 0) return this.push(null);
      const n = Math.min(left, block.length);
      // Vary each block so the content is not periodic.
      block.writeUInt32BE(counter++, 0);
      const chunk = Buffer.from(block.subarray(0, n));
      hash.update(chunk);
      left -= n;
      this.push(chunk);
    },
  });
}

describe('large contents', () => {
  let dir: string;
  let server: ServerProcess;
  let dropDatabase: () => Promise<void>;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-large-'));
    const db = await createTestDatabase();
    dropDatabase = db.drop;
    const env = { TESSERA_DATA_DIR: path.join(dir, 'server'), ...(db.url !== 'memory://' ? { DATABASE_URL: db.url } : {}) };
    // Set up through the operator's CLI, as the README describes.
    for (const args of [
      ['authority', 'create', '--slug', 'archive', '--name', 'Archive', '--license-price', '100', '--move-price', '50'],
      ['admin', 'create', '--email', 'ops@archive.test', '--password', 'admin password', '--authority', 'archive', '--role', 'admin'],
      ['user', 'create', '--authority', 'archive', '--username', 'carol', '--password', 'carol password'],
    ]) {
      const res = await serverCommand(args, env);
      assert.equal(res.code, 0, res.stderr);
    }
    server = await startServerProcess(env);
  });
  after(async () => {
    await server?.stop();
    await dropDatabase?.();
    await rm(dir, { recursive: true, force: true });
  });

  test(`a ${(SIZE / 2 ** 20).toFixed(0)} MiB content uploads, encrypts, downloads and decrypts while the server stays under 300 MiB`, { timeout: 15 * 60_000 }, async (t) => {
    const login = await fetch(`${server.url}/admin/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'ops@archive.test', password: 'admin password' }) });
    assert.equal(login.status, 200);
    const cookie = login.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');

    const sourceHash = createHash('sha256');
    const started = Date.now();
    const upload = await fetch(`${server.url}/admin/authorities/archive/contents?title=Archive+reel`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(SIZE), cookie },
      body: Readable.toWeb(generated(SIZE, sourceHash)) as ReadableStream,
      duplex: 'half',
    } as RequestInit);
    assert.equal(upload.status, 201, await upload.clone().text());
    const content = (await upload.json()) as { id: string; size: number; sha256: string };
    const uploadMs = Date.now() - started;
    assert.equal(content.size, SIZE);
    assert.equal(content.sha256, sourceHash.digest('hex'));

    const device = await Device.open(path.join(dir, 'device'));
    await device.register({ authority: `${server.url}/t/archive`, username: 'carol', password: 'carol password' });
    const t1 = Date.now();
    await device.download(content.id);
    await device.license(content.id);
    const out = path.join(dir, 'played.bin');
    await device.play(content.id, { out });
    const playMs = Date.now() - t1;

    assert.equal((await stat(out)).size, SIZE);
    const played = createHash('sha256');
    for await (const chunk of createReadStream(out)) played.update(chunk);
    assert.equal(played.digest('hex'), content.sha256, 'the device decrypts exactly the uploaded bytes');

    const peak = await server.peakRss();
    t.diagnostic(JSON.stringify({ serverPeakRssMiB: Math.round(peak / 2 ** 20), uploadMs, downloadAndPlayMs: playMs }));
    assert.ok(peak < SERVER_RSS_LIMIT, `server peak RSS ${Math.round(peak / 2 ** 20)} MiB must stay under 300 MiB`);
  });
});
