import type { AccountLink, CatalogEntry, Device as DeviceInfo, Jwks } from '@tessera/protocol';
import type { JWK } from 'jose';
import {
  downloadPackage,
  obtainLicense,
  readCatalog,
  readCatalogEntry,
  type AcquireResult,
  type DownloadOptions,
  type DownloadResult,
  type LicenseResult,
} from './acquisition.ts';
import { AUTHORITY_KEYS_REFETCH_INTERVAL_MS, type AuthorityTrust } from './authority-keys.ts';
import type { DeviceContext } from './device-context.ts';
import { DeviceStore, type DeviceRecord, type LicenseRecord } from './device-store.ts';
import { DeviceError } from './errors.ts';
import { TesseraHttpClient, type FetchLike, type RequestAuth } from './http.ts';
import { moveIn, type ReceiveResult } from './move-in.ts';
import { moveOut, type MoveInput, type MoveResult } from './move-out.ts';
import { listHeldContents, playContent, refreshLicenseStates, type HeldContent, type ListOptions, type PlayOptions, type PlayResult } from './playback.ts';
import {
  deactivateDevice,
  fetchAuthorityKeys,
  identityOf,
  listAccountLinks,
  listDevices,
  presentLinkAssertion,
  registerDevice,
  requestLinkAssertion,
  whoami,
  type DeviceIdentity,
  type RegisterInput,
} from './registration.ts';

export { normalizeIssuer } from './device-context.ts';
export type { AcquireResult, DownloadOptions, DownloadResult, LicenseResult } from './acquisition.ts';
export type { ReceiveResult } from './move-in.ts';
export type { MoveInput, MoveResult } from './move-out.ts';
export type { HeldContent, ListOptions, PlayOptions, PlayResult } from './playback.ts';
export type { DeviceIdentity, RegisterInput } from './registration.ts';

export interface DeviceOptions {
  /** Replaces the global fetch (tests, proxies). */
  fetch?: FetchLike;
  /** The device clock in milliseconds: proofs and token validity are judged by it. */
  now?: () => number;
  /** Timeout of JSON requests, in milliseconds. */
  timeoutMs?: number;
  /** Catalogue entries asked for per page, 1 to 200 (default 200); the authority may send fewer. */
  catalogPageSize?: number;
}

/**
 * A Tessera device (claim 9): its key pair, its registration with one authority and the
 * contents and licenses it holds, kept in a home directory. Every method returns typed
 * data and fails with `DeviceError` (detected here) or `TesseraProblem` (refused by the
 * authority); nothing here prints or exits. Each capability lives in its own module
 * (registration, acquisition, playback, move-out, move-in); this class holds the state they share.
 */
export class Device {
  readonly store: DeviceStore;
  #record: DeviceRecord | null;
  #privateKey: JWK | null;
  readonly #options: DeviceOptions;
  #http: TesseraHttpClient | null = null;
  #authorityKeysFetchedAt: number | null = null;
  readonly #context: DeviceContext;

  private constructor(store: DeviceStore, record: DeviceRecord | null, privateKey: JWK | null, options: DeviceOptions) {
    this.store = store;
    this.#record = record;
    this.#privateKey = privateKey;
    this.#options = options;
    const device = this;
    this.#context = {
      store,
      get registration() {
        return device.registration;
      },
      get privateKey() {
        return device.#privateKey!;
      },
      http: () => this.#ownClient(),
      client: (issuer) => this.#client(issuer),
      auth: () => this.#auth(),
      trust: () => this.#trust(),
      now: () => this.#now(),
      isoNow: () => new Date(this.#now()).toISOString(),
    };
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
    return identityOf(this.registration);
  }

  /** The authority's keys as this device last received them (claim 10). */
  get authorityKeys(): Jwks {
    return this.registration.authorityKeys;
  }

  // ---------------------------------------------------------------- registration

  /** Registers this device with an authority (claims 1, 10); see `registerDevice`. */
  async register(input: RegisterInput): Promise<DeviceIdentity> {
    if (this.#record) {
      throw new DeviceError(
        'already_registered',
        `${this.home} already holds device ${this.#record.clientId} registered at ${this.#record.authority}; use another --home`,
      );
    }
    const { record, privateJwk } = await registerDevice(this.#context, input);
    this.#record = record;
    this.#privateKey = privateJwk;
    this.#http = null;
    return this.identity;
  }

  /** Asks the authority who this device is: also proves the registration still works. */
  async whoami(): Promise<DeviceIdentity> {
    return whoami(this.#context);
  }

  /**
   * Account linking, step 1 (DESIGN §7): a link assertion from this device's authority that its
   * user is signed in here, addressed to `audience` (a peer authority's issuer URL).
   */
  async linkAssertion(audience: string): Promise<{ assertion: string; expiresAt: string }> {
    return requestLinkAssertion(this.#context, audience);
  }

  /** Account linking, step 2: presents an assertion from a peer authority here, linking the two accounts. */
  async link(assertion: string): Promise<AccountLink> {
    return presentLinkAssertion(this.#context, assertion);
  }

  async links(): Promise<AccountLink[]> {
    return listAccountLinks(this.#context);
  }

  async devices(): Promise<DeviceInfo[]> {
    return listDevices(this.#context);
  }

  /** Deactivates one of the user's devices — this one included, after which it is refused. */
  async deactivate(clientId: string): Promise<DeviceInfo> {
    return deactivateDevice(this.#context, clientId);
  }

  /**
   * Fetches `<issuer>/jwks.json` from this device's own authority and stores it. Only ever
   * the own authority: a token naming an unknown key is never a reason to trust another.
   */
  async refreshAuthorityKeys(): Promise<Jwks> {
    const keys = await fetchAuthorityKeys(this.#ownClient());
    const record = { ...this.registration, authorityKeys: keys };
    await this.store.writeDevice(record);
    this.#record = record;
    return keys;
  }

  // ---------------------------------------------------------------- acquisition

  async catalog(): Promise<CatalogEntry[]> {
    return readCatalog(this.#context, this.#options.catalogPageSize);
  }

  async content(contentId: string): Promise<CatalogEntry> {
    return readCatalogEntry(this.#context, contentId);
  }

  /** Downloads the encrypted package, resuming an interrupted download; see `downloadPackage`. */
  async download(contentId: string, options: DownloadOptions = {}): Promise<DownloadResult> {
    return downloadPackage(this.#context, contentId, options);
  }

  /** Obtains a license — the sale — and stores it once it verifies; see `obtainLicense`. */
  async license(contentId: string): Promise<LicenseResult> {
    return obtainLicense(this.#context, contentId);
  }

  /** Download, then license: everything needed to play. */
  async acquire(contentId: string, options: DownloadOptions = {}): Promise<AcquireResult> {
    const download = await this.download(contentId, options);
    const license = await this.license(contentId);
    return { download, license };
  }

  // ---------------------------------------------------------------- playback

  /** Verifies the license and decrypts the package into `options.out`; see `playContent`. */
  async play(contentId: string, options: PlayOptions): Promise<PlayResult> {
    return playContent(this.#context, contentId, options);
  }

  /** The contents this device holds and the state of their licenses. */
  async list(options: ListOptions = {}): Promise<HeldContent[]> {
    return listHeldContents(this.#context, options);
  }

  /** Updates each stored license's state from the authority (a license may be revoked or moved elsewhere). */
  async refreshLicenseStates(): Promise<LicenseRecord[]> {
    return refreshLicenseStates(this.#context);
  }

  // ---------------------------------------------------------------- moves

  /** Moves a content out to another device through a bundle; see `moveOut`. */
  async move(contentId: string, input: MoveInput): Promise<MoveResult> {
    return moveOut(this.#context, contentId, input);
  }

  /** Moves a content in from a bundle; see `moveIn`. */
  async receive(bundleFile: string): Promise<ReceiveResult> {
    return moveIn(this.#context, bundleFile);
  }

  // ---------------------------------------------------------------- internals

  #now(): number {
    return (this.#options.now ?? Date.now)();
  }

  #client(issuer: string): TesseraHttpClient {
    return new TesseraHttpClient(issuer, {
      ...(this.#options.fetch ? { fetch: this.#options.fetch } : {}),
      ...(this.#options.timeoutMs ? { timeoutMs: this.#options.timeoutMs } : {}),
      now: () => this.#now(),
    });
  }

  #ownClient(): TesseraHttpClient {
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
}
