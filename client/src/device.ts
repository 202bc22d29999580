import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { accountLinkListSchema, accountLinkSchema, linkAssertionResponseSchema, type AccountLink, catalogEntrySchema, catalogResponseSchema, clientCertificateClaimsSchema, decodeJwsUnverified, deviceLicenseListSchema, deviceListSchema, deviceSchema, formatZodIssues, canonicalIssuer, IssuerError, jwkThumbprint, jwksSchema, licenseResponseSchema, licenseStatusSchema, moveAckResponseSchema, moveResponseSchema, type MoveResponse, publicPart, registerDeviceRequestSchema, registerDeviceResponseSchema, rightsSchema, TesseraProblem, isProblemCode, TOKEN_TYPES, unwrapContentKey, verifyJws, whoamiResponseSchema, type CatalogEntry, type Device as DeviceInfo, type Jwks, type LicenseOrigin, type LicenseState, type Money, type MoveState, type Rights } from '@tessera/protocol';
import { BUNDLE_MANIFEST_FORMAT, BundleFormatError, openBundlePackageStream, PackageIntegrityError, readBundleManifest, writeBundle } from '@tessera/protocol/node';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { AUTHORITY_KEYS_REFETCH_INTERVAL_MS, findSigningKey, type AuthorityTrust } from './authority-keys.ts';
import { checkOutgoingCopyCertificate, verifyCopyCertificateForDevice } from './copy-certificate-verification.ts';
import {
  DeviceStore,
  fileSize,
  temporarySibling,
  type ContentRecord,
  type DeviceRecord,
  type LicenseRecord,
  type OutgoingMoveRecord,
} from './device-store.ts';
import { DeviceError } from './errors.ts';
import { TesseraHttpClient, type DownloadProgress, type FetchLike, type RequestAuth } from './http.ts';
import { verifyLicenseForDevice, type VerifiedLicense } from './license-verification.ts';
import { decryptPackageFile, sha256File, storeVerifiedPackage } from './package-files.ts';

export interface DeviceOptions {
  /** Replaces the global fetch (tests, proxies). */
  fetch?: FetchLike;
  /** The device clock in milliseconds: proofs and token validity are judged by it. */
  now?: () => number;
  /** Timeout of JSON requests, in milliseconds. */
  timeoutMs?: number;
}

export interface DeviceIdentity {
  clientId: string;
  leafId: number;
  authority: string;
  /** The username. */
  user: string;
  userId: string;
  /** `<userId>@<issuer>`: how other authorities know this user. */
  userGlobalId: string;
  label: string | null;
}

export interface RegisterInput {
  /** The authority's issuer URL, `<server>/t/<slug>`. */
  authority: string;
  username: string;
  password: string;
  label?: string;
}

export interface DownloadOptions {
  onProgress?: (progress: DownloadProgress) => void;
}

export interface DownloadResult {
  contentId: string;
  title: string;
  /** The stored package. */
  path: string;
  packageSize: number;
  /** The package was already on the device and intact: nothing was fetched. */
  alreadyPresent: boolean;
  /** Bytes kept from an interrupted download. */
  resumedFrom: number;
  fetched: number;
}

export interface LicenseResult {
  licenseId: string;
  token: string;
  contentId: string;
  state: LicenseState;
  /** What the request cost; null when the device already held the license. */
  charged: Money | null;
  rights: Rights;
  origin: LicenseOrigin;
}

export interface AcquireResult {
  download: DownloadResult;
  license: LicenseResult;
}

export interface PlayOptions {
  /** Where the plaintext goes. */
  out: string;
}

export interface PlayResult {
  contentId: string;
  licenseId: string;
  out: string;
  bytes: number;
  /** Plays made on this device with this license, this one included. */
  playCount: number;
  /** Plays still allowed, or null when unlimited. */
  playsLeft: number | null;
}

export interface HeldContent {
  contentId: string;
  title: string | null;
  licenseId: string | null;
  state: LicenseState | null;
  hasPackage: boolean;
  playCount: number;
  /** As the license states them; for display only. */
  rights: Rights | null;
  origin: LicenseOrigin | null;
}

export interface ListOptions {
  /** Ask the authority for the current state of each license first. */
  refresh?: boolean;
}

export interface MoveInput {
  /** The destination device's client ID. */
  to: string;
  /** The destination's authority (issuer URL); this device's own when absent. */
  toAuthority?: string;
  /** Where to write the bundle (package + copy certificate) for the destination. */
  bundle: string;
  /** How long to wait for a cross-authority move the destination has not answered yet, ms (default 60 s). */
  waitMs?: number;
}

export interface MoveResult {
  moveId: string;
  contentId: string;
  licenseId: string;
  bundle: string;
  destination: { clientId: string; authority: string };
  charged: Money | null;
  /** Whether the certificate's signature was checked here against the destination authority's keys. */
  certificateVerified: boolean;
  /** The move was resumed from a certificate obtained by an earlier, interrupted run. */
  resumed: boolean;
}

export interface ReceiveResult {
  contentId: string;
  title: string;
  licenseId: string;
  moveId: string;
  /** The authority confirmed it recorded the delivery (best effort). */
  acknowledged: boolean;
  ackState: MoveState | null;
  /** This bundle had already been received; nothing changed. */
  alreadyReceived: boolean;
}

const CATALOG_PAGE_LIMIT = 200;
const MAX_CATALOG_PAGES = 1000;

/**
 * A Tessera device (claim 9): its key pair, its registration with one authority and the
 * contents and licenses it holds, kept in a home directory. Every method returns typed
 * data and fails with `DeviceError` (detected here) or `TesseraProblem` (refused by the
 * authority); nothing here prints or exits.
 */
export class Device {
  readonly store: DeviceStore;
  #record: DeviceRecord | null;
  #privateKey: JWK | null;
  readonly #options: DeviceOptions;
  #http: TesseraHttpClient | null = null;
  #authorityKeysFetchedAt: number | null = null;

  private constructor(store: DeviceStore, record: DeviceRecord | null, privateKey: JWK | null, options: DeviceOptions) {
    this.store = store;
    this.#record = record;
    this.#privateKey = privateKey;
    this.#options = options;
  }

  /** Opens the device kept in `home` (default `$TESSERA_DEVICE_HOME` or `~/.tessera-device`); it may not be registered yet. */
  static async open(home?: string, options: DeviceOptions = {}): Promise<Device> {
    const store = new DeviceStore(home);
    const record = await store.readDevice();
    const key = record ? await store.readPrivateKey() : null;
    if (record && !key) throw new DeviceError('store_corrupt', `${store.keyPath} is missing: the device cannot prove who it is`);
    return new Device(store, record, key, options);
  }

  get home(): string {
    return this.store.home;
  }

  get isRegistered(): boolean {
    return this.#record !== null;
  }

  /** The stored registration; throws `not_registered` before `register`. */
  get registration(): DeviceRecord {
    if (!this.#record) throw new DeviceError('not_registered', `no device is registered in ${this.home}; run "tessera-device register" first`);
    return this.#record;
  }

  get identity(): DeviceIdentity {
    const r = this.registration;
    return { clientId: r.clientId, leafId: r.leafId, authority: r.authority, user: r.user.username, userId: r.user.id, userGlobalId: r.user.globalId, label: r.label };
  }

  /** The authority's keys as this device last received them (claim 10). */
  get authorityKeys(): Jwks {
    return this.registration.authorityKeys;
  }

  // ---------------------------------------------------------------- registration

  /**
   * Registers this device (claims 1, 10): a fresh P-256 key pair — one key both signs the
   * device's proofs and receives content keys — sent with the user's credentials. The
   * client certificate is checked against the authority keys that come with it before
   * anything is stored.
   */
  async register(input: RegisterInput): Promise<DeviceIdentity> {
    if (this.#record) {
      throw new DeviceError('already_registered', `${this.home} already holds device ${this.#record.clientId} registered at ${this.#record.authority}; use another --home`);
    }
    const endpoint = normalizeIssuer(input.authority);
    const { privateKey } = await generateKeyPair('ES256', { crv: 'P-256', extractable: true });
    const privateJwk = await exportJWK(privateKey);
    const publicJwk = publicPart(privateJwk);
    const request = registerDeviceRequestSchema.safeParse({
      credentials: { type: 'password', username: input.username, password: input.password },
      publicKey: publicJwk,
      ...(input.label !== undefined ? { label: input.label } : {}),
    });
    if (!request.success) throw new DeviceError('invalid_input', `cannot register: ${formatZodIssues(request.error)}`);

    const http = this.#client(endpoint);
    const response = await http.request({
      method: 'POST',
      path: '/devices',
      body: request.data,
      schema: registerDeviceResponseSchema,
      auth: { kind: 'registration', privateJwk, publicJwk },
    });

    const certificate = await verifyJws(response.clientCertificate, {
      typ: TOKEN_TYPES.clientCertificate,
      schema: clientCertificateClaimsSchema,
      problem: 'invalid_request',
      resolveKey: (header) => (typeof header.kid === 'string' ? findSigningKey(response.authorityKeys, header.kid) : null),
    }).catch((error: unknown) => {
      throw new DeviceError('unexpected_response', `the client certificate does not verify with the authority's keys: ${(error as Error).message}`);
    });
    const claims = certificate.payload;
    const boundToThisKey = (await jwkThumbprint(claims.cnf.jwk)) === (await jwkThumbprint(publicJwk));
    if (claims.iss !== response.authority || claims.sub !== response.clientId || claims.leaf !== response.leafId || claims.uid !== response.user.id || !boundToThisKey) {
      throw new DeviceError('unexpected_response', 'the client certificate does not describe this device and its key');
    }

    const record: DeviceRecord = {
      version: 1,
      authority: response.authority,
      endpoint,
      clientId: response.clientId,
      leafId: response.leafId,
      user: response.user,
      label: response.label,
      clientCertificate: response.clientCertificate,
      authorityKeys: response.authorityKeys,
      registeredAt: response.registeredAt,
    };
    // The key first: a device record without its key would be a device that cannot speak.
    await this.store.writePrivateKey(privateJwk);
    await this.store.writeDevice(record);
    this.#record = record;
    this.#privateKey = privateJwk;
    this.#http = null;
    return this.identity;
  }

  /** Asks the authority who this device is: also proves the registration still works. */
  async whoami(): Promise<DeviceIdentity> {
    const me = await this.#http_().request({ method: 'GET', path: '/me', schema: whoamiResponseSchema, auth: this.#auth() });
    return { clientId: me.clientId, leafId: me.leafId, authority: me.authority, user: me.user.username, userId: me.user.id, userGlobalId: me.user.globalId, label: me.label };
  }

  /**
   * Account linking, step 1 (DESIGN §7): a link assertion from this device's authority that its
   * user is signed in here, addressed to `audience` (a peer authority's issuer URL).
   */
  async linkAssertion(audience: string): Promise<{ assertion: string; expiresAt: string }> {
    return this.#http_().request({ method: 'POST', path: '/account-links/assertions', body: { audience: normalizeIssuer(audience) }, schema: linkAssertionResponseSchema, auth: this.#auth() });
  }

  /** Account linking, step 2: presents an assertion from a peer authority here, linking the two accounts. */
  async link(assertion: string): Promise<AccountLink> {
    return this.#http_().request({ method: 'POST', path: '/account-links', body: { assertion: assertion.trim() }, schema: accountLinkSchema, auth: this.#auth() });
  }

  async links(): Promise<AccountLink[]> {
    return (await this.#http_().request({ method: 'GET', path: '/account-links', schema: accountLinkListSchema, auth: this.#auth() })).items;
  }

  async devices(): Promise<DeviceInfo[]> {
    const list = await this.#http_().request({ method: 'GET', path: '/devices', schema: deviceListSchema, auth: this.#auth() });
    return list.items;
  }

  /** Deactivates one of the user's devices — this one included, after which it is refused. */
  async deactivate(clientId: string): Promise<DeviceInfo> {
    return this.#http_().request({ method: 'DELETE', path: `/devices/${encodeURIComponent(clientId)}`, schema: deviceSchema, auth: this.#auth() });
  }

  /**
   * Fetches `<issuer>/jwks.json` from this device's own authority and stores it. Only ever
   * the own authority: a token naming an unknown key is never a reason to trust another.
   */
  async refreshAuthorityKeys(): Promise<Jwks> {
    const keys = await this.#http_().request({ method: 'GET', path: '/jwks.json', schema: jwksSchema, auth: { kind: 'none' } });
    const record = { ...this.registration, authorityKeys: keys };
    await this.store.writeDevice(record);
    this.#record = record;
    return keys;
  }

  // ---------------------------------------------------------------- contents and licenses

  async catalog(): Promise<CatalogEntry[]> {
    const entries: CatalogEntry[] = [];
    let cursor: string | undefined;
    for (let pageNumber = 0; pageNumber < MAX_CATALOG_PAGES; pageNumber += 1) {
      const page = await this.#http_().request({
        method: 'GET',
        path: '/contents',
        query: { limit: CATALOG_PAGE_LIMIT, cursor },
        schema: catalogResponseSchema,
        auth: this.#auth(),
      });
      entries.push(...page.items);
      if (page.nextCursor === null || page.items.length === 0) break;
      cursor = page.nextCursor;
    }
    return entries;
  }

  async content(contentId: string): Promise<CatalogEntry> {
    return this.#http_().request({ method: 'GET', path: `/contents/${encodeURIComponent(contentId)}`, schema: catalogEntrySchema, auth: this.#auth() });
  }

  /**
   * Downloads the encrypted package (claim 9's download means). An interrupted download
   * resumes with a Range request; the result is stored only once its length and SHA-256
   * match the catalogue.
   */
  async download(contentId: string, options: DownloadOptions = {}): Promise<DownloadResult> {
    const entry = await this.content(contentId);
    const path = this.store.packagePath(contentId);
    const result = { contentId, title: entry.title, path, packageSize: entry.packageSize };

    if ((await fileSize(path)) === entry.packageSize && (await sha256File(path)) === entry.packageSha256) {
      await this.#recordDownloadedContent(entry);
      options.onProgress?.({ received: entry.packageSize, total: entry.packageSize });
      return { ...result, alreadyPresent: true, resumedFrom: 0, fetched: 0 };
    }

    await this.store.ensureLayout();
    const partial = this.store.partialPackagePath(contentId);
    const fetchInto = () =>
      this.#http_().download({
        path: `/contents/${encodeURIComponent(contentId)}/package`,
        auth: this.#auth(),
        file: partial,
        expectedLength: entry.packageSize,
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      });
    let outcome = await fetchInto();
    let digest = await sha256File(partial);
    if (digest !== entry.packageSha256 && outcome.resumedFrom > 0) {
      // The kept prefix may belong to an older package: fetch the whole thing once more.
      await rm(partial, { force: true });
      outcome = await fetchInto();
      digest = await sha256File(partial);
    }
    if (digest !== entry.packageSha256) {
      await rm(partial, { force: true });
      throw new DeviceError('package_integrity', `the package downloaded for ${contentId} does not match the catalogue's SHA-256; it was discarded`);
    }
    await rename(partial, path);
    await this.#recordDownloadedContent(entry);
    return { ...result, alreadyPresent: false, resumedFrom: outcome.resumedFrom, fetched: outcome.fetched };
  }

  /**
   * Obtains a license (claim 9's license acquisition): supplying it is the sale. The
   * license is stored only once it verifies for this device and its content key unwraps
   * with this device's key.
   */
  async license(contentId: string): Promise<LicenseResult> {
    const response = await this.#http_().request({ method: 'POST', path: '/licenses', body: { contentId }, schema: licenseResponseSchema, auth: this.#auth() });
    if (response.contentId !== contentId || response.clientId !== this.registration.clientId) {
      throw new DeviceError('unexpected_response', `the authority answered with license ${response.licenseId} for ${response.contentId} on ${response.clientId}`);
    }
    const verified = await verifyLicenseForDevice(response.token, { ...this.#trust(), clientId: this.registration.clientId, contentId, purpose: 'store', now: this.#now() });
    if (verified.claims.jti !== response.licenseId) {
      throw new DeviceError('license_invalid', `the license token is ${verified.claims.jti}, not ${response.licenseId}`, { reason: 'malformed' });
    }
    await this.#unwrapKey(verified, 'license_invalid');

    const previous = await this.store.readLicense(contentId);
    await this.store.writeLicense({
      licenseId: response.licenseId,
      contentId,
      token: response.token,
      state: response.state,
      origin: response.origin,
      playCount: previous?.licenseId === response.licenseId ? previous.playCount : 0,
      issuedAt: response.issuedAt,
      updatedAt: this.#isoNow(),
    });
    return {
      licenseId: response.licenseId,
      token: response.token,
      contentId,
      state: response.state,
      charged: response.charged,
      rights: response.rights,
      origin: response.origin,
    };
  }

  /** Download, then license: everything needed to play. */
  async acquire(contentId: string, options: DownloadOptions = {}): Promise<AcquireResult> {
    const download = await this.download(contentId, options);
    const license = await this.license(contentId);
    return { download, license };
  }

  /**
   * Plays (claim 9's reproduction means): verifies the stored license for this device and
   * its rights, then decrypts the package into `out`. Nothing is written, and no play is
   * counted, unless every chunk of the package authenticates.
   */
  async play(contentId: string, options: PlayOptions): Promise<PlayResult> {
    const { clientId } = this.registration;
    const record = await this.store.readLicense(contentId);
    if (!record) throw new DeviceError('license_missing', `this device holds no license for ${contentId}; run "tessera-device license ${contentId}"`);
    if (record.state !== 'active') throw new DeviceError('license_not_active', `the license ${record.licenseId} for ${contentId} is ${record.state}`);
    const verified = await verifyLicenseForDevice(record.token, { ...this.#trust(), clientId, contentId, purpose: 'play', playCount: record.playCount, now: this.#now() });
    const packagePath = this.store.packagePath(contentId);
    if ((await fileSize(packagePath)) === null) throw new DeviceError('package_missing', `the package of ${contentId} is not on this device; run "tessera-device download ${contentId}"`);
    const contentKey = await this.#unwrapKey(verified, 'license_invalid');

    const out = resolve(options.out);
    const playCount = record.playCount + 1;
    let bytes: number;
    try {
      bytes = await decryptPackageFile(packagePath, contentKey, out, async () => {
        // Counted before the output appears: a play that produced output is never free.
        await this.store.writeLicense({ ...record, playCount, updatedAt: this.#isoNow() });
      });
    } catch (error) {
      if (error instanceof PackageIntegrityError) {
        throw new DeviceError('package_integrity', `the package of ${contentId} failed its integrity check (${error.reason}): ${error.message}; nothing was written`, { cause: error });
      }
      const code = (error as NodeJS.ErrnoException | null)?.code;
      if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR' || code === 'ENOTDIR') {
        throw new DeviceError('invalid_input', `cannot write ${out} (${code})`, { cause: error });
      }
      throw error;
    }
    return { contentId, licenseId: record.licenseId, out, bytes, playCount, playsLeft: verified.playsLeft === null ? null : verified.playsLeft - 1 };
  }

  /** The contents this device holds and the state of their licenses. */
  async list(options: ListOptions = {}): Promise<HeldContent[]> {
    if (options.refresh) await this.refreshLicenseStates();
    const held: HeldContent[] = [];
    for (const contentId of await this.store.listContentIds()) {
      const [content, license, hasPackage] = await Promise.all([
        this.store.readContent(contentId),
        this.store.readLicense(contentId),
        this.store.hasPackage(contentId),
      ]);
      held.push({
        contentId,
        title: content?.title ?? null,
        licenseId: license?.licenseId ?? null,
        state: license?.state ?? null,
        hasPackage,
        playCount: license?.playCount ?? 0,
        rights: license ? displayRights(license.token) : null,
        origin: license?.origin ?? null,
      });
    }
    return held;
  }

  /** Updates each stored license's state from the authority (a license may be revoked or moved elsewhere). */
  async refreshLicenseStates(): Promise<LicenseRecord[]> {
    const local = await this.store.listLicenses();
    if (local.length === 0) return local;
    const remote = await this.#http_().request({ method: 'GET', path: '/licenses', schema: deviceLicenseListSchema, auth: this.#auth() });
    const states = new Map(remote.items.map((item) => [item.licenseId, item.state] as const));
    const updated: LicenseRecord[] = [];
    for (const record of local) {
      let state = states.get(record.licenseId);
      if (state === undefined) {
        try {
          state = (await this.#http_().request({ method: 'GET', path: `/licenses/${encodeURIComponent(record.licenseId)}`, schema: licenseStatusSchema, auth: this.#auth() })).state;
        } catch (error) {
          if (!(error instanceof TesseraProblem && error.code === 'license_unknown')) throw error;
        }
      }
      if (state !== undefined && state !== record.state) {
        const next = { ...record, state, updatedAt: this.#isoNow() };
        await this.store.writeLicense(next);
        updated.push(next);
      } else {
        updated.push(record);
      }
    }
    return updated;
  }

  // ---------------------------------------------------------------- moves

  /**
   * A destination is a client ID, or — at this device's own authority — the label of one of
   * the same user's active devices ("move to my tablet").
   */
  private async resolveDestination(to: string, authority: string): Promise<string> {
    if (/^cli_/.test(to) || authority !== this.registration.authority) return to;
    const matches = (await this.devices()).filter((d) => d.status === 'active' && d.label === to);
    if (matches.length === 1) return matches[0]!.clientId;
    if (matches.length > 1) throw new DeviceError('invalid_input', `${matches.length} of your devices are labelled "${to}"; give its client ID instead`);
    throw new DeviceError('invalid_input', `none of your active devices is labelled "${to}"; give a client ID (see "tessera-device devices")`);
  }

  /**
   * Moves a content out (claims 9, 11): asks the authority for a copy certificate for its
   * license, checks it describes this move and is signed by the destination's authority,
   * writes the bundle (package + certificate), and only then deletes its own license and
   * package. The certificate is stored as soon as it arrives, so a run interrupted after the
   * authority answered resumes instead of losing the content.
   */
  async move(contentId: string, input: MoveInput): Promise<MoveResult> {
    const own = this.registration;
    const destinationAuthority = input.toAuthority === undefined ? own.authority : normalizeIssuer(input.toAuthority);
    const destination = { clientId: await this.resolveDestination(input.to, destinationAuthority), authority: destinationAuthority };
    const bundlePath = resolve(input.bundle);
    if ((await fileSize(bundlePath)) !== null) throw new DeviceError('invalid_input', `${bundlePath} already exists; choose another --bundle`);

    const license = await this.store.readLicense(contentId);
    if (!license) throw new DeviceError('license_missing', `this device holds no license for ${contentId}`);
    const packagePath = this.store.packagePath(contentId);
    const packageLength = await fileSize(packagePath);
    if (packageLength === null) throw new DeviceError('package_missing', `the package of ${contentId} is not on this device; run "tessera-device download ${contentId}" first, the destination needs it`);
    const content = await this.store.readContent(contentId);
    const packageSha256 = await sha256File(packagePath);
    if (content && (content.packageSha256 !== packageSha256 || content.packageSize !== packageLength)) {
      throw new DeviceError('package_integrity', `the stored package of ${contentId} is damaged; download it again before moving`);
    }

    const pending = (await this.store.listMoves()).find((m) => m.contentId === contentId && m.licenseId === license.licenseId && m.state === 'issued');
    let move: OutgoingMoveRecord;
    let charged: Money | null = null;
    if (pending) {
      if (pending.destination.clientId !== destination.clientId || pending.destination.authority !== destination.authority) {
        throw new DeviceError('move_pending', `${contentId} is already being moved to ${pending.destination.clientId} at ${pending.destination.authority} (move ${pending.moveId}); finish it with --to ${pending.destination.clientId}`);
      }
      move = pending;
    } else {
      if (license.state !== 'active') throw new DeviceError('license_not_active', `the license ${license.licenseId} for ${contentId} is ${license.state}`);
      const response = await this.#http_().request({
        method: 'POST',
        path: '/moves',
        body: {
          licenseId: license.licenseId,
          destination: { clientId: destination.clientId, ...(destinationAuthority !== own.authority ? { authority: destinationAuthority } : {}) },
        },
        schema: moveResponseSchema,
        auth: this.#auth(),
      });
      // Across authorities the destination may not answer at once: the source authority keeps
      // the license reserved and retries on its own; the device waits for the outcome.
      const settled = response.state === 'reserved' ? await this.#awaitMove(response.moveId, input.waitMs ?? 60_000) : response;
      if (settled.state === 'aborted' || !settled.certificate) {
        const refusal = settled.refusal;
        const detail = `the move of ${contentId} was refused${refusal ? `: ${refusal.detail}` : ''}; this device keeps its license`;
        throw refusal && isProblemCode(refusal.code) ? new TesseraProblem(refusal.code, detail) : new DeviceError('move_refused', detail);
      }
      const response_ = settled;
      charged = response_.charged;
      move = {
        moveId: response_.moveId,
        contentId,
        licenseId: license.licenseId,
        destination,
        certificate: response_.certificate!,
        state: 'issued',
        bundle: null,
        createdAt: response_.createdAt,
        updatedAt: this.#isoNow(),
      };
      // From here the authority holds the license as moved: keep the certificate first of all.
      await this.store.writeMove(move);
      await this.store.writeLicense({ ...license, state: 'moved', updatedAt: this.#isoNow() });
    }

    const sameAuthority = destinationAuthority === own.authority;
    const destinationKeys: Pick<AuthorityTrust, 'authorityKeys' | 'refreshAuthorityKeys'> | null = sameAuthority
      ? this.#trust()
      : await this.#peerKeys(destinationAuthority);
    try {
      await checkOutgoingCopyCertificate(
        move.certificate,
        {
          moveId: move.moveId,
          contentId,
          source: { iss: own.authority, sub: own.clientId, lic: license.licenseId },
          destination: { iss: destinationAuthority, sub: destination.clientId },
          now: this.#now(),
        },
        destinationKeys,
      );
    } catch (error) {
      if (error instanceof DeviceError) {
        throw new DeviceError(error.code, `${error.detail}; the certificate of move ${move.moveId} is kept in ${this.store.movePath(move.moveId)}`, error.reason ? { reason: error.reason } : {});
      }
      throw error;
    }

    const temp = temporarySibling(bundlePath);
    try {
      await writeBundle(
        { format: BUNDLE_MANIFEST_FORMAT, contentId, title: content?.title || contentId, packageSha256, packageLength, copyCertificate: move.certificate },
        createReadStream(packagePath),
        createWriteStream(temp, { flags: 'wx', mode: 0o600 }),
      );
      await rename(temp, bundlePath);
    } catch (error) {
      await rm(temp, { force: true });
      if (error instanceof BundleFormatError) throw new DeviceError('package_integrity', `the package of ${contentId} changed while the bundle was written: ${error.message}`, { cause: error });
      throw error;
    }

    await this.store.writeMove({ ...move, state: 'bundled', bundle: bundlePath, updatedAt: this.#isoNow() });
    // The bundle is out: this device gives up its license and its copy of the package.
    await this.store.deleteLicense(contentId);
    await this.store.deleteContent(contentId);
    return {
      moveId: move.moveId,
      contentId,
      licenseId: license.licenseId,
      bundle: bundlePath,
      destination,
      charged,
      certificateVerified: destinationKeys !== null,
      resumed: pending !== undefined,
    };
  }

  /** Polls a pending move until the source authority settles it, or gives up after `waitMs`. */
  async #awaitMove(moveId: string, waitMs: number): Promise<MoveResponse> {
    const deadline = Date.now() + waitMs;
    for (let delay = 250; ; delay = Math.min(delay * 2, 2_000)) {
      const move = await this.#http_().request({ method: 'GET', path: `/moves/${encodeURIComponent(moveId)}`, schema: moveResponseSchema, auth: this.#auth() });
      if (move.state !== 'reserved') return move;
      if (Date.now() + delay > deadline) {
        throw new DeviceError('move_pending', `the destination authority has not answered yet; the move ${moveId} stays reserved and the server keeps retrying — run the same move command again later`);
      }
      await new Promise((r) => setTimeout(r, delay));
    }
  }

  /**
   * Moves a content in (claims 9–12): verifies the bundle's copy certificate with this
   * device's authority keys, takes the license out of it, checks the package decrypts under
   * that license's key, stores both, then acknowledges the move (best effort).
   */
  async receive(bundleFile: string): Promise<ReceiveResult> {
    const own = this.registration;
    const bundlePath = resolve(bundleFile);
    let manifest: Awaited<ReturnType<typeof readBundleManifest>>['manifest'];
    let packageOffset: number;
    try {
      ({ manifest, packageOffset } = await readBundleManifest(bundlePath));
    } catch (error) {
      if (error instanceof BundleFormatError) throw new DeviceError('bundle_invalid', `${bundlePath} is not a valid bundle: ${error.message}`, { cause: error });
      if ((error as NodeJS.ErrnoException | null)?.code === 'ENOENT') throw new DeviceError('invalid_input', `no such bundle: ${bundlePath}`);
      throw error;
    }

    const certificate = await verifyCopyCertificateForDevice(manifest.copyCertificate, { ...this.#trust(), clientId: own.clientId, now: this.#now() });
    const { claims } = certificate;
    if (manifest.contentId !== claims.cid) throw new DeviceError('bundle_invalid', `the bundle says it holds ${manifest.contentId} but its certificate moves ${claims.cid}`);
    const licenseId = certificate.license.claims.jti;
    const contentId = claims.cid;

    const existing = await this.store.readLicense(contentId);
    const alreadyReceived = existing?.licenseId === licenseId && (await this.store.hasPackage(contentId));
    if (!alreadyReceived) {
      await this.#refuseReplayedCertificate(licenseId, claims.move);
      const contentKey = await this.#unwrapKey(certificate.license, 'copy_certificate_invalid');
      try {
        await this.store.ensureLayout();
        await storeVerifiedPackage(openBundlePackageStream(bundlePath, packageOffset, manifest), contentKey, this.store.packagePath(contentId));
      } catch (error) {
        if (error instanceof BundleFormatError) throw new DeviceError('bundle_invalid', `the package in ${bundlePath} is damaged: ${error.message}`, { cause: error });
        if (error instanceof PackageIntegrityError) {
          throw new DeviceError('package_integrity', `the package in ${bundlePath} does not decrypt under the moved license (${error.reason}); nothing was stored`, { cause: error });
        }
        throw error;
      }
      const content: ContentRecord = {
        contentId,
        title: manifest.title,
        mediaType: null,
        size: null,
        packageSize: manifest.packageLength,
        packageSha256: manifest.packageSha256,
        source: 'move',
        storedAt: this.#isoNow(),
      };
      await this.store.writeContent(content);
      // The license last: it is what makes the content usable here.
      await this.store.writeLicense({
        licenseId,
        contentId,
        token: claims.license,
        state: 'active',
        origin: certificate.license.claims.origin,
        playCount: 0,
        issuedAt: new Date(certificate.license.claims.iat * 1000).toISOString(),
        updatedAt: this.#isoNow(),
      });
    }

    let ackState: MoveState | null = null;
    try {
      ackState = (await this.#http_().request({ method: 'POST', path: `/moves/${encodeURIComponent(claims.move)}/ack`, schema: moveAckResponseSchema, auth: this.#auth() })).state;
    } catch {
      // The acknowledgement only lets the authority mark the move delivered; the content is already here.
    }
    return { contentId, title: manifest.title, licenseId, moveId: claims.move, acknowledged: ackState !== null, ackState, alreadyReceived };
  }

  /**
   * A certificate is good for one arrival. Its license may since have moved on from this device
   * (the device's own move records say so, offline) or been retired by the authority (asked
   * when reachable): receiving the old bundle again must not bring the content back.
   */
  async #refuseReplayedCertificate(licenseId: string, moveId: string): Promise<void> {
    const movedOn = (await this.store.listMoves()).some((m) => m.licenseId === licenseId);
    const replayed = (detail: string) => new DeviceError('copy_certificate_invalid', `the certificate of move ${moveId} was already used: ${detail}`, { reason: 'replayed' });
    if (movedOn) throw replayed(`its license ${licenseId} has since moved on from this device`);
    let state: string | null = null;
    try {
      state = (await this.#http_().request({ method: 'GET', path: `/licenses/${encodeURIComponent(licenseId)}`, schema: licenseStatusSchema, auth: this.#auth() })).state;
    } catch {
      // Offline, or the authority does not know the license yet: the signature and the local records decide.
    }
    if (state !== null && state !== 'active') throw replayed(`its license ${licenseId} is ${state} at ${this.registration.authority}`);
  }

  // ---------------------------------------------------------------- internals

  #now(): number {
    return (this.#options.now ?? Date.now)();
  }

  #isoNow(): string {
    return new Date(this.#now()).toISOString();
  }

  #client(endpoint: string): TesseraHttpClient {
    return new TesseraHttpClient(endpoint, {
      ...(this.#options.fetch ? { fetch: this.#options.fetch } : {}),
      ...(this.#options.timeoutMs ? { timeoutMs: this.#options.timeoutMs } : {}),
      now: () => this.#now(),
    });
  }

  #http_(): TesseraHttpClient {
    this.#http ??= this.#client(this.registration.endpoint);
    return this.#http;
  }

  #auth(): RequestAuth {
    const { clientId } = this.registration;
    return { kind: 'device', clientId, privateJwk: this.#privateKey! };
  }

  #trust(): AuthorityTrust {
    const record = this.registration;
    return { issuer: record.authority, authorityKeys: record.authorityKeys, refreshAuthorityKeys: () => this.#refetchAuthorityKeysOnUnknownKid() };
  }

  async #refetchAuthorityKeysOnUnknownKid(): Promise<Jwks> {
    const fetchedAt = this.#authorityKeysFetchedAt;
    if (fetchedAt !== null && this.#now() - fetchedAt < AUTHORITY_KEYS_REFETCH_INTERVAL_MS) return this.registration.authorityKeys;
    const keys = await this.refreshAuthorityKeys();
    this.#authorityKeysFetchedAt = this.#now();
    return keys;
  }

  /**
   * The public keys of another authority, for the source's sanity check of a certificate
   * signed there. Fetched, not trusted: if they cannot be had the check is structural only,
   * and the destination still verifies the certificate with the keys it registered with.
   */
  async #peerKeys(issuer: string): Promise<Pick<AuthorityTrust, 'authorityKeys'> | null> {
    try {
      const keys = await this.#client(issuer).request({ method: 'GET', path: '/jwks.json', schema: jwksSchema, auth: { kind: 'none' } });
      return { authorityKeys: keys };
    } catch {
      return null;
    }
  }

  async #unwrapKey(license: VerifiedLicense, code: 'license_invalid' | 'copy_certificate_invalid'): Promise<Uint8Array> {
    try {
      return await unwrapContentKey(license.claims.key, this.#privateKey!);
    } catch {
      throw new DeviceError(code, `the content key in license ${license.claims.jti} cannot be unwrapped with this device's key`, { reason: 'key_unwrap' });
    }
  }

  async #recordDownloadedContent(entry: CatalogEntry): Promise<void> {
    await this.store.writeContent({
      contentId: entry.id,
      title: entry.title,
      mediaType: entry.mediaType,
      size: entry.size,
      packageSize: entry.packageSize,
      packageSha256: entry.packageSha256,
      source: 'download',
      storedAt: this.#isoNow(),
    });
  }
}

/** Issuer URLs are compared as strings, so the device keeps their canonical spelling (SPEC §1.3). */
export function normalizeIssuer(url: string): string {
  try {
    return canonicalIssuer(url);
  } catch (error) {
    if (error instanceof IssuerError) throw new DeviceError('invalid_input', `${JSON.stringify(url)} is not an issuer URL: it ${error.message}`);
    throw error;
  }
}

function displayRights(token: string): Rights | null {
  try {
    const parsed = rightsSchema.safeParse(decodeJwsUnverified(token).payload.rights);
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
