import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { jwkThumbprint } from '@tessera/protocol';
import { ensureConsoleBuild, startConsole, type ConsoleServer } from '../../console/launch.ts';
import { device } from '../support/cli.ts';
import { freePort } from '../support/server-process.ts';
import { adminApi, chromiumMissing, launchBrowser, newPerson, screenshot, startAuthorityServer, type AuthorityServer } from './browser.ts';

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
const ALICE = { username: 'alice', password: 'alice password' };

describe('operator console in a browser', { skip: chromiumMissing }, () => {
  let dir: string;
  let A: AuthorityServer;
  let B: AuthorityServer;
  let web: ConsoleServer;
  let browser: Browser;
  let owner: Page;
  const pageErrors: string[] = [];

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-console-'));
    // Built once: .ci/run builds before the suites; a developer's stale build is rebuilt here.
    const build = ensureConsoleBuild({ quiet: true });
    [A, B] = await Promise.all([
      startAuthorityServer(path.join(dir, 'a'), { slug: 'aurora', name: 'Aurora Media', prices: { license: 299, move: 99, federationFee: 25 }, admins: [OWNER_A, VIEWER_A], users: [ALICE] }),
      startAuthorityServer(path.join(dir, 'b'), { slug: 'borealis', name: 'Borealis Books', prices: { license: 199, move: 79, federationFee: 25 }, admins: [OWNER_B], users: [ALICE] }),
    ]);
    await build;
    web = await startConsole({ port: await freePort(), servers: { a: { url: A.url, name: 'Aurora server' }, b: { url: B.url, name: 'Borealis server' } } });
    browser = await launchBrowser();
    const person = await newPerson(browser, web.url);
    owner = person.page;
    person.page.on('pageerror', (e) => pageErrors.push(e.message));
  });

  after(async () => {
    await browser?.close();
    await web?.stop();
    await Promise.all([A?.stop(), B?.stop()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function signIn(page: Page, server: 'a' | 'b', who: { email: string; password: string }) {
    await page.goto(`/${server}/login`);
    await page.getByLabel('E-mail').fill(who.email);
    await page.getByLabel('Password').fill(who.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => !u.pathname.endsWith('/login'));
  }

  const row = (page: Page, table: string | RegExp, text: string | RegExp) => page.getByRole('region', { name: table }).getByRole('row').filter({ hasText: text });

  test('a wrong password shows an error and signs nobody in', async () => {
    await owner.goto('/a/login');
    await owner.getByLabel('E-mail').fill(OWNER_A.email);
    await owner.getByLabel('Password').fill('not the password');
    await owner.getByRole('button', { name: 'Sign in' }).click();
    await owner.getByRole('alert').filter({ hasText: 'Wrong e-mail or password' }).waitFor();
    assert.match(new URL(owner.url()).pathname, /\/a\/login$/);
    assert.equal((await owner.context().cookies()).some((c) => c.name.startsWith('tessera_console_')), false);
    await screenshot(owner, 'login-wrong-password');
  });

  test('the owner signs in with the keyboard alone; the session is an httpOnly cookie of the console', async () => {
    await owner.goto('/a/login');
    await owner.getByLabel('E-mail').focus();
    await owner.keyboard.type(OWNER_A.email);
    await owner.keyboard.press('Tab');
    await owner.keyboard.type(OWNER_A.password);
    await owner.keyboard.press('Enter');
    await owner.getByRole('heading', { name: 'Overview' }).waitFor();
    assert.match(new URL(owner.url()).pathname, /^\/a\/aurora$/);
    const cookie = (await owner.context().cookies()).find((c) => c.name === 'tessera_console_a');
    assert.ok(cookie, 'the console keeps server A’s session in its own cookie');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Lax');
    assert.equal(await owner.evaluate(() => document.cookie.includes('tessera')), false, 'page scripts cannot read the session');
    await screenshot(owner, 'overview-empty');
  });

  let uploadedId: string;
  test('an uploaded content shows its progress, lands in the list and the details, and the server lists it', async () => {
    const bytes = randomBytes(24 * 1024 * 1024);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    await owner.goto('/a/aurora/contents');
    await owner.getByText('No contents yet').waitFor();
    await owner.getByRole('button', { name: 'Upload a content' }).click();
    await owner.getByLabel('File').setInputFiles({ name: 'aurora-reel.mp4', mimeType: 'video/mp4', buffer: bytes });
    assert.equal(await owner.getByLabel('Title', { exact: true }).inputValue(), 'aurora-reel', 'the title defaults to the file name');
    await owner.getByLabel('Title', { exact: true }).fill('Aurora reel');
    // Record every value the progress bar shows while the file streams.
    await owner.evaluate(() => {
      const seen: number[] = ((window as unknown as { progressSeen: number[] }).progressSeen = []);
      new MutationObserver(() => {
        const bar = document.querySelector('[role=progressbar]');
        if (bar) seen.push(Number(bar.getAttribute('aria-valuenow')));
      }).observe(document.body, { subtree: true, childList: true, attributes: true });
    });
    await owner.getByRole('button', { name: 'Upload', exact: true }).click();
    await owner.getByRole('status').filter({ hasText: 'Uploaded Aurora reel' }).waitFor({ timeout: 60_000 });
    const seen = await owner.evaluate(() => (window as unknown as { progressSeen: number[] }).progressSeen);
    assert.ok(seen.length > 0, 'a progress bar was shown during the upload');

    await row(owner, 'Contents', 'Aurora reel').waitFor();
    const api = await adminApi(A.url, 'aurora', OWNER_A.email, OWNER_A.password);
    const listed = (await api.get('/contents')).items as { id: string; title: string; size: number; sha256: string; mediaType: string }[];
    const content = listed.find((c) => c.title === 'Aurora reel');
    assert.ok(content, 'the admin API lists the uploaded content');
    assert.equal(content.size, bytes.length);
    assert.equal(content.sha256, sha256, 'the server received exactly the bytes of the file');
    assert.equal(content.mediaType, 'video/mp4');
    uploadedId = content.id;

    await row(owner, 'Contents', 'Aurora reel').getByRole('link', { name: 'Aurora reel' }).click();
    await owner.getByRole('heading', { name: 'Aurora reel' }).waitFor();
    await owner.getByText(sha256).waitFor();
    await owner.getByText('24 MiB (25,165,824 bytes)').waitFor();
    await screenshot(owner, 'content-details');
  });

  test("the server's problem answer is shown to the person: an upload under a taken content ID", async () => {
    await owner.goto('/a/aurora/contents');
    await owner.getByRole('button', { name: 'Upload a content' }).click();
    await owner.getByLabel('File').setInputFiles({ name: 'again.txt', mimeType: 'text/plain', buffer: Buffer.from('the same ID again') });
    await owner.getByLabel('Content ID').fill(uploadedId);
    await owner.getByRole('button', { name: 'Upload', exact: true }).click();
    const alert = owner.getByRole('alert').filter({ hasText: 'A content with this ID already exists' });
    await alert.waitFor();
    assert.match(await alert.innerText(), new RegExp(uploadedId), "with the server's detail");
    await screenshot(owner, 'upload-problem');
  });

  test('a revoked device is asked about first, shown revoked, and refused by the device API', async () => {
    const home = path.join(dir, 'old-tablet');
    const reg = await device(['--home', home, 'register', '--authority', A.issuer, '--username', ALICE.username, '--password', ALICE.password, '--label', 'old-tablet', '--json']);
    assert.equal(reg.code, 0, reg.stderr);
    const { clientId, leafId } = reg.json() as { clientId: string; leafId: number };

    await owner.goto('/a/aurora/users');
    await owner.getByRole('link', { name: 'alice' }).click();
    const deviceRow = row(owner, 'Devices', clientId);
    await deviceRow.waitFor();
    const cells = await deviceRow.getByRole('cell').allInnerTexts();
    assert.ok(cells.includes(String(leafId)), `the leaf ID ${leafId} is shown`);
    const api = await adminApi(A.url, 'aurora', OWNER_A.email, OWNER_A.password);
    const stored = ((await api.get(`/devices?q=${clientId}`)).items as { clientId: string; thumbprint: string }[]).find((d) => d.clientId === clientId)!;
    assert.match(await deviceRow.innerText(), new RegExp(stored.thumbprint));

    // Opened from the keyboard and backed out of with Escape: nothing happens.
    await deviceRow.getByRole('button', { name: 'Revoke old-tablet' }).focus();
    await owner.keyboard.press('Enter');
    await owner.getByRole('dialog', { name: 'Revoke old-tablet?' }).waitFor();
    await screenshot(owner, 'device-revoke-confirmation');
    await owner.keyboard.press('Escape');
    await owner.getByRole('dialog').waitFor({ state: 'hidden' });
    assert.equal((await device(['--home', home, 'whoami'])).code, 0, 'the device still works after Cancel');

    await deviceRow.getByRole('button', { name: 'Revoke old-tablet' }).click();
    await owner.getByRole('dialog', { name: 'Revoke old-tablet?' }).getByRole('button', { name: 'Revoke device' }).click();
    await deviceRow.getByText('revoked', { exact: true }).waitFor();
    assert.equal(await deviceRow.getByRole('button', { name: /Revoke/ }).count(), 0);

    const refused = await device(['--home', home, 'whoami']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /client_revoked/);
    await screenshot(owner, 'user-devices');
  });

  test('rotating the keys activates the next signing key and retires the active one', async () => {
    const api = await adminApi(A.url, 'aurora', OWNER_A.email, OWNER_A.password);
    const before = (await api.get('/keys')).items as { kid: string; use: string; status: string }[];
    const activeSig = before.find((k) => k.use === 'sig' && k.status === 'active')!;
    await owner.goto('/a/aurora/keys');
    await owner.getByRole('button', { name: 'Rotate keys' }).click();
    await owner.getByRole('dialog', { name: 'Rotate the keys?' }).getByRole('button', { name: 'Rotate keys' }).click();
    await owner.getByRole('dialog').waitFor({ state: 'hidden' });
    const retiredRow = row(owner, 'Keys', activeSig.kid);
    await retiredRow.getByText('retired', { exact: true }).waitFor();

    const afterRotation = (await api.get('/keys')).items as { kid: string; use: string; status: string }[];
    assert.equal(afterRotation.find((k) => k.kid === activeSig.kid)?.status, 'retired');
    const newActive = afterRotation.find((k) => k.use === 'sig' && k.status === 'active');
    assert.ok(newActive && newActive.kid !== activeSig.kid, 'another signing key is active');
    await row(owner, 'Keys', newActive.kid).getByText('active', { exact: true }).waitFor();
    await screenshot(owner, 'keys-after-rotation');
  });

  /** The thumbprint the peer's operator reads from their own Keys page and tells us by phone. */
  async function thumbprintOutOfBand(server: AuthorityServer, who: { email: string; password: string }) {
    const api = await adminApi(server.url, server.slug, who.email, who.password);
    const keys = (await api.get('/keys')).items as { use: string; status: string; publicKey: { kty: 'EC'; crv: 'P-256'; x: string; y: string } }[];
    return jwkThumbprint(keys.find((k) => k.use === 'sig' && k.status === 'active')!.publicKey);
  }

  async function addPeer(page: Page, base: string, peer: AuthorityServer, thumbprint: string) {
    await page.goto(`${base}/peers`);
    await page.getByRole('button', { name: 'Add a peer' }).click();
    await page.getByLabel('Issuer URL of the peer authority').fill(peer.issuer);
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
    await page.getByRole('status').filter({ hasText: `Peered with ${peer.issuer}` }).waitFor();
    await row(page, 'Peers', peer.issuer).waitFor();
  }

  test('a peer is added after comparing its thumbprint, then suspended and resumed', async () => {
    const thumbprint = await thumbprintOutOfBand(B, OWNER_B);
    await addPeer(owner, '/a/aurora', B, thumbprint);
    const peerRow = row(owner, 'Peers', B.issuer);
    assert.match(await peerRow.innerText(), new RegExp(thumbprint));
    await peerRow.getByText('active', { exact: true }).waitFor();

    const api = await adminApi(A.url, 'aurora', OWNER_A.email, OWNER_A.password);
    const peer = ((await api.get('/peers')).items as { id: string; issuer: string; status: string; pinnedThumbprint: string }[]).find((p) => p.issuer === B.issuer)!;
    assert.equal(peer.pinnedThumbprint, thumbprint);

    await peerRow.getByRole('button', { name: /^Suspend/ }).click();
    await owner.getByRole('dialog').getByRole('button', { name: 'Suspend peer' }).click();
    await peerRow.getByText('suspended', { exact: true }).waitFor();
    assert.equal((await api.get(`/peers/${peer.id}`)).status, 'suspended');
    await screenshot(owner, 'peers-suspended');

    await peerRow.getByRole('button', { name: /^Resume/ }).click();
    await peerRow.getByText('active', { exact: true }).waitFor();
    assert.equal((await api.get(`/peers/${peer.id}`)).status, 'active');

    await peerRow.getByRole('button', { name: /^Refresh/ }).click();
    await peerRow.getByText('ok', { exact: true }).waitFor();
    const refreshed = await api.get(`/peers/${peer.id}`);
    assert.equal(refreshed.lastOutcome, 'ok');
    assert.ok(refreshed.lastContactAt);
    await screenshot(owner, 'peers');
  });

  let moveId: string;
  test('signing in to server B keeps the session of server A; B peers back and links alice', async () => {
    await owner.getByLabel('License server').selectOption('b');
    await owner.waitForURL(/\/b\/login/);
    await owner.getByLabel('E-mail').fill(OWNER_B.email);
    await owner.getByLabel('Password').fill(OWNER_B.password);
    await owner.getByRole('button', { name: 'Sign in' }).click();
    await owner.getByRole('heading', { name: 'Overview' }).waitFor();
    assert.match(new URL(owner.url()).pathname, /^\/b\/borealis$/);

    await addPeer(owner, '/b/borealis', A, await thumbprintOutOfBand(A, OWNER_A));

    // alice at borealis is linked to alice at aurora in the console; aurora links back through its API.
    const apiA = await adminApi(A.url, 'aurora', OWNER_A.email, OWNER_A.password);
    const apiB = await adminApi(B.url, 'borealis', OWNER_B.email, OWNER_B.password);
    const aliceA = ((await apiA.get('/users?q=alice')).items as { id: string; globalId: string }[])[0]!;
    const aliceB = ((await apiB.get('/users?q=alice')).items as { id: string; globalId: string }[])[0]!;
    await owner.goto(`/b/borealis/users/${aliceB.id}`);
    await owner.getByLabel('Global ID at the peer').fill(aliceA.globalId);
    await owner.getByRole('button', { name: 'Link account' }).click();
    await row(owner, 'Linked accounts', aliceA.globalId).waitFor();
    await apiA.post(`/users/${aliceA.id}/links`, { peerUser: aliceB.globalId });

    // Still signed in at A.
    await owner.goto('/a/aurora');
    await owner.getByRole('heading', { name: 'Overview' }).waitFor();
    assert.match(new URL(owner.url()).pathname, /^\/a\/aurora$/);
  });

  test('a cross-authority move made with the device CLI shows in the moves list, its timeline and certificate, and its charge in the ledger', async () => {
    const phone = path.join(dir, 'phone');
    const reader = path.join(dir, 'reader');
    for (const [home, issuer, label] of [[phone, A.issuer, 'phone'], [reader, B.issuer, 'reader']] as const) {
      const r = await device(['--home', home, 'register', '--authority', issuer, '--username', ALICE.username, '--password', ALICE.password, '--label', label]);
      assert.equal(r.code, 0, r.stderr);
    }
    const acquired = await device(['--home', phone, 'acquire', uploadedId]);
    assert.equal(acquired.code, 0, acquired.stderr);
    const readerId = (await device(['--home', reader, 'whoami', '--id'])).stdout.trim();
    const moved = await device(['--home', phone, 'move', uploadedId, '--to', readerId, '--to-authority', B.issuer, '--bundle', path.join(dir, 'reel.bundle'), '--json']);
    assert.equal(moved.code, 0, moved.stderr);
    moveId = moved.json().moveId;

    await owner.goto('/a/aurora/moves');
    const moveRow = row(owner, 'Moves', moveId);
    await moveRow.getByText('completed', { exact: true }).waitFor();
    await screenshot(owner, 'moves');
    await moveRow.getByRole('link', { name: moveId }).click();
    await owner.getByRole('heading', { name: `Move ${moveId}` }).waitFor();
    const timeline = owner.getByRole('list', { name: 'Move states over time' });
    await timeline.getByText('reserved', { exact: true }).waitFor();
    await timeline.getByText('completed', { exact: true }).waitFor();
    await owner.getByRole('region', { name: 'Destination', exact: true }).getByText(B.issuer).waitFor();
    await owner.getByRole('region', { name: 'Destination', exact: true }).getByText(readerId).waitFor();
    await owner.getByRole('region', { name: 'Source', exact: true }).getByText(`${A.issuer} (this authority)`).waitFor();
    const certificateHeader = await owner.getByLabel('copy certificate header').innerText();
    assert.match(certificateHeader, /tessera-copy-cert\+jwt/);
    assert.match(await owner.getByLabel('copy certificate claims').innerText(), new RegExp(moveId));
    await screenshot(owner, 'move-detail');

    await owner.goto('/a/aurora/billing/ledger');
    // Two entries name the move: alice's charge, and the fee borealis booked against aurora.
    const entries = row(owner, 'Ledger', moveId);
    await entries.first().waitFor();
    const texts = await entries.allInnerTexts();
    assert.ok(texts.some((t) => /\bmove\b/.test(t) && t.includes('€0.99') && t.includes('alice')), `alice was charged the move price: ${texts.join(' | ')}`);
    assert.ok(texts.some((t) => t.includes('peer fee') && t.includes('€0.25')), `the peer's federation fee is booked: ${texts.join(' | ')}`);
    await screenshot(owner, 'ledger');
    const [download] = await Promise.all([owner.waitForEvent('download'), owner.getByRole('link', { name: 'Export CSV' }).click()]);
    const csv = await readFile((await download.path())!, 'utf8');
    assert.ok(csv.split('\n').some((line) => line.includes(moveId) && line.includes('move')), 'the CSV export streams the same entries');

    await owner.goto('/a/aurora/billing/settlement');
    const line = row(owner, /^Settlement for/, B.issuer);
    await line.waitFor();
    assert.match(await line.innerText(), /1 · €0\.25/);
  });

  test('the overview shows the numbers the server holds', async () => {
    const api = await adminApi(A.url, 'aurora', OWNER_A.email, OWNER_A.password);
    const [users, devices, contents, licenses, moves, ledger] = await Promise.all(
      ['/users?limit=200', '/devices?status=active&limit=200', '/contents?limit=200', '/licenses?state=active&limit=200', '/moves?limit=200', '/ledger?limit=200'].map((r) => api.get(r)),
    );
    const happened = (moves.items as { state: string }[]).filter((m) => m.state === 'completed' || m.state === 'delivered').length;
    // Revenue is what aurora earns: a `peer_fee` is what it owes a peer, not income.
    const revenue = (ledger.items as { amount: number; currency: string; kind: string }[]).filter((e) => e.currency === 'EUR' && e.kind !== 'peer_fee').reduce((s, e) => s + e.amount, 0);
    await owner.goto('/a/aurora');
    const totals = owner.getByRole('definition');
    const stat = async (label: string) => (await owner.locator('dl[aria-label="Totals"] > div').filter({ hasText: label }).locator('dd').first().innerText()).trim();
    assert.ok(await totals.count());
    assert.equal(await stat('Users'), String(users.items.length));
    assert.equal(await stat('Active devices'), String(devices.items.length));
    assert.equal(await stat('Contents'), String(contents.items.length));
    assert.equal(await stat('Active licenses'), String(licenses.items.length));
    assert.equal(await stat('Moves'), String(happened));
    assert.equal(await stat('Revenue'), `€${(revenue / 100).toFixed(2)}`);
    await owner.getByRole('figure').filter({ hasText: 'Moves by peer authority' }).getByText(B.issuer).waitFor();
    await screenshot(owner, 'overview');
  });

  test('long lists are paged with the server’s cursors, forward and back', async () => {
    const api = await adminApi(A.url, 'aurora', OWNER_A.email, OWNER_A.password);
    for (let i = 0; i < 26; i++) await api.post('/users', { username: `reader${String(i).padStart(2, '0')}`, password: 'reader password' });
    const total = ((await api.get('/users?limit=200')).items as unknown[]).length;
    await owner.goto('/a/aurora/users');
    const rows = owner.getByRole('region', { name: 'Users' }).getByRole('row');
    await owner.getByText('Page 1').waitFor();
    const first = (await rows.allInnerTexts()).slice(1);
    assert.equal(first.length, 25);
    await owner.getByRole('link', { name: 'Next page of users' }).click();
    await owner.getByText('Page 2').waitFor();
    const second = (await rows.allInnerTexts()).slice(1);
    assert.equal(first.length + second.length, total, 'the two pages hold every user');
    assert.equal(second.filter((r) => first.includes(r)).length, 0, 'no user on both pages');
    assert.equal(await owner.getByRole('link', { name: 'Next page of users' }).count(), 0);
    await owner.getByRole('link', { name: 'Previous page of users' }).click();
    await owner.getByText('Page 1').waitFor();
    assert.deepEqual((await rows.allInnerTexts()).slice(1), first);
  });

  test('a viewer sees every page but no button that would change anything, and the server refuses the viewer anyway', async () => {
    const viewer = await newPerson(browser, web.url);
    await signIn(viewer.page, 'a', VIEWER_A);
    const contentId = uploadedId;
    const pages = ['', '/authorities', '/authorities/aurora', '/users', '/users/devices', '/contents', `/contents/${contentId}`, '/licenses', '/moves', `/moves/${moveId}`, '/billing', '/keys', '/peers', '/audit'];
    for (const p of pages) {
      await viewer.page.goto(`/a/aurora${p}`);
      await viewer.page.locator('main h1').first().waitFor();
      const buttons = await viewer.page.locator('main').getByRole('button').allInnerTexts();
      const changing = buttons.map((b) => b.trim()).filter((b) => b !== 'Apply');
      assert.deepEqual(changing, [], `no changing button on ${p || '/'} for a viewer`);
      assert.equal(await viewer.page.locator('main input[type=file], main form[aria-label^="Edit"], main form[aria-label^="Create"], main form[aria-label^="Add"]').count(), 0, `no edit form on ${p || '/'}`);
    }
    await screenshot(viewer.page, 'viewer-keys');
    // Billing details are for the billing role and above: the tabs are not offered.
    await viewer.page.goto('/a/aurora/billing');
    assert.equal(await viewer.page.getByRole('link', { name: 'Ledger' }).count(), 0);

    // The server decides, whatever the page shows: an upload through the console is refused.
    const refused = await viewer.page.request.post(`/api/a/admin/authorities/aurora/contents?title=Sneaky`, {
      headers: { 'x-tessera-console': '1', 'content-type': 'application/octet-stream' },
      data: Buffer.from('not allowed'),
    });
    assert.equal(refused.status(), 403);
    assert.equal((await refused.json()).code, 'forbidden');
    await viewer.context.close();
    assert.deepEqual(viewer.errors, []);
  });

  test('every page fits at 1280 px and at 390 px wide (screenshots in test-artifacts/console)', async () => {
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
    try {
      for (const width of [1280, 390]) {
        await owner.setViewportSize({ width, height: 900 });
        for (const [name, p] of pages) {
          await owner.goto(`/a/aurora${p}`);
          await owner.locator('main h1').first().waitFor();
          const overflow = await owner.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
          assert.ok(overflow <= 0, `${name} scrolls sideways by ${overflow} px at ${width} px`);
          await screenshot(owner, `${name}-${width}`);
        }
      }
      await owner.setViewportSize({ width: 390, height: 900 });
      await owner.goto('/a/aurora');
      assert.equal(await owner.getByRole('link', { name: 'Audit log' }).isVisible(), false, 'the navigation folds away on a phone');
      await owner.getByRole('button', { name: 'Menu' }).click();
      await owner.getByRole('link', { name: 'Audit log' }).click();
      await owner.getByRole('heading', { name: 'Audit log' }).waitFor();
    } finally {
      await owner.setViewportSize({ width: 1280, height: 900 });
    }
  });

  test('the audit log lists the actions taken in the console and filters them', async () => {
    await owner.goto('/a/aurora/audit?action=device.revoke');
    const entries = owner.getByRole('region', { name: 'Audit log' }).getByRole('row');
    await entries.nth(1).waitFor();
    const texts = await entries.allInnerTexts();
    assert.ok(texts.slice(1).every((t) => t.includes('device.revoke')), 'only the revocation is listed');
    assert.ok(texts.slice(1).some((t) => t.includes(OWNER_A.email)), 'with who did it');
  });

  test('signing out ends the session at the server', async () => {
    await owner.goto('/a/aurora');
    await owner.getByRole('button', { name: 'Sign out' }).click();
    await owner.waitForURL(/\/a\/login$/);
    await owner.goto('/a/aurora/users');
    await owner.waitForURL(/\/a\/login/);
    assert.equal((await owner.context().cookies()).some((c) => c.name === 'tessera_console_a'), false);
    assert.deepEqual(pageErrors, [], 'no script error in any page');
  });
});
