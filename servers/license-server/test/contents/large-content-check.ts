import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { get as httpGet, type IncomingMessage } from 'node:http';
import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { eq } from 'drizzle-orm';
import { createPackageDecryptor, encryptedPackageLength } from '@tessera/protocol/node';
import { contents, downloads } from '../../src/storage/schema.ts';
import type { Harness } from '../support/harness.ts';
import { adminCookie, enrolDevice, rawRequest } from './content-fixtures.ts';

const PIECE = 64 * 1024;

/** Generated plaintext, produced on demand and hashed as it goes: never held whole. */
function generatedFile(size: number, hash: ReturnType<typeof createHash>): Readable {
  let sent = 0;
  return new Readable({
    highWaterMark: PIECE,
    read() {
      if (sent >= size) return void this.push(null);
      const piece = randomBytes(Math.min(PIECE, size - sent));
      sent += piece.length;
      hash.update(piece);
      this.push(piece);
    },
  });
}

const hashing = (hash: ReturnType<typeof createHash>) =>
  new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      callback(null, chunk);
    },
  });

const discard = () => new Writable({ write: (_chunk, _encoding, callback) => callback() });

/** Samples the resident set while `work` runs; resolves with the largest growth seen. */
async function peakRssGrowth(work: () => Promise<void>): Promise<number> {
  const baseline = process.memoryUsage.rss();
  let peak = baseline;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 25);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return Math.max(peak, process.memoryUsage.rss()) - baseline;
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

export interface LargeContentReport {
  uploadRssGrowth: number;
  downloadRssGrowth: number;
  uploadMs: number;
  downloadMs: number;
}

/**
 * Uploads `size` bytes of generated plaintext as a stream (client and server in this
 * process), downloads the package as a stream through the package decryptor, and checks
 * digests, the stored row, the recorded supply and that neither direction grew the resident
 * set by more than `maxRssGrowth`. The authority needs an administrator `adminEmail` with
 * the admin role (password `adminPassword`).
 */
export async function checkLargeContentRoundTrip(
  h: Harness,
  authority: { id: string; slug: string },
  options: { size: number; maxRssGrowth: number; adminEmail: string; adminPassword: string },
): Promise<LargeContentReport> {
  const { size, maxRssGrowth } = options;
  const device = await enrolDevice(h, authority, (await h.user(authority.id, `reader-${randomBytes(4).toString('hex')}`)).id);
  const cookie = await adminCookie(h, options.adminEmail, options.adminPassword);
  const uploaded = createHash('sha256');
  let contentId = '';

  let started = Date.now();
  const uploadRssGrowth = await peakRssGrowth(async () => {
    const { req, answer } = rawRequest(h, 'POST', `/admin/authorities/${authority.slug}/contents?title=Large`, {
      Cookie: cookie,
      'Content-Type': 'application/octet-stream',
      'Content-Length': size,
    });
    await pipeline(generatedFile(size, uploaded), req);
    const res = await answer;
    assert.equal(res.status, 201, res.body.toString('utf8'));
    contentId = JSON.parse(res.body.toString('utf8')).id;
  });
  const uploadMs = Date.now() - started;
  const [row] = await h.server.ctx.db.select().from(contents).where(eq(contents.id, contentId));
  assert.ok(row, 'the content row exists');
  assert.equal(row.size, size);
  assert.equal(row.packageSize, encryptedPackageLength(size));
  assert.equal(row.sha256, uploaded.digest('hex'));
  assert.ok(uploadRssGrowth < maxRssGrowth, `the upload grew RSS by ${mib(uploadRssGrowth)}`);

  const contentKey = h.server.ctx.secrets.open(row.contentKeySealed, `content-key:${authority.id}:${contentId}`);
  const downloaded = createHash('sha256');
  const decrypted = createHash('sha256');
  started = Date.now();
  const downloadRssGrowth = await peakRssGrowth(async () => {
    const path = `/t/${authority.slug}/contents/${contentId}/package`;
    const proof = await device.proofFor('GET', path);
    const res = await new Promise<IncomingMessage>((resolve, reject) =>
      httpGet(`${h.url}${path}`, { headers: { Authorization: `Tessera-Proof ${proof}` } }, resolve).on('error', reject),
    );
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-length'], String(row.packageSize));
    await pipeline(res, hashing(downloaded), createPackageDecryptor({ contentKey }), hashing(decrypted), discard());
  });
  const downloadMs = Date.now() - started;
  assert.equal(downloaded.digest('hex'), row.packageSha256);
  assert.equal(decrypted.digest('hex'), row.sha256, 'the download decrypts to the uploaded file');
  assert.ok(downloadRssGrowth < maxRssGrowth, `the download grew RSS by ${mib(downloadRssGrowth)}`);

  const supplies = await h.server.ctx.db.select().from(downloads).where(eq(downloads.contentId, contentId));
  assert.equal(supplies.length, 1);
  assert.deepEqual([supplies[0]!.rangeStart, supplies[0]!.rangeEnd], [0, row.packageSize - 1]);
  return { uploadRssGrowth, downloadRssGrowth, uploadMs, downloadMs };
}
