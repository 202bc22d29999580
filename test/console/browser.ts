// Helpers of the console's browser tests: license servers set up with the operator's CLI, the
// console served with `next start`, and Debian's Chromium driven by playwright-core.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { createTestDatabase } from '../../servers/license-server/test/support/harness.ts';
import { serverCommand, startServerProcess, type ServerProcess } from '../support/server-process.ts';

export const CHROMIUM = '/usr/bin/chromium';
// On a developer's machine without Chromium the suite is skipped with this reason; in CI (which
// installs it) a missing browser must fail the run, never pass as a skip.
export const chromiumMissing =
  existsSync(CHROMIUM) || process.env.CI
    ? false
    : `Chromium is not installed at ${CHROMIUM} (apt-get install -y chromium); the console's browser tests are skipped`;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const artifactsDir = path.join(root, 'test-artifacts/console');

export async function launchBrowser(): Promise<Browser> {
  // launch() gives every run a fresh temporary profile (user data directory).
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A browser context of its own (its own cookies), as one person at one computer. */
export async function newPerson(browser: Browser, baseURL: string, width = 1280): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.newContext({ baseURL, viewport: { width, height: 900 } });
  context.setDefaultTimeout(20_000);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  return { context, page, errors };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(artifactsDir, { recursive: true });
  await page.screenshot({ path: path.join(artifactsDir, `${name}.png`), fullPage: true });
}

export interface AuthorityServer {
  server: ServerProcess;
  url: string;
  /** The first authority of the setup. */
  slug: string;
  issuer: string;
  /** The issuer of another authority this server hosts. */
  issuerOf(slug: string): string;
  stop(): Promise<void>;
}

export interface AuthoritySetup {
  slug: string;
  name: string;
  prices: { license: number; move: number; federationFee: number };
  admins: { email: string; password: string; role: 'owner' | 'admin' | 'billing' | 'viewer' }[];
  users: { username: string; password: string }[];
}

/** A license server process hosting these authorities, set up through `tessera-server` as the README says. */
export async function startAuthorityServer(dataDir: string, setups: AuthoritySetup[]): Promise<AuthorityServer> {
  const db = await createTestDatabase();
  const env = { TESSERA_DATA_DIR: dataDir, ...(db.url !== 'memory://' ? { DATABASE_URL: db.url } : {}) };
  const commands = setups.flatMap((setup) => [
    [
      'authority',
      'create',
      '--slug',
      setup.slug,
      '--name',
      setup.name,
      '--license-price',
      String(setup.prices.license),
      '--move-price',
      String(setup.prices.move),
      '--federation-fee',
      String(setup.prices.federationFee),
    ],
    ...setup.admins.map((a) => ['admin', 'create', '--email', a.email, '--password', a.password, '--authority', setup.slug, '--role', a.role]),
    ...setup.users.map((u) => ['user', 'create', '--authority', setup.slug, '--username', u.username, '--password', u.password]),
  ]);
  for (const args of commands) {
    const res = await serverCommand(args, env);
    assert.equal(res.code, 0, `tessera-server ${args.slice(0, 2).join(' ')}: ${res.stderr}`);
  }
  const server = await startServerProcess(env);
  return {
    server,
    url: server.url,
    slug: setups[0]!.slug,
    issuer: `${server.url}/t/${setups[0]!.slug}`,
    issuerOf: (slug) => `${server.url}/t/${slug}`,
    async stop() {
      await server.stop();
      await db.drop();
    },
  };
}

/**
 * The admin API as a script would use it: to set up what a test needs without the browser, and
 * to check what the server holds, independently of the console. Every call has a deadline, so
 * a server that stops answering fails the test at once instead of stalling it.
 */
export async function adminApi(base: string, slug: string, email: string, password: string) {
  const login = await fetch(`${base}/admin/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
    signal: AbortSignal.timeout(API_TIMEOUT_MS),
  });
  assert.equal(login.status, 200, await login.clone().text());
  const cookie = login.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const call = async (method: string, route: string, body?: unknown, contentType = 'application/json') => {
    const res = await fetch(`${base}/admin/authorities/${slug}${route}`, {
      method,
      headers: { cookie, ...(body === undefined ? {} : { 'content-type': contentType }) },
      body: body === undefined ? undefined : contentType === 'application/json' ? JSON.stringify(body) : (body as Uint8Array),
      signal: AbortSignal.timeout(API_TIMEOUT_MS),
    });
    const json = res.headers.get('content-type')?.includes('json') ? await res.json() : await res.text();
    assert.ok(res.ok, `${method} ${route}: ${res.status} ${JSON.stringify(json)}`);
    return json as any;
  };
  return {
    get: (route: string) => call('GET', route),
    post: (route: string, body?: unknown) => call('POST', route, body ?? {}),
    /** Uploads a content as a catalogue script would; answers the stored content. */
    upload: (bytes: Uint8Array, query: { title: string; id?: string; mediaType?: string }) =>
      call('POST', `/contents?${new URLSearchParams({ mediaType: 'application/octet-stream', ...query })}`, bytes, 'application/octet-stream') as Promise<{
        id: string;
        title: string;
        size: number;
        sha256: string;
      }>,
  };
}

export type AdminApi = Awaited<ReturnType<typeof adminApi>>;

const API_TIMEOUT_MS = 30_000;
