import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { createDeviceProof, generateEcKeyPair, type GeneratedKeyPair } from '@tessera/protocol';
import { startHarness, TestDevice, type Harness } from '../../servers/license-server/test/support/harness.ts';
import { installTripwire } from '../../servers/license-server/test/support/network-tripwire.ts';

/** The password of every fixture account of the fuzzed authority; the fuzzer may send it. */
export const FUZZ_PASSWORD = 'fuzzing password 1';
/** The second authority's accounts use another one, which the fuzzer never learns. */
const BOREALIS_PASSWORD = 'borealis secret 2';

/**
 * Values the generators draw from, by the name of the parameter or field they fill. `kept` are
 * used by every request; `spent` may be revoked, suspended, withdrawn or removed by a fuzzed
 * change, so only changes get them and the fuzzer keeps reaching past authentication. `foreign`
 * belong to the second authority: any route must treat them as unknown.
 */
export interface FixturePools {
  kept: Record<string, string[]>;
  spent: Record<string, string[]>;
  foreign: Record<string, string[]>;
}

export interface FuzzTarget {
  harness: Harness;
  url: string;
  aurora: { id: string; slug: string; issuer: string };
  borealis: { id: string; slug: string; issuer: string };
  /** `tessera.sid=…` of aurora's owner. */
  adminCookie: string;
  device: TestDevice;
  /** A key no authority knows, for proofs that verify against nothing. */
  strangerKey: GeneratedKeyPair;
  pools: FixturePools;
  /** Rows (and package files) of the second authority, in a comparable form. */
  snapshotBorealis(): Promise<Record<string, unknown[]>>;
  close(): Promise<void>;
}

async function signIn(url: string, email: string, password: string): Promise<string> {
  const res = await fetch(`${url}/admin/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  if (res.status !== 200) throw new Error(`sign-in of ${email} failed: ${res.status} ${await res.text()}`);
  return res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
}

async function adminCall(url: string, cookie: string, method: string, route: string, body?: unknown, contentType = 'application/json') {
  const res = await fetch(`${url}${route}`, {
    method,
    headers: { cookie, ...(body === undefined ? {} : { 'content-type': contentType }) },
    body: body === undefined ? undefined : Buffer.isBuffer(body) ? body : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${route} failed: ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

async function register(h: Harness, slug: string, username: string, password: string): Promise<TestDevice> {
  const device = await TestDevice.create(h, slug);
  const res = await device.register(username, password);
  if (res.status !== 201) throw new Error(`registration of ${username} at ${slug} failed: ${res.status} ${JSON.stringify(res.body)}`);
  return device;
}

async function obtainLicense(device: TestDevice, contentId: string): Promise<string> {
  const res = await device.call('POST', '/licenses', { contentId });
  if (res.status !== 201 && res.status !== 200) throw new Error(`license for ${contentId} failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.licenseId;
}

/**
 * One real server on PGlite with two authorities: `aurora`, which the fuzzer attacks with its
 * owner's session and a registered device, and `borealis`, with the same kinds of data, which
 * no fuzzed request is entitled to change.
 */
export async function startFuzzTarget(): Promise<FuzzTarget> {
  // Fuzzed URLs name private and metadata addresses the server must refuse before connecting;
  // should it ever try, the tripwire throws before a packet leaves this machine.
  const removeTripwire = installTripwire();
  const h = await startHarness({
    // Password limits stay on, far enough away that the fuzzer mostly reaches the handlers.
    signInAddressLimit: 1_000_000,
    signInFreeFailures: 1_000_000,
    // Fuzzed peer URLs point at closed loopback ports; do not wait long for them.
    peerTimeoutMs: 2_000,
    maxUploadBytes: 1024 * 1024,
  });
  const aurora = await h.authority({ slug: 'aurora', prices: { license: 499, move: 199 } });
  const borealis = await h.authority({ slug: 'borealis', currency: 'SEK', prices: { license: 300, move: 100 } });

  const owner = await h.admin('owner@aurora.test', FUZZ_PASSWORD, [{ authorityId: aurora.id, role: 'owner' }]);
  const spareAdmin = await h.admin('spare@aurora.test', FUZZ_PASSWORD, [{ authorityId: aurora.id, role: 'admin' }]);
  const borealisAdmin = await h.admin('bo@borealis.test', BOREALIS_PASSWORD, [{ authorityId: borealis.id, role: 'owner' }]);
  const alice = await h.user(aurora.id, 'alice', FUZZ_PASSWORD);
  const bob = await h.user(aurora.id, 'bob', FUZZ_PASSWORD);
  const bjorn = await h.user(borealis.id, 'bjorn', BOREALIS_PASSWORD);

  const adminCookie = await signIn(h.url, 'owner@aurora.test', FUZZ_PASSWORD);
  const borealisCookie = await signIn(h.url, 'bo@borealis.test', BOREALIS_PASSWORD);
  const upload = (cookie: string, slug: string, title: string) =>
    adminCall(
      h.url,
      cookie,
      'POST',
      `/admin/authorities/${slug}/contents?title=${encodeURIComponent(title)}`,
      Buffer.from(`${title} `.repeat(500)),
      'application/octet-stream',
    );
  const film = await upload(adminCookie, 'aurora', 'Aurora film');
  const series = await upload(adminCookie, 'aurora', 'Aurora series');
  const spareContent = await upload(adminCookie, 'aurora', 'Aurora short');
  const borealisFilm = await upload(borealisCookie, 'borealis', 'Borealis film');

  const device = await register(h, 'aurora', 'alice', FUZZ_PASSWORD);
  const aliceSecond = await register(h, 'aurora', 'alice', FUZZ_PASSWORD);
  const aliceThird = await register(h, 'aurora', 'alice', FUZZ_PASSWORD);
  const bobDevice = await register(h, 'aurora', 'bob', FUZZ_PASSWORD);
  const borealisDevice = await register(h, 'borealis', 'bjorn', BOREALIS_PASSWORD);

  const licenses = [await obtainLicense(device, film.id), await obtainLicense(device, series.id), await obtainLicense(device, spareContent.id)];
  const bobLicense = await obtainLicense(bobDevice, film.id);
  const borealisLicense = await obtainLicense(borealisDevice, borealisFilm.id);
  // A move of one of the device's licenses, so move IDs and the ledger have entries.
  const move = await device.call('POST', '/moves', { licenseId: licenses[2], destination: { clientId: aliceSecond.clientId } });
  if (move.status !== 201) throw new Error(`fixture move failed: ${move.status} ${JSON.stringify(move.body)}`);
  const period = new Date().toISOString().slice(0, 7);
  const invoices = await adminCall(h.url, adminCookie, 'POST', `/admin/authorities/aurora/invoices`, { period });
  const borealisInvoices = await adminCall(h.url, borealisCookie, 'POST', `/admin/authorities/borealis/invoices`, { period });
  const keys = await adminCall(h.url, adminCookie, 'GET', '/admin/authorities/aurora/keys');
  const borealisKeys = await adminCall(h.url, borealisCookie, 'GET', '/admin/authorities/borealis/keys');
  // Aurora trusts borealis, borealis trusts nobody: envelopes aurora sends it are refused.
  const discovered = await adminCall(h.url, adminCookie, 'GET', `/admin/authorities/aurora/peers/discover?issuer=${encodeURIComponent(borealis.issuer)}`);
  await adminCall(h.url, adminCookie, 'POST', '/admin/authorities/aurora/peers', { issuer: borealis.issuer, thumbprint: discovered.thumbprint });
  const peers = await adminCall(h.url, adminCookie, 'GET', '/admin/authorities/aurora/peers');
  const kids = (list: { items: { kid: string }[] }) => list.items.map((k) => k.kid);
  const invoiceIds = (list: { issued: { id: string }[] }) => list.issued.map((i) => i.id);

  const kept: Record<string, string[]> = {
    authority: ['aurora'],
    clientId: [device.clientId, aliceSecond.clientId],
    userId: [alice.id],
    adminId: [owner.id],
    contentId: [film.id, series.id],
    licenseId: licenses,
    moveId: [move.body.moveId],
    invoiceId: invoiceIds(invoices),
    kid: kids(keys),
    peerId: (peers.items ?? []).map((p: { id: string }) => p.id),
    linkId: ['lnk_none'],
    username: ['alice', 'bob'],
    email: ['owner@aurora.test', 'spare@aurora.test'],
    password: [FUZZ_PASSWORD],
    period: [period],
    uri: [
      borealis.issuer,
      aurora.issuer,
      `${h.url}/t/nowhere`,
      'http://127.0.0.1:9/t/closed',
      'http://10.0.0.1/t/private',
      'http://169.254.169.254/latest/meta-data',
      'http://[::1]:9/',
    ],
  };
  const spent: Record<string, string[]> = {
    ...kept,
    clientId: [aliceThird.clientId, bobDevice.clientId],
    userId: [bob.id],
    adminId: [spareAdmin.id],
    contentId: [spareContent.id, series.id],
    licenseId: [licenses[1]!, bobLicense],
  };
  const foreign: Record<string, string[]> = {
    authority: ['borealis'],
    clientId: [borealisDevice.clientId],
    userId: [bjorn.id],
    adminId: [borealisAdmin.id],
    contentId: [borealisFilm.id],
    licenseId: [borealisLicense],
    invoiceId: invoiceIds(borealisInvoices),
    kid: kids(borealisKeys),
    username: ['bjorn'],
    email: ['bo@borealis.test'],
  };

  const packagesDir = path.join(h.dataDir, 'packages', borealis.id);
  return {
    harness: h,
    url: h.url,
    aurora,
    borealis,
    adminCookie,
    device,
    strangerKey: await generateEcKeyPair('sig'),
    pools: { kept, spent, foreign },
    async snapshotBorealis() {
      const db = h.server.ctx.db;
      const rowsOf = async (query: ReturnType<typeof sql>) => {
        const result = (await db.execute(query)) as unknown as { rows: Record<string, unknown>[] };
        return result.rows.map((r) => JSON.stringify(r)).sort();
      };
      const tables = await rowsOf(sql`select table_name from information_schema.columns where table_schema = 'public' and column_name = 'authority_id'`);
      const snapshot: Record<string, unknown[]> = { authorities: await rowsOf(sql`select * from authorities where id = ${borealis.id}`) };
      for (const row of tables) {
        const table = (JSON.parse(row as string) as { table_name: string }).table_name;
        // Registration proofs are self-signed, so anyone may send one to any authority, and its
        // one-time jti is claimed there before the password is checked: an expiring replay cache
        // that grows with anonymous registration attempts, not the authority's data.
        if (table === 'device_proof_nonces') continue;
        snapshot[table] = await rowsOf(sql`select * from ${sql.identifier(table)} where authority_id = ${borealis.id}`);
      }
      const files = await readdir(packagesDir).catch(() => [] as string[]);
      snapshot['package files'] = await Promise.all(files.sort().map(async (f) => `${f} ${(await stat(path.join(packagesDir, f))).size}`));
      return snapshot;
    },
    close: async () => {
      await h.close();
      removeTripwire();
    },
  };
}

/** A proof for exactly this request, signed by the fuzzed device or by a key nobody registered. */
export function proofFor(target: FuzzTarget, method: string, pathAndQuery: string, body: Uint8Array, who: 'device' | 'stranger', now?: number) {
  const key = who === 'device' ? target.device.key : target.strangerKey;
  return createDeviceProof({
    method,
    url: `${target.url}${pathAndQuery}`,
    body,
    key: key.privateJwk,
    clientId: who === 'device' ? target.device.clientId : 'cli_stranger',
    ...(now ? { now } : {}),
  });
}
