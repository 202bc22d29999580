import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { jwkThumbprint } from '@tessera/protocol';
import { ensureConsoleBuild, startConsole, type ConsoleServer } from '../../console/launch.ts';
import { device } from '../support/cli.ts';
import { freePort } from '../support/server-process.ts';
import { adminApi, chromiumMissing, launchBrowser, newPerson, screenshot, startAuthorityServer, type AdminApi, type AuthorityServer } from './browser.ts';

/*
 * The operator console, used in a real browser (Debian's Chromium) against two real license
 * server processes: what the person sees, and what the servers then hold.
 */

// Functions passed to page.evaluate run in the browser; the test package has no DOM types (and
// must not get them globally: they would change fetch's types for every other test).
declare const document: any;
declare const window: any;
declare const MutationObserver: any;

const OWNER_A = { email: 'owner@aurora.test', password: 'aurora owner password', role: 'owner' as const };
const VIEWER_A = { email: 'viewer@aurora.test', password: 'aurora viewer password', role: 'viewer' as const };
const OWNER_B = { email: 'owner@borealis.test', password: 'borealis owner password', role: 'owner' as const };
// Owners of a second authority on each server (aster on A, boreas on B): the tests that peer
// through the console peer these two, so they never meet the federation of aurora and borealis
// that other tests set up through the admin API.
const OWNER_ASTER = { email: 'owner@aster.test', password: 'aster owner password', role: 'owner' as const };
const OWNER_BOREAS = { email: 'owner@boreas.test', password: 'boreas owner password', role: 'owner' as const };
const ALICE = { username: 'alice', password: 'alice password' };

/** A value made on first use and shared from then on, whichever test asks first. */
function once<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | undefined;
  return () => (made ??= make());
}

describe('operator console in a browser', { skip: chromiumMissing }, () => {
  let dir: string;
  let A: AuthorityServer;
  let B: AuthorityServer;
  let web: ConsoleServer;
  let browser: Browser;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-console-'));
    // Built once: .ci/run builds before the suites; a developer's stale build is rebuilt here.
    const build = ensureConsoleBuild({ quiet: true });
    const prices = (license: number, move: number) => ({ license, move, federationFee: 25 });
    [A, B] = await Promise.all([
      startAuthorityServer(path.join(dir, 'a'), [
        { slug: 'aurora', name: 'Aurora Media', prices: prices(299, 99), admins: [OWNER_A, VIEWER_A], users: [ALICE] },
        { slug: 'aster', name: 'Aster Audio', prices: prices(199, 49), admins: [OWNER_ASTER], users: [ALICE] },
      ]),
      startAuthorityServer(path.join(dir, 'b'), [
        { slug: 'borealis', name: 'Borealis Books', prices: prices(199, 79), admins: [OWNER_B], users: [ALICE] },
        { slug: 'boreas', name: 'Boreas Radio', prices: prices(149, 39), admins: [OWNER_BOREAS], users: [ALICE] },
      ]),
    ]);
    await build;
    web = await startConsole({ port: await freePort(), servers: { a: { url: A.url, name: 'Aurora server' }, b: { url: B.url, name: 'Borealis server' } } });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await web?.stop();
    await Promise.all([A?.stop(), B?.stop()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** A person at their own computer (own cookies), closed when the test ends. */
  async function person(t: TestContext, width = 1280) {
    const p = await newPerson(browser, web.url, width);
    t.after(() => p.context.close());
    return p;
  }

  async function signIn(page: Page, server: 'a' | 'b', who: { email: string; password: string }) {
    await page.goto(`/${server}/login`);
    await page.getByLabel('E-mail').fill(who.email);
    await page.getByLabel('Password').fill(who.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    // Past the login page and the server's home, which redirects to an authority.
    await page.waitForURL((u) => new RegExp(`^/${server}/(?!login$)[^/]+$`).test(u.pathname));
  }

  /** A person signed in to one server's console, as the owner of aurora unless told otherwise. */
  async function signedIn(t: TestContext, server: 'a' | 'b' = 'a', who: { email: string; password: string } = OWNER_A) {
    const p = await person(t);
    await signIn(p.page, server, who);
    return p;
  }

  const apiA = () => adminApi(A.url, 'aurora', OWNER_A.email, OWNER_A.password);
  const apiB = () => adminApi(B.url, 'borealis', OWNER_B.email, OWNER_B.password);

  const row = (page: Page, table: string | RegExp, text: string | RegExp) =>
    page.getByRole('region', { name: table }).getByRole('row').filter({ hasText: text });

  /** The thumbprint the peer's operator reads from their own Keys page and tells us by phone. */
  async function thumbprintOutOfBand(api: AdminApi) {
    const keys = (await api.get('/keys')).items as { use: string; status: string; publicKey: { kty: 'EC'; crv: 'P-256'; x: string; y: string } }[];
    return jwkThumbprint(keys.find((k) => k.use === 'sig' && k.status === 'active')!.publicKey);
  }

  /** aurora and borealis peered both ways, alice linked both ways: set up by the admin API. */
  const federation = once(async () => {
    const [a, b] = await Promise.all([apiA(), apiB()]);
    await a.post('/peers', { issuer: B.issuer, thumbprint: await thumbprintOutOfBand(b) });
    await b.post('/peers', { issuer: A.issuer, thumbprint: await thumbprintOutOfBand(a) });
    const aliceA = ((await a.get('/users?q=alice')).items as { id: string; globalId: string }[])[0]!;
    const aliceB = ((await b.get('/users?q=alice')).items as { id: string; globalId: string }[])[0]!;
    await a.post(`/users/${aliceA.id}/links`, { peerUser: aliceB.globalId });
    await b.post(`/users/${aliceB.id}/links`, { peerUser: aliceA.globalId });
  });

  /** A content of aurora's catalogue, uploaded as a catalogue script would. */
  const aContent = once(async () => (await apiA()).upload(randomBytes(64 * 1024), { title: 'Harbour sounds', mediaType: 'audio/ogg' }));

  /** Alice's phone at aurora moves a content to her reader at borealis, with the device CLI. */
  const crossAuthorityMove = once(async () => {
    await federation();
    const content = await (await apiA()).upload(randomBytes(256 * 1024), { title: 'Aurora field recording', mediaType: 'audio/ogg' });
    const phone = path.join(dir, 'phone');
    const reader = path.join(dir, 'reader');
    for (const [home, issuer, label] of [
      [phone, A.issuer, 'phone'],
      [reader, B.issuer, 'reader'],
    ] as const) {
      const r = await device(['--home', home, 'register', '--authority', issuer, '--username', ALICE.username, '--password', ALICE.password, '--label', label]);
      assert.equal(r.code, 0, r.stderr);
    }
    const acquired = await device(['--home', phone, 'acquire', content.id]);
    assert.equal(acquired.code, 0, acquired.stderr);
    const readerId = (await device(['--home', reader, 'whoami', '--id'])).stdout.trim();
    const moved = await device([
      '--home',
      phone,
      'move',
      content.id,
      '--to',
      readerId,
      '--to-authority',
      B.issuer,
      '--bundle',
      path.join(dir, 'recording.bundle'),
      '--json',
    ]);
    assert.equal(moved.code, 0, moved.stderr);
    return { moveId: moved.json().moveId as string, contentId: content.id, readerId };
  });

  test('a wrong password shows an error and signs nobody in', async (t) => {
    const { page, errors } = await person(t);
    await page.goto('/a/login');
    await page.getByLabel('E-mail').fill(OWNER_A.email);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'Wrong e-mail or password' }).waitFor();
    assert.match(new URL(page.url()).pathname, /\/a\/login$/);
    assert.equal(
      (await page.context().cookies()).some((c) => c.name.startsWith('tessera_console_')),
      false,
    );
    await screenshot(page, 'login-wrong-password');
    assert.deepEqual(errors, []);
  });

  test('the owner signs in with the keyboard alone; the session is an httpOnly cookie of the console', async (t) => {
    const { page, errors } = await person(t);
    await page.goto('/a/login');
    await page.getByLabel('E-mail').focus();
    await page.keyboard.type(OWNER_A.email);
    await page.keyboard.press('Tab');
    await page.keyboard.type(OWNER_A.password);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    assert.match(new URL(page.url()).pathname, /^\/a\/aurora$/);
    const cookie = (await page.context().cookies()).find((c) => c.name === 'tessera_console_a');
    assert.ok(cookie, 'the console keeps server A’s session in its own cookie');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Lax');
    assert.equal(await page.evaluate(() => document.cookie.includes('tessera')), false, 'page scripts cannot read the session');
    await screenshot(page, 'overview');
    assert.deepEqual(errors, []);
  });

  test('an uploaded content shows its progress, lands in the list and the details, and the server lists it', async (t) => {
    const { page, errors } = await signedIn(t);
    // A file on disk, as a person picks it: the browser reads and streams it itself. The uplink
    // is a person's (8 MiB/s), not loopback's, so the 16 MiB take about two seconds on any
    // machine and the progress bar has time to move through several values.
    const bytes = randomBytes(16 * 1024 * 1024);
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 8 * 1024 * 1024 });
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const file = path.join(dir, 'aurora-reel.mp4');
    await writeFile(file, bytes);
    await page.goto('/a/aurora/contents');
    await page.getByRole('button', { name: 'Upload a content' }).click();
    await page.getByLabel('File').setInputFiles(file);
    assert.equal(await page.getByLabel('Title', { exact: true }).inputValue(), 'aurora-reel', 'the title defaults to the file name');
    await page.getByLabel('Title', { exact: true }).fill('Aurora reel');
    // Record every value the progress bar shows while the file streams.
    await page.evaluate(() => {
      const seen: number[] = ((window as unknown as { progressSeen: number[] }).progressSeen = []);
      new MutationObserver(() => {
        const bar = document.querySelector('[role=progressbar]');
        if (bar) seen.push(Number(bar.getAttribute('aria-valuenow')));
      }).observe(document.body, { subtree: true, childList: true, attributes: true });
    });
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Uploaded Aurora reel' }).waitFor({ timeout: 60_000 });
    const seen = await page.evaluate(() => (window as unknown as { progressSeen: number[] }).progressSeen);
    const shown = [...new Set(seen)];
    t.diagnostic(`progress shown: ${shown.join(', ')} %`);
    assert.ok(shown.filter((v) => v > 0 && v < 100).length >= 3, `the progress bar showed several values while the file streamed: ${shown.join(', ')}`);
    assert.deepEqual(
      shown,
      [...shown].sort((x, y) => x - y),
      'the progress only grows',
    );

    await row(page, 'Contents', 'Aurora reel').waitFor();
    const listed = (await (await apiA()).get('/contents?q=Aurora%20reel')).items as {
      id: string;
      title: string;
      size: number;
      sha256: string;
      mediaType: string;
    }[];
    const content = listed.find((c) => c.title === 'Aurora reel');
    assert.ok(content, 'the admin API lists the uploaded content');
    assert.equal(content.size, bytes.length);
    assert.equal(content.sha256, sha256, 'the server received exactly the bytes of the file');
    assert.equal(content.mediaType, 'video/mp4');

    await row(page, 'Contents', 'Aurora reel').getByRole('link', { name: 'Aurora reel' }).click();
    await page.getByRole('heading', { name: 'Aurora reel' }).waitFor();
    await page.getByText(sha256).waitFor();
    await page.getByText('16 MiB (16,777,216 bytes)').waitFor();
    await screenshot(page, 'content-details');
    assert.deepEqual(errors, []);
  });

  test("the server's problem answer is shown to the person: an upload under a taken content ID", async (t) => {
    const { id: takenId } = await aContent();
    const { page, errors } = await signedIn(t);
    await page.goto('/a/aurora/contents');
    await page.getByRole('button', { name: 'Upload a content' }).click();
    await page.getByLabel('File').setInputFiles({ name: 'again.txt', mimeType: 'text/plain', buffer: Buffer.from('the same ID again') });
    await page.getByLabel('Content ID').fill(takenId);
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    const alert = page.getByRole('alert').filter({ hasText: 'A content with this ID already exists' });
    await alert.waitFor();
    assert.match(await alert.innerText(), new RegExp(takenId), "with the server's detail");
    await screenshot(page, 'upload-problem');
    const titles = ((await (await apiA()).get('/contents?limit=200')).items as { id: string; title: string }[])
      .filter((c) => c.id === takenId)
      .map((c) => c.title);
    assert.deepEqual(titles, ['Harbour sounds'], 'the content under that ID is unchanged');
    assert.deepEqual(errors, []);
  });

  test('a revoked device is asked about first, shown revoked, and refused by the device API', async (t) => {
    const { page, errors } = await signedIn(t);
    const home = path.join(dir, 'old-tablet');
    const reg = await device([
      '--home',
      home,
      'register',
      '--authority',
      A.issuer,
      '--username',
      ALICE.username,
      '--password',
      ALICE.password,
      '--label',
      'old-tablet',
      '--json',
    ]);
    assert.equal(reg.code, 0, reg.stderr);
    const { clientId, leafId } = reg.json() as { clientId: string; leafId: number };

    await page.goto('/a/aurora/users');
    await page.getByRole('link', { name: 'alice' }).click();
    const deviceRow = row(page, 'Devices', clientId);
    await deviceRow.waitFor();
    const cells = await deviceRow.getByRole('cell').allInnerTexts();
    assert.ok(cells.includes(String(leafId)), `the leaf ID ${leafId} is shown`);
    const api = await apiA();
    const stored = ((await api.get(`/devices?q=${clientId}`)).items as { clientId: string; thumbprint: string }[]).find((d) => d.clientId === clientId)!;
    assert.match(await deviceRow.innerText(), new RegExp(stored.thumbprint));

    // Opened from the keyboard and backed out of with Escape: nothing happens.
    await deviceRow.getByRole('button', { name: 'Revoke old-tablet' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('dialog', { name: 'Revoke old-tablet?' }).waitFor();
    await screenshot(page, 'device-revoke-confirmation');
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'hidden' });
    assert.equal((await device(['--home', home, 'whoami'])).code, 0, 'the device still works after Cancel');

    await deviceRow.getByRole('button', { name: 'Revoke old-tablet' }).click();
    await page.getByRole('dialog', { name: 'Revoke old-tablet?' }).getByRole('button', { name: 'Revoke device' }).click();
    await deviceRow.getByText('revoked', { exact: true }).waitFor();
    assert.equal(await deviceRow.getByRole('button', { name: /Revoke/ }).count(), 0);

    const refused = await device(['--home', home, 'whoami']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /client_revoked/);
    await screenshot(page, 'user-devices');
    assert.deepEqual(errors, []);
  });

  test('rotating the keys activates the next signing key and retires the active one', async (t) => {
    const { page, errors } = await signedIn(t);
    const api = await apiA();
    const before = (await api.get('/keys')).items as { kid: string; use: string; status: string }[];
    const activeSig = before.find((k) => k.use === 'sig' && k.status === 'active')!;
    await page.goto('/a/aurora/keys');
    await page.getByRole('button', { name: 'Rotate keys' }).click();
    await page.getByRole('dialog', { name: 'Rotate the keys?' }).getByRole('button', { name: 'Rotate keys' }).click();
    await page.getByRole('dialog').waitFor({ state: 'hidden' });
    const retiredRow = row(page, 'Keys', activeSig.kid);
    await retiredRow.getByText('retired', { exact: true }).waitFor();

    const afterRotation = (await api.get('/keys')).items as { kid: string; use: string; status: string }[];
    assert.equal(afterRotation.find((k) => k.kid === activeSig.kid)?.status, 'retired');
    const newActive = afterRotation.find((k) => k.use === 'sig' && k.status === 'active');
    assert.ok(newActive && newActive.kid !== activeSig.kid, 'another signing key is active');
    await row(page, 'Keys', newActive.kid).getByText('active', { exact: true }).waitFor();
    await screenshot(page, 'keys-after-rotation');
    assert.deepEqual(errors, []);
  });

  async function addPeerInConsole(page: Page, base: string, issuer: string, thumbprint: string) {
    await page.goto(`${base}/peers`);
    await page.getByRole('button', { name: 'Add a peer' }).click();
    await page.getByLabel('Issuer URL of the peer authority').fill(issuer);
    await page.getByRole('button', { name: 'Fetch its configuration' }).click();
    const fetched = page.getByLabel('Fetched thumbprint');
    await fetched.waitFor();
    assert.equal((await fetched.innerText()).replace(/\s+/g, ''), thumbprint, 'the console shows the thumbprint to compare');
    await page.getByLabel('Thumbprint received out of band').fill('not-the-right-one');
    await page.getByText('Does not match the fetched thumbprint').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Add peer' }).isDisabled(), true, 'a mismatch cannot be pinned');
    await page.getByLabel('Thumbprint received out of band').fill(thumbprint);
    await page.getByText('Matches the fetched thumbprint').waitFor();
    await page.getByRole('button', { name: 'Add peer' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: `Peered with ${issuer}` })
      .waitFor();
    await row(page, 'Peers', issuer).waitFor();
  }

  test('a peer is added after comparing its thumbprint, then suspended and resumed', async (t) => {
    const { page, errors } = await signedIn(t, 'a', OWNER_ASTER);
    const boreas = B.issuerOf('boreas');
    const thumbprint = await thumbprintOutOfBand(await adminApi(B.url, 'boreas', OWNER_BOREAS.email, OWNER_BOREAS.password));
    await addPeerInConsole(page, '/a/aster', boreas, thumbprint);
    const peerRow = row(page, 'Peers', boreas);
    assert.match(await peerRow.innerText(), new RegExp(thumbprint));
    await peerRow.getByText('active', { exact: true }).waitFor();

    const api = await adminApi(A.url, 'aster', OWNER_ASTER.email, OWNER_ASTER.password);
    const peer = ((await api.get('/peers')).items as { id: string; issuer: string; status: string; pinnedThumbprint: string }[]).find(
      (p) => p.issuer === boreas,
    )!;
    assert.equal(peer.pinnedThumbprint, thumbprint);

    await peerRow.getByRole('button', { name: /^Suspend/ }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Suspend peer' }).click();
    await peerRow.getByText('suspended', { exact: true }).waitFor();
    assert.equal((await api.get(`/peers/${peer.id}`)).status, 'suspended');
    await screenshot(page, 'peers-suspended');

    await peerRow.getByRole('button', { name: /^Resume/ }).click();
    await peerRow.getByText('active', { exact: true }).waitFor();
    assert.equal((await api.get(`/peers/${peer.id}`)).status, 'active');

    await peerRow.getByRole('button', { name: /^Refresh/ }).click();
    await peerRow.getByText('ok', { exact: true }).waitFor();
    const refreshed = await api.get(`/peers/${peer.id}`);
    assert.equal(refreshed.lastOutcome, 'ok');
    assert.ok(refreshed.lastContactAt, 'the refresh is recorded as the last contact');
    await screenshot(page, 'peers');
    assert.deepEqual(errors, []);
  });

  test('signing in to server B keeps the session of server A; B peers in the console and links alice', async (t) => {
    const { page, errors } = await signedIn(t, 'a', OWNER_ASTER);
    assert.match(new URL(page.url()).pathname, /^\/a\/aster$/);
    await page.getByLabel('License server').selectOption('b');
    await page.waitForURL(/\/b\/login/);
    await page.getByLabel('E-mail').fill(OWNER_BOREAS.email);
    await page.getByLabel('Password').fill(OWNER_BOREAS.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    assert.match(new URL(page.url()).pathname, /^\/b\/boreas$/);

    const aster = A.issuerOf('aster');
    const asterApi = await adminApi(A.url, 'aster', OWNER_ASTER.email, OWNER_ASTER.password);
    await addPeerInConsole(page, '/b/boreas', aster, await thumbprintOutOfBand(asterApi));

    // alice at boreas is linked to alice at aster in the console.
    const boreasApi = await adminApi(B.url, 'boreas', OWNER_BOREAS.email, OWNER_BOREAS.password);
    const aliceAster = ((await asterApi.get('/users?q=alice')).items as { id: string; globalId: string }[])[0]!;
    const aliceBoreas = ((await boreasApi.get('/users?q=alice')).items as { id: string; globalId: string }[])[0]!;
    await page.goto(`/b/boreas/users/${aliceBoreas.id}`);
    await page.getByLabel('Global ID at the peer').fill(aliceAster.globalId);
    await page.getByRole('button', { name: 'Link account' }).click();
    await row(page, 'Linked accounts', aliceAster.globalId).waitFor();
    const links = (await boreasApi.get(`/users/${aliceBoreas.id}/links`)).items as { peerUser: string }[];
    assert.deepEqual(
      links.map((l) => l.peerUser),
      [aliceAster.globalId],
      'the server holds the link',
    );

    // Still signed in at A.
    await page.goto('/a/aster');
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    assert.match(new URL(page.url()).pathname, /^\/a\/aster$/);
    assert.deepEqual(errors, []);
  });

  test('a cross-authority move made with the device CLI shows in the moves list, its timeline and certificate, and its charge in the ledger', async (t) => {
    const { moveId, readerId } = await crossAuthorityMove();
    const { page, errors } = await signedIn(t);
    await page.goto('/a/aurora/moves');
    const moveRow = row(page, 'Moves', moveId);
    await moveRow.getByText('completed', { exact: true }).waitFor();
    await screenshot(page, 'moves');
    await moveRow.getByRole('link', { name: moveId }).click();
    await page.getByRole('heading', { name: `Move ${moveId}` }).waitFor();
    const timeline = page.getByRole('list', { name: 'Move states over time' });
    await timeline.getByText('reserved', { exact: true }).waitFor();
    await timeline.getByText('completed', { exact: true }).waitFor();
    await page.getByRole('region', { name: 'Destination', exact: true }).getByText(B.issuer).waitFor();
    await page.getByRole('region', { name: 'Destination', exact: true }).getByText(readerId).waitFor();
    await page.getByRole('region', { name: 'Source', exact: true }).getByText(`${A.issuer} (this authority)`).waitFor();
    const certificateHeader = await page.getByLabel('copy certificate header').innerText();
    assert.match(certificateHeader, /tessera-copy-cert\+jwt/);
    assert.match(await page.getByLabel('copy certificate claims').innerText(), new RegExp(moveId));
    await screenshot(page, 'move-detail');

    await page.goto('/a/aurora/billing/ledger');
    // Two entries name the move: alice's charge, and the fee borealis booked against aurora.
    const entries = row(page, 'Ledger', moveId);
    await entries.first().waitFor();
    const texts = await entries.allInnerTexts();
    assert.ok(
      texts.some((t) => /\bmove\b/.test(t) && t.includes('€0.99') && t.includes('alice')),
      `alice was charged the move price: ${texts.join(' | ')}`,
    );
    assert.ok(
      texts.some((t) => t.includes('peer fee') && t.includes('€0.25')),
      `the peer's federation fee is booked: ${texts.join(' | ')}`,
    );
    await screenshot(page, 'ledger');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Export CSV' }).click()]);
    const csv = await readFile((await download.path())!, 'utf8');
    assert.ok(
      csv.split('\n').some((line) => line.includes(moveId) && line.includes('move')),
      'the CSV export streams the same entries',
    );

    await page.goto('/a/aurora/billing/settlement');
    const line = row(page, /^Settlement for/, B.issuer);
    await line.waitFor();
    assert.match(await line.innerText(), /1 · €0\.25/);
    assert.deepEqual(errors, []);
  });

  test('the overview shows the numbers the server holds', async (t) => {
    await crossAuthorityMove();
    const { page, errors } = await signedIn(t);
    const api = await apiA();
    const [users, devices, contents, licenses, moves, ledger] = await Promise.all(
      [
        '/users?limit=200',
        '/devices?status=active&limit=200',
        '/contents?limit=200',
        '/licenses?state=active&limit=200',
        '/moves?limit=200',
        '/ledger?limit=200',
      ].map((r) => api.get(r)),
    );
    const happened = (moves.items as { state: string }[]).filter((m) => m.state === 'completed' || m.state === 'delivered').length;
    // Revenue is what aurora earns: a `peer_fee` is what it owes a peer, not income.
    const revenue = (ledger.items as { amount: number; currency: string; kind: string }[])
      .filter((e) => e.currency === 'EUR' && e.kind !== 'peer_fee')
      .reduce((s, e) => s + e.amount, 0);
    await page.goto('/a/aurora');
    const stat = async (label: string) =>
      (await page.locator('dl[aria-label="Totals"] > div').filter({ hasText: label }).locator('dd').first().innerText()).trim();
    assert.equal(await stat('Users'), String(users.items.length));
    assert.equal(await stat('Active devices'), String(devices.items.length));
    assert.equal(await stat('Contents'), String(contents.items.length));
    assert.equal(await stat('Active licenses'), String(licenses.items.length));
    assert.equal(await stat('Moves'), String(happened));
    assert.ok(happened >= 1, 'the move made for this test is counted');
    assert.equal(await stat('Revenue'), `€${(revenue / 100).toFixed(2)}`);
    await page.getByRole('figure').filter({ hasText: 'Moves by peer authority' }).getByText(B.issuer).waitFor();
    await screenshot(page, 'overview-with-a-move');
    assert.deepEqual(errors, []);
  });

  test('long lists are paged with the server’s cursors, forward and back', async (t) => {
    const api = await apiA();
    for (let i = 0; i < 26; i++) await api.post('/users', { username: `reader${String(i).padStart(2, '0')}`, password: 'reader password' });
    const total = ((await api.get('/users?limit=200')).items as unknown[]).length;
    assert.ok(total > 25 && total <= 50, `two pages of users: ${total}`);
    const { page, errors } = await signedIn(t);
    await page.goto('/a/aurora/users');
    const rows = page.getByRole('region', { name: 'Users' }).getByRole('row');
    await page.getByText('Page 1').waitFor();
    const first = (await rows.allInnerTexts()).slice(1);
    assert.equal(first.length, 25);
    await page.getByRole('link', { name: 'Next page of users' }).click();
    await page.getByText('Page 2').waitFor();
    const second = (await rows.allInnerTexts()).slice(1);
    assert.equal(first.length + second.length, total, 'the two pages hold every user');
    assert.equal(second.filter((r) => first.includes(r)).length, 0, 'no user on both pages');
    assert.equal(await page.getByRole('link', { name: 'Next page of users' }).count(), 0);
    await page.getByRole('link', { name: 'Previous page of users' }).click();
    await page.getByText('Page 1').waitFor();
    assert.deepEqual((await rows.allInnerTexts()).slice(1), first);
    assert.deepEqual(errors, []);
  });

  test('a viewer sees every page but no button that would change anything, and the server refuses the viewer anyway', async (t) => {
    const { moveId, contentId } = await crossAuthorityMove();
    const viewer = await signedIn(t, 'a', VIEWER_A);
    const pages = [
      '',
      '/authorities',
      '/authorities/aurora',
      '/users',
      '/users/devices',
      '/contents',
      `/contents/${contentId}`,
      '/licenses',
      '/moves',
      `/moves/${moveId}`,
      '/billing',
      '/keys',
      '/peers',
      '/audit',
    ];
    for (const p of pages) {
      await viewer.page.goto(`/a/aurora${p}`);
      await viewer.page.locator('main h1').first().waitFor();
      const buttons = await viewer.page.locator('main').getByRole('button').allInnerTexts();
      const changing = buttons.map((b) => b.trim()).filter((b) => b !== 'Apply');
      assert.deepEqual(changing, [], `no changing button on ${p || '/'} for a viewer`);
      assert.equal(
        await viewer.page
          .locator('main input[type=file], main form[aria-label^="Edit"], main form[aria-label^="Create"], main form[aria-label^="Add"]')
          .count(),
        0,
        `no edit form on ${p || '/'}`,
      );
    }
    await screenshot(viewer.page, 'viewer-keys');
    // Billing details are for the billing role and above: the tabs are not offered.
    await viewer.page.goto('/a/aurora/billing');
    await viewer.page.getByRole('link', { name: 'Prices' }).waitFor();
    assert.equal(await viewer.page.getByRole('link', { name: 'Ledger' }).count(), 0, 'no ledger tab beside the prices tab');

    // The server decides, whatever the page shows: an upload through the console is refused.
    const refused = await viewer.page.request.post(`/api/a/admin/authorities/aurora/contents?title=Sneaky`, {
      headers: { 'x-tessera-console': '1', 'content-type': 'application/octet-stream' },
      data: Buffer.from('not allowed'),
    });
    assert.equal(refused.status(), 403);
    assert.equal((await refused.json()).code, 'forbidden');
    assert.equal(((await (await apiA()).get('/contents?q=Sneaky')).items as unknown[]).length, 0, 'nothing was stored');
    assert.deepEqual(viewer.errors, []);
  });

  test('every page fits at 1280 px and at 390 px wide (screenshots in test-artifacts/console)', async (t) => {
    const { moveId } = await crossAuthorityMove();
    const { page, errors } = await signedIn(t);
    const pages: [string, string][] = [
      ['overview', ''],
      ['authorities', '/authorities'],
      ['authority', '/authorities/aurora'],
      ['users', '/users'],
      ['devices', '/users/devices'],
      ['contents', '/contents'],
      ['licenses', '/licenses'],
      ['moves', '/moves'],
      ['move', `/moves/${moveId}`],
      ['prices', '/billing'],
      ['ledger', '/billing/ledger'],
      ['invoices', '/billing/invoices'],
      ['settlement', '/billing/settlement'],
      ['keys', '/keys'],
      ['peers', '/peers'],
      ['audit', '/audit'],
    ];
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 900 });
      for (const [name, p] of pages) {
        await page.goto(`/a/aurora${p}`);
        await page.locator('main h1').first().waitFor();
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert.ok(overflow <= 0, `${name} scrolls sideways by ${overflow} px at ${width} px`);
        await screenshot(page, `${name}-${width}`);
      }
    }
    await page.goto('/a/aurora');
    assert.equal(await page.getByRole('link', { name: 'Audit log' }).isVisible(), false, 'the navigation folds away on a phone');
    await page.getByRole('button', { name: 'Menu' }).click();
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.getByRole('heading', { name: 'Audit log' }).waitFor();
    assert.deepEqual(errors, []);
  });

  test('the audit log lists the actions taken and filters them', async (t) => {
    const home = path.join(dir, 'lost-phone');
    const reg = await device([
      '--home',
      home,
      'register',
      '--authority',
      A.issuer,
      '--username',
      ALICE.username,
      '--password',
      ALICE.password,
      '--label',
      'lost-phone',
      '--json',
    ]);
    assert.equal(reg.code, 0, reg.stderr);
    const { clientId } = reg.json() as { clientId: string };
    await (await apiA()).post(`/devices/${clientId}/revoke`);

    const { page, errors } = await signedIn(t);
    await page.goto('/a/aurora/audit?action=device.revoke');
    const entries = page.getByRole('region', { name: 'Audit log' }).getByRole('row');
    await entries.nth(1).waitFor();
    const texts = (await entries.allInnerTexts()).slice(1);
    assert.ok(
      texts.every((t) => t.includes('device.revoke')),
      'only revocations are listed',
    );
    assert.ok(
      texts.some((t) => t.includes(clientId) && t.includes(OWNER_A.email)),
      `the revocation with who did it: ${texts.join(' | ')}`,
    );
    assert.deepEqual(errors, []);
  });

  test('signing out ends the session at the server', async (t) => {
    const { page, errors } = await signedIn(t);
    // The console cookie carries the server's session; after signing out the server refuses it.
    // (Next.js percent-encodes cookie values it sets.)
    const session = decodeURIComponent((await page.context().cookies()).find((c) => c.name === 'tessera_console_a')!.value);
    const asServer = () => fetch(`${A.url}/admin/session`, { headers: { cookie: `tessera.sid=${session}` }, signal: AbortSignal.timeout(30_000) });
    assert.equal((await asServer()).status, 200, 'the session works at the server while signed in');
    await page.goto('/a/aurora');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/a\/login$/);
    await page.goto('/a/aurora/users');
    await page.waitForURL(/\/a\/login/);
    assert.equal(
      (await page.context().cookies()).some((c) => c.name === 'tessera_console_a'),
      false,
    );
    assert.equal((await asServer()).status, 401, 'the server ended the session');
    assert.deepEqual(errors, []);
  });
});
