import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { answerClientErrors } from '../../src/http/errors.ts';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import supertest from 'supertest';
import { pino } from 'pino';
import { createDeviceProof, generateEcKeyPair, type GeneratedKeyPair, type RegisterDeviceResponse } from '@tessera/protocol';
import { insertAuthority, type NewAuthority } from '../../src/authorities/create-authority.ts';
import { hashPassword } from '../../src/admin/passwords.ts';
import { createApp } from '../../src/http/app.ts';
import { routeModules } from '../../src/routes.ts';
import { createTesseraServer, type TesseraServer } from '../../src/server.ts';
import { openDatabase, type Database } from '../../src/storage/db.ts';
import { adminRoles, adminUsers, users } from '../../src/storage/schema.ts';
import { newId } from '@tessera/protocol';
import type { ServerConfigInput } from '../../src/config.ts';

/**
 * Which database the suites run on: PGlite in memory by default; a PostgreSQL server when
 * TESSERA_TEST_DATABASE_URL names one (each harness then creates and drops its own database).
 */
export const testEngine = (): 'pglite' | 'postgres' => (process.env.TESSERA_TEST_DATABASE_URL ? 'postgres' : 'pglite');

export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const base = process.env.TESSERA_TEST_DATABASE_URL;
  if (!base) return { url: 'memory://', drop: async () => {} };
  const name = `tessera_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      // pg's pool.end() resolves before its connections have closed; a forced drop would kill them
      // mid-close and their 'error' events would surface as uncaught exceptions in the suite.
      for (let i = 0; i < 100; i++) {
        const { rows } = await c.query('select count(*)::int as n from pg_stat_activity where datname = $1', [name]);
        if (rows[0].n === 0) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

export interface Harness {
  server: TesseraServer;
  http: Server;
  url: string;
  request: () => supertest.Agent;
  dataDir: string;
  database: Database;
  /** Creates an authority (with keys and optional prices) directly through the domain layer. */
  authority(input: Partial<NewAuthority> & { slug: string }): Promise<{ id: string; slug: string; issuer: string }>;
  user(authorityId: string, username: string, password?: string): Promise<{ id: string; username: string; password: string }>;
  admin(
    email: string,
    password: string,
    roles: { authorityId: string; role: 'owner' | 'admin' | 'billing' | 'viewer' }[],
    operator?: boolean,
  ): Promise<{ id: string }>;
  /** A supertest agent signed in as the given administrator. */
  adminAgent(email: string, password: string): Promise<supertest.Agent>;
  /** A second app instance on the same database, as behind a load balancer. */
  secondInstance(): Promise<{ http: Server; url: string; close(): Promise<void> }>;
  close(): Promise<void>;
}

export async function startHarness(overrides: Partial<ServerConfigInput> = {}): Promise<Harness> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'tessera-test-'));
  const testDb = await createTestDatabase();
  const http = createServer();
  answerClientErrors(http);
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const logger = pino({ level: process.env.TESSERA_TEST_LOG_LEVEL ?? 'silent' });
  const database = await openDatabase({ databaseUrl: testDb.url, dataDir, poolSize: 20 });
  const config: ServerConfigInput = {
    publicUrl: url,
    dataDir,
    databaseUrl: testDb.url,
    masterKey: randomBytes(32).toString('base64'),
    backgroundJobs: false,
    // Test servers peer with each other on loopback addresses.
    allowPrivatePeers: ['127.0.0.1'],
    ...overrides,
  };
  const server = await createTesseraServer(config, { logger, database });
  http.on('request', server.app);
  const extra: { close(): Promise<void> }[] = [];

  const harness: Harness = {
    server,
    http,
    url,
    dataDir,
    database,
    request: () => supertest.agent(http),
    async authority(input) {
      const row = await server.ctx.db.transaction((tx) => insertAuthority(server.ctx, tx, { name: input.slug, ...input }));
      return { id: row.id, slug: row.slug, issuer: server.ctx.authorities.issuer(row.slug) };
    },
    async user(authorityId, username, password = 'correct horse battery') {
      const id = newId('user');
      await server.ctx.db.insert(users).values({ authorityId, id, username, passwordHash: await hashPassword(password) });
      return { id, username, password };
    },
    async admin(email, password, roles, operator = false) {
      const id = newId('admin');
      await server.ctx.db.insert(adminUsers).values({ id, email, passwordHash: await hashPassword(password), isOperator: operator });
      if (roles.length) await server.ctx.db.insert(adminRoles).values(roles.map((r) => ({ ...r, adminId: id })));
      return { id };
    },
    async adminAgent(email, password) {
      const agent = supertest.agent(http);
      const res = await agent.post('/admin/session').send({ email, password });
      if (res.status !== 200) throw new Error(`admin login failed: ${res.status} ${JSON.stringify(res.body)}`);
      return agent;
    },
    async secondInstance() {
      // An in-memory PGlite cannot be opened twice: the second instance shares the same handle.
      const secondDb = testDb.url === 'memory://' ? database : await openDatabase({ databaseUrl: testDb.url, dataDir, poolSize: 20 });
      const second = await createTesseraServer({ ...config }, { logger, database: secondDb });
      const http2 = createServer(createApp(second.ctx, routeModules));
      http2.listen(0, '127.0.0.1');
      await once(http2, 'listening');
      const handle = {
        http: http2,
        url: `http://127.0.0.1:${(http2.address() as AddressInfo).port}`,
        async close() {
          http2.closeAllConnections();
          await new Promise<void>((r) => http2.close(() => r()));
          if (secondDb !== database) await secondDb.close();
        },
      };
      extra.push(handle);
      return handle;
    },
    async close() {
      for (const e of extra) await e.close();
      http.closeAllConnections();
      await new Promise<void>((r) => http.close(() => r()));
      await server.close();
      await database.close();
      await testDb.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return harness;
}

/**
 * A device as a test drives it: a real P-256 key, real proofs, real HTTP. It speaks the
 * wire protocol directly (not through the client SDK) so server tests pin the contract.
 */
export class TestDevice {
  clientId = '';
  registration?: RegisterDeviceResponse;

  private constructor(
    readonly harness: Harness,
    readonly slug: string,
    readonly key: GeneratedKeyPair,
  ) {}

  static async create(harness: Harness, slug: string): Promise<TestDevice> {
    return new TestDevice(harness, slug, await generateEcKeyPair('sig'));
  }

  /** Registers with username/password; returns the raw response (status checked by the caller). */
  async register(username: string, password: string, label?: string, headers: Record<string, string> = {}) {
    const path = `/t/${this.slug}/devices`;
    const body = JSON.stringify({ credentials: { type: 'password', username, password }, publicKey: this.key.publicJwk, ...(label ? { label } : {}) });
    const proof = await createDeviceProof({ method: 'POST', url: `${this.harness.url}${path}`, body, key: this.key.privateJwk, jwk: this.key.publicJwk });
    const res = await this.harness
      .request()
      .post(path)
      .set(headers)
      .set('Content-Type', 'application/json')
      .set('Authorization', `Tessera-Proof ${proof}`)
      .send(body);
    if (res.status === 201) {
      this.registration = res.body;
      this.clientId = res.body.clientId;
    }
    return res;
  }

  /** Signs a proof for exactly this request and sends it. */
  async call(method: 'GET' | 'POST' | 'DELETE' | 'PATCH', path: string, body?: unknown, headers: Record<string, string> = {}) {
    const full = path.startsWith('/t/') ? path : `/t/${this.slug}${path}`;
    const raw = body === undefined ? undefined : JSON.stringify(body);
    const proof = await createDeviceProof({ method, url: `${this.harness.url}${full}`, body: raw ?? '', key: this.key.privateJwk, clientId: this.clientId });
    let req = this.harness.request()[method.toLowerCase() as 'get' | 'post' | 'delete' | 'patch'](full).set('Authorization', `Tessera-Proof ${proof}`);
    for (const [k, v] of Object.entries(headers)) req = req.set(k, v);
    if (raw !== undefined) req = req.set('Content-Type', 'application/json').send(raw);
    return req;
  }

  /** Signs a proof for a request without sending it (for replay and tampering tests). */
  proofFor(method: string, path: string, body = '', now?: number) {
    const full = path.startsWith('/t/') ? path : `/t/${this.slug}${path}`;
    return createDeviceProof({ method, url: `${this.harness.url}${full}`, body, key: this.key.privateJwk, clientId: this.clientId, ...(now ? { now } : {}) });
  }
}

/** Asserts a problem+json answer and returns its body. */
export function expectProblem(res: supertest.Response, status: number, code: string) {
  if (res.status !== status || res.body?.code !== code || !String(res.headers['content-type']).startsWith('application/problem+json')) {
    throw new Error(`expected ${status} ${code} problem, got ${res.status} ${res.headers['content-type']} ${JSON.stringify(res.body)}`);
  }
  if (res.body.type !== `urn:tessera:problem:${code}`) throw new Error(`bad problem type ${res.body.type}`);
  return res.body as { code: string; detail?: string; title: string };
}
