import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createDeviceProof, generateEcKeyPair, type GeneratedKeyPair } from '@tessera/protocol';
import { openDatabase, type Database } from '../../../servers/license-server/src/storage/db.ts';
import { createTestDatabase } from '../../../servers/license-server/test/support/harness.ts';
import { freePort, serverBin, serverCommand } from '../../support/server-process.ts';

/*
 * Real `tessera-server` processes for the federation scenarios: each authority's storage
 * (a PGlite data directory, or a PostgreSQL database when TESSERA_TEST_DATABASE_URL is set)
 * outlives its processes, so a server can be killed and started again at the same address —
 * its issuer URL, and so its peers' trust, stays the same.
 */

export const engine = (): 'pglite' | 'postgres' => (process.env.TESSERA_TEST_DATABASE_URL ? 'postgres' : 'pglite');

/** Where one authority's server keeps its state across restarts. */
export class Storage {
  private constructor(
    readonly dataDir: string,
    readonly databaseUrl: string | undefined,
    readonly masterKey: string,
    private readonly dropDatabase: () => Promise<void>,
  ) {}

  static async create(label: string): Promise<Storage> {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), `tessera-${label}-`));
    const db = engine() === 'postgres' ? await createTestDatabase() : null;
    return new Storage(dataDir, db?.url, randomBytes(32).toString('base64'), db ? () => db.drop() : async () => {});
  }

  env(): NodeJS.ProcessEnv {
    return { TESSERA_DATA_DIR: this.dataDir, TESSERA_MASTER_KEY: this.masterKey, DATABASE_URL: this.databaseUrl ?? '' };
  }

  /** Opens the database directly (with PGlite only while no server holds the data directory). */
  open(): Promise<Database> {
    return openDatabase({ databaseUrl: this.databaseUrl, dataDir: this.dataDir, poolSize: 4 });
  }

  async destroy(): Promise<void> {
    await this.dropDatabase();
    await rm(this.dataDir, { recursive: true, force: true });
  }
}

/** One `tessera-server start` process at a fixed port, restartable with other settings. */
export class ServerNode {
  child: ChildProcess | null = null;
  output = '';
  private exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | null = null;

  constructor(
    readonly storage: Storage,
    readonly port: number,
    /** The URL clients and peers use; every instance of one server shares it. */
    readonly publicUrl: string,
  ) {}

  static async create(storage: Storage, publicUrl?: string): Promise<ServerNode> {
    const port = await freePort();
    return new ServerNode(storage, port, publicUrl ?? `http://127.0.0.1:${port}`);
  }

  /** Where this very process listens (for a second instance, not the public URL). */
  get address(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return {
      ...this.storage.env(),
      TESSERA_HOST: '127.0.0.1',
      TESSERA_PORT: String(this.port),
      TESSERA_PUBLIC_URL: this.publicUrl,
      TESSERA_LOG_LEVEL: 'error',
      TESSERA_PEER_TIMEOUT_MS: '2000',
      // Both servers run on this machine: their peer is a loopback address.
      TESSERA_ALLOW_PRIVATE_PEERS: '127.0.0.1',
      TESSERA_MOVE_RECOVERY_INTERVAL_MS: '200',
      TESSERA_CRASH_AT: '',
      ...extra,
    };
  }

  /** An administrative command against this server's storage (with PGlite, only while it is stopped). */
  async command(args: string[]): Promise<string> {
    const res = await serverCommand(args, this.env());
    assert.equal(res.code, 0, `tessera-server ${args.join(' ')}: ${res.stderr}`);
    return res.stdout;
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts the server and waits until it answers; `crashAt` arms a crash point (TESSERA_CRASH_AT). */
  async start(options: { crashAt?: string } = {}): Promise<void> {
    assert.ok(!this.running, 'already running');
    const child = spawn(process.execPath, [serverBin, 'start'], {
      env: { ...process.env, NODE_OPTIONS: '', ...this.env({ TESSERA_CRASH_AT: options.crashAt ?? '' }) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.output = '';
    child.stdout!.on('data', (d) => (this.output += d));
    child.stderr!.on('data', (d) => (this.output += d));
    this.exit = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    const deadline = Date.now() + 120_000;
    for (;;) {
      if (!this.running) throw new Error(`tessera-server exited while starting:\n${this.output}`);
      try {
        if ((await fetch(`${this.address}/healthz`)).ok) return;
      } catch {
        /* not listening yet */
      }
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`tessera-server did not start within 120 s:\n${this.output}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Resolves when the process has ended, with how it ended. */
  async exited(timeoutMs = 30_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    assert.ok(this.exit, 'never started');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>(
      (_, reject) => (timer = setTimeout(() => reject(new Error(`tessera-server did not exit within ${timeoutMs} ms:\n${this.output}`)), timeoutMs)),
    );
    try {
      return await Promise.race([this.exit, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (!this.running) return;
    this.child!.kill(signal);
    await this.exited();
  }
}

/** An administrator's session over the admin API, as the console holds it. */
export class AdminSession {
  private constructor(
    private readonly base: string,
    private readonly cookie: string,
  ) {}

  static async signIn(base: string, email: string, password: string): Promise<AdminSession> {
    const res = await fetch(`${base}/admin/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
    });
    assert.equal(res.status, 200, `sign-in of ${email}: ${res.status} ${await res.text()}`);
    return new AdminSession(
      base,
      res.headers
        .getSetCookie()
        .map((c) => c.split(';')[0])
        .join('; '),
    );
  }

  async request(method: string, route: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
    const raw = body === undefined ? undefined : Buffer.isBuffer(body) ? body : JSON.stringify(body);
    const res = await fetch(`${this.base}${route}`, {
      method,
      headers: {
        cookie: this.cookie,
        ...(raw === undefined ? {} : { 'content-type': Buffer.isBuffer(body) ? 'application/octet-stream' : 'application/json' }),
        ...headers,
      },
      body: raw,
    });
    const text = await res.text();
    return { status: res.status, body: text && (res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text };
  }

  async get(route: string): Promise<any> {
    const res = await this.request('GET', route);
    assert.equal(res.status, 200, `GET ${route}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  async post(route: string, body: unknown = {}, expected = [200, 201]): Promise<any> {
    const res = await this.request('POST', route, body);
    assert.ok(expected.includes(res.status), `POST ${route}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }
}

/** A device speaking the wire protocol over HTTP with its own key and a fresh proof per request. */
export class HttpDevice {
  clientId = '';

  private constructor(
    /** Where proofs say the request goes: the authority's issuer URL. */
    readonly issuer: string,
    readonly key: GeneratedKeyPair,
  ) {}

  static async register(issuer: string, username: string, password: string, label: string): Promise<HttpDevice> {
    const device = new HttpDevice(issuer, await generateEcKeyPair('sig'));
    const body = JSON.stringify({ credentials: { type: 'password', username, password }, publicKey: device.key.publicJwk, label });
    const url = `${issuer}/devices`;
    const proof = await createDeviceProof({ method: 'POST', url, body, key: device.key.privateJwk, jwk: device.key.publicJwk });
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Tessera-Proof ${proof}` }, body });
    const json = (await res.json()) as { clientId: string };
    assert.equal(res.status, 201, `registration at ${issuer}: ${JSON.stringify(json)}`);
    device.clientId = json.clientId;
    return device;
  }

  /**
   * Signs a proof for `<issuer><route>` and sends it to `via` (another instance of the same
   * server) or to the issuer itself. A network failure (the server died) resolves with status 0.
   */
  async call(method: 'GET' | 'POST' | 'DELETE', route: string, body?: unknown, via?: string): Promise<{ status: number; body: any }> {
    const raw = body === undefined ? '' : JSON.stringify(body);
    const url = `${this.issuer}${route}`;
    const proof = await createDeviceProof({ method, url, body: raw, key: this.key.privateJwk, clientId: this.clientId });
    const target = via ? url.replace(new URL(url).origin, via) : url;
    try {
      const res = await fetch(target, {
        method,
        headers: { authorization: `Tessera-Proof ${proof}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: raw }),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null };
    } catch (error) {
      return { status: 0, body: { error: (error as Error).message } };
    }
  }
}

export interface AuthoritySpec {
  slug: string;
  name: string;
  prices: { license: number; move: number; federationFee?: number };
}

export const AURORA: AuthoritySpec = { slug: 'aurora', name: 'Aurora', prices: { license: 299, move: 99 } };
export const BOREALIS: AuthoritySpec = { slug: 'borealis', name: 'Borealis', prices: { license: 349, move: 149, federationFee: 25 } };

/** One authority's server as the scenarios drive it. */
export interface Site {
  spec: AuthoritySpec;
  node: ServerNode;
  issuer: string;
  admin: AdminSession;
  aliceId: string;
  /** Opens the admin session again (after a restart the old one is still valid: sessions live in the database). */
  signIn(): Promise<void>;
}

const ownerOf = (spec: AuthoritySpec) => ({ email: `owner@${spec.slug}.test`, password: 'owner password' });

/**
 * Creates the authority and its owner with the `tessera-server` CLI, starts the server, and
 * creates alice through the admin API.
 */
export async function prepareSite(spec: AuthoritySpec, node: ServerNode): Promise<Site> {
  const owner = ownerOf(spec);
  const priceArgs = [
    '--license-price',
    String(spec.prices.license),
    '--move-price',
    String(spec.prices.move),
    ...(spec.prices.federationFee ? ['--federation-fee', String(spec.prices.federationFee)] : []),
  ];
  await node.command(['authority', 'create', '--slug', spec.slug, '--name', spec.name, ...priceArgs]);
  await node.command(['admin', 'create', '--email', owner.email, '--password', owner.password, '--authority', spec.slug, '--role', 'owner']);
  await node.start();
  const site: Site = {
    spec,
    node,
    issuer: `${node.publicUrl}/t/${spec.slug}`,
    admin: await AdminSession.signIn(node.address, owner.email, owner.password),
    aliceId: '',
    async signIn() {
      site.admin = await AdminSession.signIn(node.address, owner.email, owner.password);
    },
  };
  const alice = await site.admin.post(`/admin/authorities/${spec.slug}/users`, { username: 'alice', password: 'wonderland' }, [201]);
  site.aliceId = alice.id;
  return site;
}

/** `from` peers with `to`: discover shows the thumbprint, the operator pins it. */
export async function peerWith(from: Site, to: Site): Promise<void> {
  const discovered = await from.admin.get(`/admin/authorities/${from.spec.slug}/peers/discover?issuer=${encodeURIComponent(to.issuer)}`);
  await from.admin.post(`/admin/authorities/${from.spec.slug}/peers`, { issuer: to.issuer, thumbprint: discovered.thumbprint }, [201]);
}

/** The destination's operator links its alice to alice at the source (identity checked out of band). */
export async function linkAlice(source: Site, destination: Site): Promise<void> {
  await destination.admin.post(
    `/admin/authorities/${destination.spec.slug}/users/${destination.aliceId}/links`,
    { peerUser: `${source.aliceId}@${source.issuer}` },
    [201],
  );
}

/** Uploads a small content at the source; returns its ID. */
export async function uploadContent(site: Site, title: string): Promise<string> {
  const body = Buffer.from(`${title}: ${randomBytes(64).toString('hex')}\n`);
  const res = await site.admin.request('POST', `/admin/authorities/${site.spec.slug}/contents?title=${encodeURIComponent(title)}&mediaType=text/plain`, body);
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.id;
}

/** Polls until `check` returns a value (not undefined), or fails with the last observation. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 120_000, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
