import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildRouteRequest,
  decodeJwsUnverified,
  newId,
  parseRouteAnswer,
  problemFromDocument,
  signJws,
  TOKEN_TYPES,
  type AdminContent,
  type Jwks,
  type RouteInput,
  type RouteName,
  type RouteOutput,
  type Rights,
} from '@tessera/protocol';
import { createAuthority, createTesseraServer, hashPassword, schema, type TesseraServer } from '@tessera/license-server';
import { and, eq } from 'drizzle-orm';

/*
 * A real license server for the client's tests: `createTesseraServer` on an in-memory PGlite
 * in a temporary data directory, listening on 127.0.0.1 and a free port. Authorities are
 * created with the server's domain function; users, contents, keys, peers and links through
 * its admin API, called by route name over the protocol's route client as the console calls it.
 */

const OPERATOR = { email: 'operator@client-tests.example', password: 'operator password' };

/** A content as a test keeps it: its catalogue entry and the plaintext a play must give back. */
export interface TestContent {
  entry: AdminContent;
  plaintext: Buffer;
}

export class TestLicenseServer {
  readonly url: string;
  readonly server: TesseraServer;
  readonly #http: Server;
  readonly #dataDir: string;
  #session = '';

  private constructor(url: string, server: TesseraServer, http: Server, dataDir: string) {
    this.url = url;
    this.server = server;
    this.#http = http;
    this.#dataDir = dataDir;
  }

  static async start(): Promise<TestLicenseServer> {
    const dataDir = await mkdtemp(join(tmpdir(), 'tessera-client-server-'));
    // The public URL is part of every issuer, so the port is bound before the server is built.
    const http = createServer();
    http.listen(0, '127.0.0.1');
    await once(http, 'listening');
    const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    const server = await createTesseraServer({
      publicUrl: url,
      dataDir,
      databaseUrl: 'memory://',
      masterKey: randomBytes(32).toString('base64'),
      backgroundJobs: false,
      allowPrivatePeers: ['127.0.0.1'],
      logLevel: (process.env.TESSERA_TEST_LOG_LEVEL ?? 'silent') as 'silent',
    });
    http.on('request', server.app);
    const started = new TestLicenseServer(url, server, http, dataDir);
    await server.ctx.db
      .insert(schema.adminUsers)
      .values({ id: newId('admin'), email: OPERATOR.email, passwordHash: await hashPassword(OPERATOR.password), isOperator: true });
    await started.#signIn();
    return started;
  }

  /** A new authority on this server, with prices, and room for as many devices as a suite registers. */
  async authority(slug: string, prices: { license: number; move: number } = { license: 499, move: 199 }): Promise<TestAuthority> {
    const row = await createAuthority(this.server.ctx, { kind: 'cli' }, { slug, name: slug, deviceLimit: 1000, prices });
    return new TestAuthority(this, row.id, slug, this.server.ctx.authorities.issuer(slug));
  }

  /** Calls an admin route as the server's operator; a refusal throws its TesseraProblem. */
  async admin<N extends RouteName>(name: N, input: RouteInput<N>, raw?: { body: Buffer; type: string }): Promise<RouteOutput<N>> {
    const request = buildRouteRequest(name, input);
    const res = await fetch(`${this.url}${request.path}`, {
      method: request.method,
      headers: { cookie: this.#session, ...(request.body !== undefined ? { 'content-type': 'application/json' } : raw ? { 'content-type': raw.type } : {}) },
      body: request.body ?? raw?.body ?? null,
    });
    const text = await res.text();
    const json = text && /json/.test(res.headers.get('content-type') ?? '') ? JSON.parse(text) : text;
    if (res.status >= 400) throw problemFromDocument(json, res.status);
    return parseRouteAnswer(name, { status: res.status, body: json });
  }

  async close(): Promise<void> {
    this.#http.closeAllConnections();
    await new Promise<void>((resolve) => this.#http.close(() => resolve()));
    await this.server.close();
    await rm(this.#dataDir, { recursive: true, force: true });
  }

  async #signIn(): Promise<void> {
    const request = buildRouteRequest('login', { body: OPERATOR });
    const res = await fetch(`${this.url}${request.path}`, {
      method: request.method,
      headers: { 'content-type': 'application/json' },
      body: request.body ?? null,
    });
    if (res.status !== 200) throw new Error(`the operator cannot sign in: ${res.status} ${await res.text()}`);
    this.#session = res.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
  }
}

export class TestAuthority {
  readonly server: TestLicenseServer;
  readonly id: string;
  readonly slug: string;
  readonly issuer: string;
  /** The contents added through this object, by ID. */
  readonly contents = new Map<string, TestContent>();

  constructor(server: TestLicenseServer, id: string, slug: string, issuer: string) {
    this.server = server;
    this.id = id;
    this.slug = slug;
    this.issuer = issuer;
  }

  async addUser(username: string, password: string): Promise<{ id: string; username: string; globalId: string }> {
    return this.server.admin('createUser', { params: { authority: this.slug }, body: { username, password } });
  }

  /** Uploads a plaintext: the server encrypts it into a package with a fresh content key. */
  async addContent(title: string, plaintext: Buffer): Promise<AdminContent> {
    const entry = await this.server.admin(
      'uploadContent',
      { params: { authority: this.slug }, query: { title } },
      { body: plaintext, type: 'application/octet-stream' },
    );
    this.contents.set(entry.id, { entry, plaintext });
    return entry;
  }

  /** The authority's published keys, as a device fetches them. */
  async jwks(): Promise<Jwks> {
    const res = await fetch(`${this.issuer}/jwks.json`);
    return parseRouteAnswer('jwks', { status: res.status, body: await res.json() });
  }

  /** One rotation: the next keys become active, a fresh next key is published. */
  async rotateKeys(): Promise<void> {
    await this.server.admin('rotateKeys', { params: { authority: this.slug }, body: { use: 'both' } });
  }

  async move(moveId: string): Promise<{ state: string } | null> {
    return this.server.admin('getMove', { params: { authority: this.slug, moveId } }).catch(() => null);
  }

  /** How many moves this authority recorded. */
  async moveCount(): Promise<number> {
    let count = 0;
    let cursor: string | undefined;
    do {
      const page = await this.server.admin('listMoves', { params: { authority: this.slug }, query: { limit: 200, ...(cursor ? { cursor } : {}) } });
      count += page.items.length;
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return count;
  }

  /** Peers this authority with another, pinning the thumbprint its discovery shows. */
  async peerWith(other: TestAuthority): Promise<void> {
    const discovered = await this.server.admin('discoverPeer', { params: { authority: this.slug }, query: { issuer: other.issuer } });
    await this.server.admin('addPeer', { params: { authority: this.slug }, body: { issuer: other.issuer, thumbprint: discovered.thumbprint } });
  }

  /** Links one of this authority's users to an account at a peer (operator-established). */
  async linkUser(userId: string, peerGlobalId: string): Promise<void> {
    await this.server.admin('createUserLink', { params: { authority: this.slug, userId }, body: { peerUser: peerGlobalId } });
  }

  /*
   * No route revokes a license or sells limited plays yet; these two write the license's row as
   * such a feature would, with a token signed by the authority's own active key.
   */

  async revokeLicense(licenseId: string): Promise<void> {
    const { licenses } = schema;
    await this.server.server.ctx.db
      .update(licenses)
      .set({ state: 'revoked', updatedAt: new Date() })
      .where(and(eq(licenses.authorityId, this.id), eq(licenses.id, licenseId)));
  }

  /** Re-grants a license with other rights; the device picks it up when it asks for its license again. */
  async regrantLicense(licenseId: string, rights: Rights): Promise<void> {
    const { licenses } = schema;
    const where = and(eq(licenses.authorityId, this.id), eq(licenses.id, licenseId));
    const [row] = await this.server.server.ctx.db.select().from(licenses).where(where);
    if (!row) throw new Error(`no license ${licenseId} at ${this.slug}`);
    const signing = await this.server.server.ctx.keyring.signingKey(this.id);
    const token = await signJws({ ...decodeJwsUnverified(row.token).payload, rights }, { typ: TOKEN_TYPES.license, key: signing.key, kid: signing.kid });
    await this.server.server.ctx.db.update(licenses).set({ rights, token }).where(where);
  }
}
