import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { and, count, eq } from 'drizzle-orm';
import type supertest from 'supertest';
import { decryptPackage, encryptedPackageLength } from '@tessera/protocol/node';
import { auditLog, contents, downloads } from '../../src/storage/schema.ts';
import { expectProblem, startHarness, type Harness, type TestDevice } from '../support/harness.ts';
import { adminCookie, deviceDownload, enrolDevice, packageFiles, rawRequest, upload, waitFor } from './content-fixtures.ts';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const MAX_UPLOAD = 2 * 1024 * 1024;

describe('contents: upload, catalogue and download', () => {
  let h: Harness;
  let aurora: { id: string; slug: string; issuer: string };
  let borealis: { id: string; slug: string; issuer: string };
  let admin: supertest.Agent;
  let viewer: supertest.Agent;
  let borealisAdmin: supertest.Agent;
  let device: TestDevice;
  let borealisDevice: TestDevice;
  /** The 300 KiB file uploaded by the first test, used by the download tests. */
  let film: { id: string; plaintext: Buffer; packagePath: string };

  const contentRow = async (id: string) => (await h.server.ctx.db.select().from(contents).where(eq(contents.id, id)))[0];
  const contentKeyOf = (row: typeof contents.$inferSelect) => h.server.ctx.secrets.open(row.contentKeySealed, `content-key:${row.authorityId}:${row.id}`);
  const contentCount = async (authorityId: string) =>
    (await h.server.ctx.db.select({ n: count() }).from(contents).where(eq(contents.authorityId, authorityId)))[0]!.n;
  const downloadRows = (contentId: string) => h.server.ctx.db.select().from(downloads).where(eq(downloads.contentId, contentId));

  before(async () => {
    h = await startHarness({ maxUploadBytes: MAX_UPLOAD });
    aurora = await h.authority({ slug: 'aurora', prices: { license: 499, move: 199 } });
    borealis = await h.authority({ slug: 'borealis', currency: 'SEK' });
    await h.admin('ada@aurora.test', 'admin password', [{ authorityId: aurora.id, role: 'admin' }]);
    await h.admin('vic@aurora.test', 'viewer password', [{ authorityId: aurora.id, role: 'viewer' }]);
    await h.admin('bo@borealis.test', 'admin password', [{ authorityId: borealis.id, role: 'owner' }]);
    admin = await h.adminAgent('ada@aurora.test', 'admin password');
    viewer = await h.adminAgent('vic@aurora.test', 'viewer password');
    borealisAdmin = await h.adminAgent('bo@borealis.test', 'admin password');
    device = await enrolDevice(h, aurora, (await h.user(aurora.id, 'alice')).id);
    borealisDevice = await enrolDevice(h, borealis, (await h.user(borealis.id, 'bjorn')).id);
  });
  after(() => h.close());

  test('an administrator uploads a file and the server stores it encrypted under a fresh, sealed content key', async () => {
    const plaintext = randomBytes(300 * 1024);
    const res = await upload(admin, 'aurora', plaintext, { title: 'Northern Lights', description: 'A film', mediaType: 'video/mp4' });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.title, 'Northern Lights');
    assert.equal(res.body.description, 'A film');
    assert.equal(res.body.mediaType, 'video/mp4');
    assert.equal(res.body.size, plaintext.length);
    assert.equal(res.body.sha256, sha256(plaintext));
    assert.equal(res.body.packageSize, encryptedPackageLength(plaintext.length));
    assert.equal(res.body.status, 'available');
    assert.equal(res.body.downloads, 0);
    assert.equal(res.body.licenses, 0);
    assert.equal(res.body.contentKeySealed, undefined, 'the content key never leaves the server');

    const row = (await contentRow(res.body.id))!;
    assert.equal(row.authorityId, aurora.id);
    assert.equal(row.size, plaintext.length);
    assert.equal(row.sha256, sha256(plaintext));
    assert.match(
      row.storageKey,
      new RegExp(`^${aurora.id}/${row.id}\\.[0-9a-f]{12}\\.tpk$`),
      'packages are stored per authority, under a name no other upload can take',
    );

    const key = contentKeyOf(row);
    assert.equal(key.length, 32);
    for (const encoding of ['hex', 'base64', 'base64url'] as const)
      assert.ok(!row.contentKeySealed.includes(key.toString(encoding)), `the raw key is not stored (${encoding})`);
    assert.throws(() => h.server.ctx.secrets.open(row.contentKeySealed, `content-key:${row.authorityId}:cnt_other`), 'the sealed key is bound to its content');

    const packagePath = path.join(h.dataDir, 'packages', row.storageKey);
    const onDisk = await readFile(packagePath);
    assert.equal(onDisk.length, row.packageSize);
    assert.equal(sha256(onDisk), row.packageSha256);
    assert.equal(onDisk.indexOf(plaintext.subarray(4096, 4096 + 64)), -1, 'no plaintext is stored');
    assert.deepEqual(Buffer.from(await decryptPackage(key, onDisk)), plaintext);

    const audit = await h.server.ctx.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, 'content.upload'), eq(auditLog.target, row.id)));
    assert.equal(audit.length, 1);
    assert.equal(audit[0]!.actor, 'ada@aurora.test');
    assert.equal(audit[0]!.authorityId, aurora.id);

    film = { id: row.id, plaintext, packagePath };
  });

  test('two uploads of the same file get different content keys', async () => {
    const plaintext = randomBytes(2048);
    const a = await upload(admin, 'aurora', plaintext, { title: 'Twin A' }).expect(201);
    const b = await upload(admin, 'aurora', plaintext, { title: 'Twin B' }).expect(201);
    assert.equal(a.body.sha256, b.body.sha256);
    assert.notEqual(a.body.packageSha256, b.body.packageSha256);
    assert.notDeepEqual(contentKeyOf((await contentRow(a.body.id))!), contentKeyOf((await contentRow(b.body.id))!));
  });

  test('an upload without an admin session is refused', async () => {
    const before = await contentCount(aurora.id);
    expectProblem(await upload(h.request(), 'aurora', randomBytes(1000)), 401, 'unauthenticated');
    assert.equal(await contentCount(aurora.id), before);
  });

  test('a viewer cannot upload', async () => {
    const before = await contentCount(aurora.id);
    expectProblem(await upload(viewer, 'aurora', randomBytes(1000)), 403, 'forbidden');
    assert.equal(await contentCount(aurora.id), before);
  });

  test('an administrator of another authority cannot upload into this one', async () => {
    expectProblem(await upload(borealisAdmin, 'aurora', randomBytes(1000)), 404, 'authority_unknown');
  });

  test('an upload that is not application/octet-stream is refused', async () => {
    const res = await admin.post('/admin/authorities/aurora/contents').query({ title: 'Text' }).set('Content-Type', 'text/plain').send('hello');
    expectProblem(res, 415, 'unsupported_media_type');
  });

  test('upload metadata is validated', async () => {
    expectProblem(await upload(admin, 'aurora', randomBytes(100), { title: '' }), 400, 'invalid_request');
    expectProblem(await upload(admin, 'aurora', randomBytes(100), { mediaType: 'not a type' }), 400, 'invalid_request');
  });

  test('an upload without a Content-Length is refused', async () => {
    const cookie = await adminCookie(h, 'ada@aurora.test', 'admin password');
    const { req, answer } = rawRequest(h, 'POST', '/admin/authorities/aurora/contents?title=Chunked', {
      Cookie: cookie,
      'Content-Type': 'application/octet-stream',
      'Transfer-Encoding': 'chunked',
    });
    req.end(randomBytes(1000));
    const res = await answer;
    assert.equal(res.status, 400);
    const problem = JSON.parse(res.body.toString('utf8'));
    assert.equal(problem.code, 'invalid_request');
    assert.match(problem.detail, /Content-Length/);
  });

  test('an upload larger than the limit is refused before its body is read', async () => {
    const before = await contentCount(aurora.id);
    const filesBefore = await packageFiles(h, aurora.id);
    const cookie = await adminCookie(h, 'ada@aurora.test', 'admin password');
    const { req, answer } = rawRequest(h, 'POST', '/admin/authorities/aurora/contents?title=Huge', {
      Cookie: cookie,
      'Content-Type': 'application/octet-stream',
      'Content-Length': 1024 ** 4,
    });
    req.flushHeaders();
    // Not a byte of the body is sent: the answer must come from the headers alone.
    const res = await answer;
    req.destroy();
    assert.equal(res.status, 413);
    assert.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
    assert.equal(JSON.parse(res.body.toString('utf8')).code, 'payload_too_large');
    assert.equal(await contentCount(aurora.id), before);
    assert.deepEqual(await packageFiles(h, aurora.id), filesBefore);
  });

  test('an aborted upload leaves neither a row nor a partial package', async () => {
    const before = await contentCount(aurora.id);
    const filesBefore = await packageFiles(h, aurora.id);
    const cookie = await adminCookie(h, 'ada@aurora.test', 'admin password');
    const { req, answer } = rawRequest(h, 'POST', '/admin/authorities/aurora/contents?title=Interrupted', {
      Cookie: cookie,
      'Content-Type': 'application/octet-stream',
      'Content-Length': MAX_UPLOAD,
    });
    answer.catch(() => {});
    req.write(randomBytes(256 * 1024));
    // The server is mid-way once the partial package shows up in the store.
    await waitFor(async () => (await packageFiles(h, aurora.id)).some((f) => f.endsWith('.partial')), 'the partial package');
    req.destroy();
    await waitFor(async () => !(await packageFiles(h, aurora.id)).some((f) => f.endsWith('.partial')), 'the partial package to be removed');
    assert.deepEqual(await packageFiles(h, aurora.id), filesBefore);
    assert.equal(await contentCount(aurora.id), before);
    assert.equal((await h.server.ctx.db.select().from(contents).where(eq(contents.title, 'Interrupted'))).length, 0);
  });

  test('a device downloads the whole package, and it decrypts to the uploaded file', async () => {
    const res = await deviceDownload(device, film.id);
    assert.equal(res.status, 200);
    const onDisk = await readFile(film.packagePath);
    assert.deepEqual(res.body, onDisk);
    assert.equal(res.headers['content-type'], 'application/octet-stream');
    assert.equal(res.headers['accept-ranges'], 'bytes');
    assert.equal(res.headers['content-length'], String(onDisk.length));
    assert.equal(res.headers.etag, `"${sha256(onDisk)}"`);
    assert.equal(res.headers['cache-control'], 'private, max-age=0');
    const row = (await contentRow(film.id))!;
    assert.deepEqual(Buffer.from(await decryptPackage(contentKeyOf(row), res.body)), film.plaintext);
  });

  test('a range request gets exactly those bytes', async () => {
    const onDisk = await readFile(film.packagePath);
    const res = await deviceDownload(device, film.id, { Range: 'bytes=100-199' });
    assert.equal(res.status, 206);
    assert.equal(res.headers['content-range'], `bytes 100-199/${onDisk.length}`);
    assert.equal(res.headers['content-length'], '100');
    assert.deepEqual(res.body, onDisk.subarray(100, 200));
  });

  test('a suffix range gets the last bytes, and an open range the rest', async () => {
    const onDisk = await readFile(film.packagePath);
    const suffix = await deviceDownload(device, film.id, { Range: 'bytes=-50' });
    assert.equal(suffix.status, 206);
    assert.equal(suffix.headers['content-range'], `bytes ${onDisk.length - 50}-${onDisk.length - 1}/${onDisk.length}`);
    assert.deepEqual(suffix.body, onDisk.subarray(onDisk.length - 50));

    const rest = await deviceDownload(device, film.id, { Range: `bytes=${onDisk.length - 1000}-` });
    assert.equal(rest.status, 206);
    assert.deepEqual(rest.body, onDisk.subarray(onDisk.length - 1000));
  });

  test('a range beyond the end is a 416 problem naming the size', async () => {
    const row = (await contentRow(film.id))!;
    const recorded = (await downloadRows(film.id)).length;
    const res = await device.call('GET', `/contents/${film.id}/package`, undefined, { Range: `bytes=${row.packageSize}-` });
    expectProblem(res, 416, 'range_not_satisfiable');
    assert.equal(res.headers['content-range'], `bytes */${row.packageSize}`);
    assert.equal((await downloadRows(film.id)).length, recorded, 'nothing was supplied, nothing is recorded');
  });

  test('a stale If-Range gets the whole package', async () => {
    const res = await deviceDownload(device, film.id, { Range: 'bytes=0-9', 'If-Range': '"an-older-package"' });
    assert.equal(res.status, 200);
    const current = await deviceDownload(device, film.id, { Range: 'bytes=0-9', 'If-Range': res.headers.etag! });
    assert.equal(current.status, 206);
    assert.equal(current.body.length, 10);
  });

  test('every supply is recorded with its user, device and range; HEAD records nothing', async () => {
    const content = await upload(admin, 'aurora', randomBytes(5000), { title: 'Counted' }).expect(201);
    const id = content.body.id as string;
    assert.equal((await deviceDownload(device, id)).status, 200);
    assert.equal((await deviceDownload(device, id, { Range: 'bytes=10-19' })).status, 206);
    const head = await deviceDownload(device, id, {}, 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], String(content.body.packageSize));

    const rows = await downloadRows(id);
    assert.equal(rows.length, 2);
    const byStart = rows.sort((a, b) => a.rangeStart - b.rangeStart);
    assert.deepEqual(
      byStart.map((r) => [r.rangeStart, r.rangeEnd]),
      [
        [0, content.body.packageSize - 1],
        [10, 19],
      ],
    );
    for (const r of rows) {
      assert.equal(r.authorityId, aurora.id);
      assert.equal(r.clientId, device.clientId);
      assert.match(r.id, /^dl_/);
    }

    const listed = await admin.get('/admin/authorities/aurora/contents').query({ q: 'Counted' }).expect(200);
    assert.equal(listed.body.items.length, 1);
    assert.equal(listed.body.items[0].downloads, 2);
    assert.equal(listed.body.items[0].licenses, 0);
    const one = await admin.get(`/admin/authorities/aurora/contents/${id}`).expect(200);
    assert.equal(one.body.downloads, 2);
  });

  test("another authority's content ID behaves exactly like an unknown one", async () => {
    expectProblem(await borealisDevice.call('GET', `/contents/${film.id}/package`), 404, 'content_unknown');
    expectProblem(await borealisDevice.call('GET', `/contents/${film.id}`), 404, 'content_unknown');
    expectProblem(await borealisDevice.call('GET', '/contents/cnt_doesnotexist000000000'), 404, 'content_unknown');
    expectProblem(await borealisAdmin.get(`/admin/authorities/borealis/contents/${film.id}`), 404, 'content_unknown');
    expectProblem(await borealisAdmin.patch(`/admin/authorities/borealis/contents/${film.id}`).send({ status: 'withdrawn' }), 404, 'content_unknown');
    assert.equal((await contentRow(film.id))!.status, 'available');
    assert.equal((await downloadRows(film.id)).filter((r) => r.authorityId === borealis.id).length, 0);
  });

  test('the catalogue lists available contents with their effective price and hides withdrawn ones', async () => {
    const plain = await upload(admin, 'aurora', randomBytes(1000), { title: 'Catalogue: standard price' }).expect(201);
    const cheap = await upload(admin, 'aurora', randomBytes(1000), { title: 'Catalogue: on offer' }).expect(201);
    const gone = await upload(admin, 'aurora', randomBytes(1000), { title: 'Catalogue: withdrawn' }).expect(201);
    await admin.patch(`/admin/authorities/aurora/contents/${cheap.body.id}`).send({ licensePrice: 299 }).expect(200);
    await admin.patch(`/admin/authorities/aurora/contents/${gone.body.id}`).send({ status: 'withdrawn' }).expect(200);

    // Walk the pages one item at a time: the cursor must neither skip nor repeat.
    const seen: { id: string; price: unknown; status: string }[] = [];
    let cursor: string | null = null;
    do {
      const res = await device.call('GET', `/contents?limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.ok(res.body.items.length <= 1, 'a page holds at most limit items');
      seen.push(...res.body.items);
      cursor = res.body.nextCursor;
    } while (cursor);
    const ids = seen.map((e) => e.id);
    assert.equal(new Set(ids).size, ids.length);
    const available = await h.server.ctx.db
      .select({ id: contents.id })
      .from(contents)
      .where(and(eq(contents.authorityId, aurora.id), eq(contents.status, 'available')));
    assert.deepEqual([...ids].sort(), available.map((r) => r.id).sort());
    assert.ok(!ids.includes(gone.body.id), 'a withdrawn content is not listed');
    assert.deepEqual(seen.find((e) => e.id === plain.body.id)!.price, { amount: 499, currency: 'EUR' });
    assert.deepEqual(seen.find((e) => e.id === cheap.body.id)!.price, { amount: 299, currency: 'EUR' });
    assert.ok(
      seen.every((e) => e.status === 'available'),
      'only available contents are listed',
    );

    const withdrawn = await device.call('GET', `/contents/${gone.body.id}`);
    assert.equal(withdrawn.status, 200);
    assert.equal(withdrawn.body.status, 'withdrawn');
    const entry = await device.call('GET', `/contents/${cheap.body.id}`);
    assert.equal(entry.body.packageSha256, cheap.body.packageSha256);
    assert.deepEqual(entry.body.price, { amount: 299, currency: 'EUR' });
  });

  test('a content without any price shows a null price', async () => {
    const res = await upload(borealisAdmin, 'borealis', randomBytes(1000), { title: 'Free to look at' }).expect(201);
    const catalogue = await borealisDevice.call('GET', '/contents');
    assert.equal(catalogue.status, 200);
    assert.deepEqual(
      catalogue.body.items.map((e: { id: string }) => e.id),
      [res.body.id],
      'only its own authority',
    );
    assert.equal(catalogue.body.items[0].price, null);
    await borealisAdmin.patch(`/admin/authorities/borealis/contents/${res.body.id}`).send({ licensePrice: 5000 }).expect(200);
    assert.deepEqual((await borealisDevice.call('GET', `/contents/${res.body.id}`)).body.price, { amount: 5000, currency: 'SEK' });
  });

  test('a withdrawn content cannot be downloaded', async () => {
    const res = await upload(admin, 'aurora', randomBytes(1000), { title: 'Soon gone' }).expect(201);
    await admin.patch(`/admin/authorities/aurora/contents/${res.body.id}`).send({ status: 'withdrawn' }).expect(200);
    expectProblem(await device.call('GET', `/contents/${res.body.id}/package`), 409, 'content_unavailable');
    assert.equal((await downloadRows(res.body.id)).length, 0);
  });

  test('editing a content records who changed what; null clears a price override', async () => {
    const res = await upload(admin, 'aurora', randomBytes(1000), { title: 'Draft title' }).expect(201);
    const id = res.body.id as string;
    const edited = await admin
      .patch(`/admin/authorities/aurora/contents/${id}`)
      .send({ title: 'Final title', description: 'Now with words', licensePrice: 150, movePrice: 50 })
      .expect(200);
    assert.equal(edited.body.title, 'Final title');
    assert.equal(edited.body.description, 'Now with words');
    assert.equal(edited.body.licensePrice, 150);
    assert.equal(edited.body.movePrice, 50);

    const cleared = await admin.patch(`/admin/authorities/aurora/contents/${id}`).send({ licensePrice: null, description: null }).expect(200);
    assert.equal(cleared.body.licensePrice, null);
    assert.equal(cleared.body.movePrice, 50);
    assert.equal(cleared.body.description, null);
    const row = (await contentRow(id))!;
    assert.equal(row.licensePrice, null);
    assert.equal(row.title, 'Final title');

    const audit = await h.server.ctx.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, 'content.update'), eq(auditLog.target, id)));
    assert.equal(audit.length, 2);
    assert.deepEqual(
      audit.map((a) => a.actor),
      ['ada@aurora.test', 'ada@aurora.test'],
    );
    const clearing = audit.find((a) => a.details && 'licensePrice' in a.details && (a.details.licensePrice as { to: unknown }).to === null);
    assert.deepEqual(clearing?.details, { licensePrice: { from: 150, to: null }, description: { from: 'Now with words', to: null } });

    expectProblem(await viewer.patch(`/admin/authorities/aurora/contents/${id}`).send({ title: 'Nope' }), 403, 'forbidden');
    expectProblem(await admin.patch(`/admin/authorities/aurora/contents/${id}`).send({ licensePrice: -1 }), 400, 'invalid_request');
    expectProblem(await admin.patch(`/admin/authorities/aurora/contents/${id}`).send({ size: 1 }), 400, 'invalid_request');
  });

  test('the admin list filters by status and title and pages with a cursor', async () => {
    const withdrawn = await admin.get('/admin/authorities/aurora/contents').query({ status: 'withdrawn' }).expect(200);
    assert.ok(withdrawn.body.items.length >= 2, `expected withdrawn contents, got ${withdrawn.body.items.length}`);
    assert.ok(
      withdrawn.body.items.every((c: { status: string }) => c.status === 'withdrawn'),
      'the status filter applies',
    );

    const byTitle = await viewer.get('/admin/authorities/aurora/contents').query({ q: 'northern' }).expect(200);
    assert.deepEqual(
      byTitle.body.items.map((c: { id: string }) => c.id),
      [film.id],
    );
    assert.ok(byTitle.body.items[0].downloads >= 5, `counted ${byTitle.body.items[0].downloads} downloads`);
    const wildcard = await admin.get('/admin/authorities/aurora/contents').query({ q: '%' }).expect(200);
    assert.equal(wildcard.body.items.length, 0, 'LIKE wildcards in q are taken literally');

    const all = await admin.get('/admin/authorities/aurora/contents').query({ limit: 200 }).expect(200);
    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const res: supertest.Response = await admin
        .get('/admin/authorities/aurora/contents')
        .query({ limit: 3, ...(cursor ? { cursor } : {}) })
        .expect(200);
      paged.push(...res.body.items.map((c: { id: string }) => c.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    assert.deepEqual(
      paged,
      all.body.items.map((c: { id: string }) => c.id),
    );
    assert.equal(paged.length, await contentCount(aurora.id));

    expectProblem(await admin.get('/admin/authorities/aurora/contents').query({ cursor: 'garbage' }), 400, 'invalid_request');
  });
});
