/**
 * An in-process stand-in for license servers, reached through an injected `fetch`: enough
 * of the device API to drive the Device class end to end without a server. It checks
 * what a real server must — device proofs bound to method, URL and body bytes, request
 * schemas — and answers with bodies parsed through the protocol's response schemas, so
 * the device is held to the wire contract. Cryptography is real throughout.
 */
import { createHash, randomBytes } from 'node:crypto';
import { catalogEntrySchema, catalogResponseSchema, deviceLicenseListSchema, deviceListSchema, deviceProofClaimsSchema, deviceSchema, DEVICE_PROOF_SCHEME, jwkThumbprint, jwksSchema, licenseRequestSchema, licenseResponseSchema, licenseStatusSchema, moveAckResponseSchema, moveRequestSchema, moveResponseSchema, newId, registerDeviceRequestSchema, registerDeviceResponseSchema, sha256Base64url, signJws, TesseraProblem, TOKEN_TYPES, verifyJws, whoamiResponseSchema, wrapContentKey, type CatalogEntry, type LicenseOrigin, type LicenseState, type Money, type MoveState, type PublicEcJwk, type Rights } from '@tessera/protocol';
import { encryptPackage } from '@tessera/protocol/node';
import type { z } from 'zod';
import { createTestAuthority, type TestAuthority } from './tokens.ts';

interface FakeUser {
  id: string;
  username: string;
  password: string;
}
interface FakeDevice {
  clientId: string;
  leafId: number;
  publicJwk: PublicEcJwk;
  userId: string;
  label: string | null;
  status: 'active' | 'revoked';
  registeredAt: string;
  revokedAt: string | null;
}
interface FakeContent {
  entry: CatalogEntry;
  contentKey: Uint8Array;
  pkg: Buffer;
  plaintext: Buffer;
  rights: Rights;
}
interface FakeLicense {
  licenseId: string;
  contentId: string;
  clientId: string;
  state: LicenseState;
  rights: Rights;
  origin: LicenseOrigin;
  token: string;
  issuedAt: string;
  updatedAt: string;
}
interface FakeMove {
  moveId: string;
  state: MoveState;
  contentId: string;
  source: { authority: string; clientId: string; licenseId: string };
  destination: { authority: string; clientId: string; licenseId: string };
  certificate: string;
  createdAt: string;
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
}

const hex = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');
const iso = (): string => new Date().toISOString();
const nowSeconds = (): number => Math.floor(Date.now() / 1000);

export class FakeNetwork {
  readonly authorities = new Map<string, FakeAuthority>();
  readonly requests: RecordedRequest[] = [];

  async addAuthority(issuer: string): Promise<FakeAuthority> {
    const authority = new FakeAuthority(this, await createTestAuthority(issuer));
    this.authorities.set(issuer, authority);
    return authority;
  }

  readonly fetch = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input.toString() : input.url);
    const method = (init.method ?? 'GET').toUpperCase();
    const headers = new Headers(init.headers);
    this.requests.push({ method, url: url.href, headers: Object.fromEntries(headers.entries()) });
    const body = init.body === undefined || init.body === null ? Buffer.alloc(0) : Buffer.from(init.body as Uint8Array);
    const authority = [...this.authorities.values()].find((a) => url.href.startsWith(`${a.issuer}/`));
    if (!authority) throw new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } });
    try {
      return await authority.handle(method, url, headers, body);
    } catch (error) {
      if (error instanceof TesseraProblem) return problemResponse(error);
      throw error;
    }
  };
}

function problemResponse(problem: TesseraProblem): Response {
  return new Response(JSON.stringify(problem.toDocument()), { status: problem.status, headers: { 'content-type': 'application/problem+json' } });
}

function json<T>(schema: z.ZodType<T>, value: T, status = 200): Response {
  // Parsed like a real server parses its answers: nothing undeclared leaves.
  return new Response(JSON.stringify(schema.parse(value)), { status, headers: { 'content-type': 'application/json' } });
}

export class FakeAuthority {
  readonly network: FakeNetwork;
  readonly keys: TestAuthority;
  readonly users = new Map<string, FakeUser>();
  readonly devices = new Map<string, FakeDevice>();
  readonly contents = new Map<string, FakeContent>();
  readonly licenses = new Map<string, FakeLicense>();
  readonly moves = new Map<string, FakeMove>();
  readonly #seenProofs = new Set<string>();
  #nextLeaf = 0;
  /** Catalogue pages hold at most this many entries, whatever the client asks. */
  pageSize = 2;
  /** The next package download stops after this many bytes (a dropped connection). */
  cutNextDownloadAt: number | null = null;
  /** Acknowledgements fail as if the server were down. */
  failAcks = false;

  constructor(network: FakeNetwork, keys: TestAuthority) {
    this.network = network;
    this.keys = keys;
  }

  get issuer(): string {
    return this.keys.issuer;
  }

  addUser(username: string, password: string): FakeUser {
    const user = { id: newId('user'), username, password };
    this.users.set(username, user);
    return user;
  }

  async addContent(title: string, plaintext: Buffer, options: { price?: Money; rights?: Rights } = {}): Promise<CatalogEntry> {
    const contentKey = randomBytes(32);
    const pkg = Buffer.from(await encryptPackage(contentKey, plaintext, 1024));
    const entry: CatalogEntry = {
      id: newId('content'),
      title,
      description: null,
      mediaType: 'application/octet-stream',
      size: plaintext.length,
      packageSize: pkg.length,
      sha256: hex(plaintext),
      packageSha256: hex(pkg),
      price: options.price ?? { amount: 499, currency: 'EUR' },
      status: 'available',
    };
    this.contents.set(entry.id, { entry, contentKey, pkg, plaintext, rights: options.rights ?? { play: true } });
    return entry;
  }

  /** A new signing key becomes the active one; the old stays published. */
  async rotateSigningKey(): Promise<void> {
    const next = await createTestAuthority(this.issuer);
    this.keys.signing = next.signing;
    this.keys.jwks = { keys: [...next.jwks.keys.filter((k) => k.use === 'sig'), ...this.keys.jwks.keys] };
  }

  async handle(method: string, url: URL, headers: Headers, body: Buffer): Promise<Response> {
    const path = url.pathname.slice(new URL(this.issuer).pathname.length);
    const route = `${method} ${path.replace(/\/(cnt|lic|mov|cli)_[A-Za-z0-9_-]+/g, '/:id')}`;
    const id = /\/((?:cnt|lic|mov|cli)_[A-Za-z0-9_-]+)/.exec(path)?.[1] ?? '';

    if (route === 'GET /jwks.json') return json(jwksSchema, this.keys.jwks);
    if (route === 'POST /devices') return this.#register(method, url, headers, body);

    const device = await this.#authenticate(method, url, headers, body);
    switch (route) {
      case 'GET /me':
        return json(whoamiResponseSchema, { clientId: device.clientId, leafId: device.leafId, label: device.label, authority: this.issuer, user: this.#userSummary(device.userId) });
      case 'GET /devices':
        return json(deviceListSchema, { items: [...this.devices.values()].filter((d) => d.userId === device.userId).map((d) => this.#deviceView(d)), limit: 50 });
      case 'DELETE /devices/:id': {
        const target = this.devices.get(id);
        if (!target || target.userId !== device.userId) throw new TesseraProblem('not_found');
        target.status = 'revoked';
        target.revokedAt = iso();
        return json(deviceSchema, this.#deviceView(target));
      }
      case 'GET /contents': {
        const start = Number(url.searchParams.get('cursor') ?? '0');
        const limit = Math.min(Number(url.searchParams.get('limit') ?? '50'), this.pageSize);
        const all = [...this.contents.values()].map((c) => c.entry);
        const items = all.slice(start, start + limit);
        return json(catalogResponseSchema, { items, nextCursor: start + limit < all.length ? String(start + limit) : null });
      }
      case 'GET /contents/:id':
        return json(catalogEntrySchema, this.#content(id).entry);
      case 'GET /contents/:id/package':
        return this.#package(this.#content(id), headers);
      case 'POST /licenses':
        return this.#issueLicense(device, licenseRequestSchema.parse(JSON.parse(body.toString('utf8'))).contentId);
      case 'GET /licenses':
        return json(deviceLicenseListSchema, { items: [...this.licenses.values()].filter((l) => l.clientId === device.clientId).map((l) => this.#licenseStatus(l)) });
      case 'GET /licenses/:id': {
        const license = this.licenses.get(id);
        if (!license || license.clientId !== device.clientId) throw new TesseraProblem('license_unknown');
        return json(licenseStatusSchema, this.#licenseStatus(license));
      }
      case 'POST /moves':
        return this.#move(device, moveRequestSchema.parse(JSON.parse(body.toString('utf8'))));
      case 'POST /moves/:id/ack': {
        if (this.failAcks) throw new TesseraProblem('unavailable');
        const move = this.moves.get(id);
        if (!move || move.destination.clientId !== device.clientId) throw new TesseraProblem('move_unknown');
        move.state = 'delivered';
        return json(moveAckResponseSchema, { moveId: move.moveId, state: move.state });
      }
      default:
        throw new TesseraProblem('not_found', `no route ${route}`);
    }
  }

  /** The destination side of a move (claim 3): issues the destination's license and signs the copy certificate. */
  async issueCopyCertificate(input: { moveId: string; contentId: string; contentKey: Uint8Array; rights: Rights; source: { iss: string; sub: string; lic: string }; destinationClientId: string; userGlobalId: string }): Promise<{ certificate: string; licenseId: string }> {
    const destination = this.devices.get(input.destinationClientId);
    if (!destination) throw new TesseraProblem('move_destination_unknown');
    if (!this.contents.has(input.contentId)) {
      // A content arriving from a peer: this authority now knows its key.
      const source = [...this.network.authorities.values()].find((a) => a.contents.has(input.contentId))!.contents.get(input.contentId)!;
      this.contents.set(input.contentId, { ...source });
    }
    const license = await this.#newLicense(destination, input.contentId, input.contentKey, input.rights, { type: 'move', move: input.moveId });
    const certificate = await signJws(
      {
        iss: this.issuer,
        jti: newId('certificate'),
        move: input.moveId,
        src: input.source,
        dst: { iss: this.issuer, sub: destination.clientId },
        cid: input.contentId,
        uid: input.userGlobalId,
        license: license.token,
        iat: nowSeconds(),
        exp: nowSeconds() + 86400,
      },
      { typ: TOKEN_TYPES.copyCertificate, key: this.keys.signing.privateJwk },
    );
    return { certificate, licenseId: license.licenseId };
  }

  async #register(method: string, url: URL, headers: Headers, body: Buffer): Promise<Response> {
    const request = registerDeviceRequestSchema.parse(JSON.parse(body.toString('utf8')));
    const proof = await this.#verifyProof(method, url, headers, body, (header) => (header.jwk as PublicEcJwk | undefined) ?? null);
    if ((await jwkThumbprint(proof.header.jwk!)) !== (await jwkThumbprint(request.publicKey))) throw new TesseraProblem('proof_invalid', 'the proof key is not the registered key');
    const user = this.users.get(request.credentials.username);
    if (!user || user.password !== request.credentials.password) throw new TesseraProblem('invalid_credentials');
    const device: FakeDevice = {
      clientId: newId('client'),
      leafId: this.#nextLeaf++,
      publicJwk: request.publicKey,
      userId: user.id,
      label: request.label ?? null,
      status: 'active',
      registeredAt: iso(),
      revokedAt: null,
    };
    this.devices.set(device.clientId, device);
    const clientCertificate = await signJws(
      { iss: this.issuer, sub: device.clientId, uid: user.id, leaf: device.leafId, cnf: { jwk: request.publicKey }, iat: nowSeconds() },
      { typ: TOKEN_TYPES.clientCertificate, key: this.keys.signing.privateJwk },
    );
    return json(
      registerDeviceResponseSchema,
      {
        clientId: device.clientId,
        leafId: device.leafId,
        authority: this.issuer,
        user: this.#userSummary(user.id),
        label: device.label,
        clientCertificate,
        authorityKeys: this.keys.jwks,
        registeredAt: device.registeredAt,
      },
      201,
    );
  }

  async #authenticate(method: string, url: URL, headers: Headers, body: Buffer): Promise<FakeDevice> {
    let device: FakeDevice | undefined;
    await this.#verifyProof(method, url, headers, body, (header) => {
      device = typeof header.kid === 'string' ? this.devices.get(header.kid) : undefined;
      return device?.publicJwk ?? null;
    });
    if (!device) throw new TesseraProblem('client_unknown');
    if (device.status !== 'active') throw new TesseraProblem('client_revoked');
    return device;
  }

  async #verifyProof(method: string, url: URL, headers: Headers, body: Buffer, resolveKey: (header: Record<string, unknown>) => PublicEcJwk | null) {
    const authorization = headers.get('authorization') ?? '';
    if (!authorization.startsWith(`${DEVICE_PROOF_SCHEME} `)) throw new TesseraProblem('proof_missing');
    const proof = await verifyJws(authorization.slice(DEVICE_PROOF_SCHEME.length + 1), {
      typ: TOKEN_TYPES.deviceProof,
      schema: deviceProofClaimsSchema,
      problem: 'proof_invalid',
      resolveKey,
    });
    const claims = proof.payload;
    if (claims.htm !== method || claims.htu !== url.href || claims.bsh !== sha256Base64url(body)) {
      throw new TesseraProblem('proof_mismatch', `proof for ${claims.htm} ${claims.htu}, request ${method} ${url.href}`);
    }
    if (Math.abs(claims.iat - nowSeconds()) > 60) throw new TesseraProblem('proof_expired');
    if (this.#seenProofs.has(claims.jti)) throw new TesseraProblem('proof_replayed');
    this.#seenProofs.add(claims.jti);
    return proof;
  }

  #content(id: string): FakeContent {
    const content = this.contents.get(id);
    if (!content) throw new TesseraProblem('content_unknown');
    return content;
  }

  #package(content: FakeContent, headers: Headers): Response {
    const total = content.pkg.length;
    const range = /^bytes=(\d+)-$/.exec(headers.get('range') ?? '');
    const start = range ? Number(range[1]) : 0;
    if (start >= total) throw new TesseraProblem('range_not_satisfiable');
    const bytes = content.pkg.subarray(start);
    const cut = this.cutNextDownloadAt;
    this.cutNextDownloadAt = null;
    let sent = false;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (!sent) {
          sent = true;
          controller.enqueue(new Uint8Array(cut === null ? bytes : bytes.subarray(0, cut)));
        } else if (cut === null) {
          controller.close();
        } else {
          // Erroring only on the next pull lets the bytes before the cut reach the device.
          controller.error(new Error('connection reset'));
        }
      },
    });
    const responseHeaders: Record<string, string> = { 'content-type': 'application/octet-stream', 'accept-ranges': 'bytes' };
    if (range) responseHeaders['content-range'] = `bytes ${start}-${total - 1}/${total}`;
    return new Response(stream, { status: range ? 206 : 200, headers: responseHeaders });
  }

  async #issueLicense(device: FakeDevice, contentId: string): Promise<Response> {
    const content = this.#content(contentId);
    const held = [...this.licenses.values()].find((l) => l.clientId === device.clientId && l.contentId === contentId && l.state === 'active');
    const license = held ?? (await this.#newLicense(device, contentId, content.contentKey, content.rights, { type: 'purchase' }));
    return json(
      licenseResponseSchema,
      {
        licenseId: license.licenseId,
        contentId,
        clientId: device.clientId,
        state: license.state,
        rights: license.rights,
        origin: license.origin,
        token: license.token,
        issuedAt: license.issuedAt,
        charged: held ? null : content.entry.price,
      },
      held ? 200 : 201,
    );
  }

  async #newLicense(device: FakeDevice, contentId: string, contentKey: Uint8Array, rights: Rights, origin: LicenseOrigin): Promise<FakeLicense> {
    const licenseId = newId('license');
    const token = await signJws(
      {
        iss: this.issuer,
        jti: licenseId,
        sub: device.clientId,
        uid: device.userId,
        cid: contentId,
        rights,
        key: await wrapContentKey(contentKey, device.publicJwk),
        origin,
        iat: nowSeconds(),
        nbf: nowSeconds(),
      },
      { typ: TOKEN_TYPES.license, key: this.keys.signing.privateJwk },
    );
    const license: FakeLicense = { licenseId, contentId, clientId: device.clientId, state: 'active', rights, origin, token, issuedAt: iso(), updatedAt: iso() };
    this.licenses.set(licenseId, license);
    return license;
  }

  async #move(device: FakeDevice, request: z.infer<typeof moveRequestSchema>): Promise<Response> {
    const license = this.licenses.get(request.licenseId);
    if (!license || license.clientId !== device.clientId) throw new TesseraProblem('license_unknown');
    if (license.state !== 'active') throw new TesseraProblem('license_not_active');
    const destinationIssuer = request.destination.authority ?? this.issuer;
    const destinationAuthority = this.network.authorities.get(destinationIssuer);
    if (!destinationAuthority) throw new TesseraProblem('move_destination_unknown');
    if (destinationIssuer === this.issuer) {
      const target = this.devices.get(request.destination.clientId);
      if (!target) throw new TesseraProblem('move_destination_unknown');
      if (target.clientId === device.clientId) throw new TesseraProblem('move_destination_is_source');
      if (target.userId !== device.userId) throw new TesseraProblem('move_destination_not_owned');
    }
    const moveId = newId('move');
    const content = this.#content(license.contentId);
    const { certificate, licenseId } = await destinationAuthority.issueCopyCertificate({
      moveId,
      contentId: license.contentId,
      contentKey: content.contentKey,
      rights: license.rights,
      source: { iss: this.issuer, sub: device.clientId, lic: license.licenseId },
      destinationClientId: request.destination.clientId,
      userGlobalId: `${device.userId}@${this.issuer}`,
    });
    license.state = 'moved';
    license.updatedAt = iso();
    const move: FakeMove = {
      moveId,
      state: 'completed',
      contentId: license.contentId,
      source: { authority: this.issuer, clientId: device.clientId, licenseId: license.licenseId },
      destination: { authority: destinationIssuer, clientId: request.destination.clientId, licenseId },
      certificate,
      createdAt: iso(),
    };
    this.moves.set(moveId, move);
    if (destinationAuthority !== this) destinationAuthority.moves.set(moveId, { ...move });
    return json(moveResponseSchema, { ...move, charged: { amount: 199, currency: 'EUR' } }, 201);
  }

  #userSummary(userId: string) {
    const user = [...this.users.values()].find((u) => u.id === userId)!;
    return { id: user.id, username: user.username, globalId: `${user.id}@${this.issuer}` };
  }

  #deviceView(device: FakeDevice) {
    return {
      clientId: device.clientId,
      leafId: device.leafId,
      label: device.label,
      status: device.status,
      thumbprint: 'x'.repeat(43),
      registeredAt: device.registeredAt,
      revokedAt: device.revokedAt,
    };
  }

  #licenseStatus(license: FakeLicense) {
    return {
      licenseId: license.licenseId,
      contentId: license.contentId,
      clientId: license.clientId,
      state: license.state,
      origin: license.origin,
      issuedAt: license.issuedAt,
      updatedAt: license.updatedAt,
    };
  }
}
