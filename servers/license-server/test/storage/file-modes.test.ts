import assert from 'node:assert/strict';
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { createTesseraServer, type TesseraServer } from '../../src/server.ts';
import { startHarness, type Harness } from '../support/harness.ts';

/** Every entry below `dir` whose mode lets a group or other users in, as `path mode`. */
async function openToOthers(dir: string): Promise<string[]> {
  const found: string[] = [];
  const mode = (await lstat(dir)).mode & 0o777;
  if (mode & 0o077) found.push(`${dir} ${mode.toString(8)}`);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await openToOthers(full)));
    else if (entry.isFile() && (await lstat(full)).mode & 0o077) found.push(`${full} ${((await lstat(full)).mode & 0o777).toString(8)}`);
  }
  return found;
}

describe('the data directory under a permissive umask', () => {
  let h: Harness;
  let server: TesseraServer;
  let previousUmask: number;

  before(async () => {
    // Containers often run with umask 000: files would be created 0666 and directories 0777.
    previousUmask = process.umask(0o000);
    h = await startHarness();
    const aurora = await h.authority({ slug: 'aurora' });
    await h.admin('ada@aurora.example', 'admin password 1', [{ authorityId: aurora.id, role: 'owner' }]);
    const admin = await h.adminAgent('ada@aurora.example', 'admin password 1');
    const upload = await admin
      .post('/admin/authorities/aurora/contents')
      .query({ title: 'Private film' })
      .set('Content-Type', 'application/octet-stream')
      .send(Buffer.alloc(64 * 1024, 7));
    assert.equal(upload.status, 201, JSON.stringify(upload.body));
    // A server as `npm start` runs it: the embedded database on disk and its own master key file.
    server = await createTesseraServer({ dataDir: path.join(h.dataDir, 'own'), backgroundJobs: false, logLevel: 'silent' });
    // Files the database creates while it runs (a new relation, a checkpoint) must be private too.
    await server.ctx.db.execute(sql`create table file_mode_probe as select generate_series(1, 10000) as n`);
    await server.ctx.db.execute(sql`checkpoint`);
  });
  after(async () => {
    await server?.close();
    await h.close();
    process.umask(previousUmask);
  });

  test('holds nothing that a group or other users can read, write or enter: directories 0700, files 0600', async () => {
    const open = await openToOthers(h.dataDir);
    assert.deepEqual(open, [], `entries open to others:\n${open.join('\n')}`);
  });

  test('keeps the master key file at 0600, and checked the embedded database and packages', async () => {
    const key = await lstat(path.join(h.dataDir, 'own', 'master.key')).catch(() => null);
    assert.ok(key, 'the server wrote its master key file');
    assert.equal(key.mode & 0o777, 0o600);
    const packages = path.join(h.dataDir, 'packages');
    const files = (await readdir(packages, { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
    assert.ok(files.length > 0, 'the upload left a package on disk');
    const database = await readdir(path.join(h.dataDir, 'own', 'db'), { recursive: true });
    assert.ok(database.length > 100, `the embedded database wrote its files (${database.length})`);
  });
});
