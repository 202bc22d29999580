import { rename, rm } from 'node:fs/promises';
import type { CatalogEntry, LicenseOrigin, LicenseState, Money, Rights } from '@tessera/protocol';
import { unwrapLicenseKey, type DeviceContext } from './device-context.ts';
import { fileSize } from './device-store.ts';
import { DeviceError } from './errors.ts';
import type { DownloadProgress } from './http.ts';
import { verifyLicenseForDevice } from './license-verification.ts';
import { sha256File } from './package-files.ts';

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

/** The most entries a catalogue page may hold (the protocol's maximum), and the default a device asks for. */
export const CATALOG_PAGE_LIMIT = 200;
const MAX_CATALOG_PAGES = 1000;

/** The whole catalogue, page after page, asking for `pageSize` entries at a time. */
export async function readCatalog(ctx: DeviceContext, pageSize = CATALOG_PAGE_LIMIT): Promise<CatalogEntry[]> {
  const entries: CatalogEntry[] = [];
  let cursor: string | undefined;
  for (let pageNumber = 0; pageNumber < MAX_CATALOG_PAGES; pageNumber += 1) {
    const page = await ctx.http().call('catalog', { query: { limit: pageSize, cursor } }, ctx.auth());
    entries.push(...page.items);
    if (page.nextCursor === null || page.items.length === 0) break;
    cursor = page.nextCursor;
  }
  return entries;
}

export async function readCatalogEntry(ctx: DeviceContext, contentId: string): Promise<CatalogEntry> {
  return ctx.http().call('getContent', { params: { contentId } }, ctx.auth());
}

/**
 * Downloads the encrypted package (claim 9's download means). An interrupted download
 * resumes with a Range request; the result is stored only once its length and SHA-256
 * match the catalogue.
 */
export async function downloadPackage(ctx: DeviceContext, contentId: string, options: DownloadOptions = {}): Promise<DownloadResult> {
  const entry = await readCatalogEntry(ctx, contentId);
  const path = ctx.store.packagePath(contentId);
  const result = { contentId, title: entry.title, path, packageSize: entry.packageSize };

  if ((await fileSize(path)) === entry.packageSize && (await sha256File(path)) === entry.packageSha256) {
    await recordDownloadedContent(ctx, entry);
    options.onProgress?.({ received: entry.packageSize, total: entry.packageSize });
    return { ...result, alreadyPresent: true, resumedFrom: 0, fetched: 0 };
  }

  await ctx.store.ensureLayout();
  const partial = ctx.store.partialPackagePath(contentId);
  const fetchInto = () =>
    ctx.http().download({
      contentId,
      auth: ctx.auth(),
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
  await recordDownloadedContent(ctx, entry);
  return { ...result, alreadyPresent: false, resumedFrom: outcome.resumedFrom, fetched: outcome.fetched };
}

/**
 * Obtains a license (claim 9's license acquisition): supplying it is the sale. The
 * license is stored only once it verifies for this device and its content key unwraps
 * with this device's key.
 */
export async function obtainLicense(ctx: DeviceContext, contentId: string): Promise<LicenseResult> {
  const { clientId } = ctx.registration;
  const response = await ctx.http().call('issueLicense', { body: { contentId } }, ctx.auth());
  if (response.contentId !== contentId || response.clientId !== clientId) {
    throw new DeviceError('unexpected_response', `the authority answered with license ${response.licenseId} for ${response.contentId} on ${response.clientId}`);
  }
  const verified = await verifyLicenseForDevice(response.token, { ...ctx.trust(), clientId, contentId, purpose: 'store', now: ctx.now() });
  if (verified.claims.jti !== response.licenseId) {
    throw new DeviceError('license_invalid', `the license token is ${verified.claims.jti}, not ${response.licenseId}`, { reason: 'malformed' });
  }
  await unwrapLicenseKey(ctx, verified, 'license_invalid');

  const previous = await ctx.store.readLicense(contentId);
  await ctx.store.writeLicense({
    licenseId: response.licenseId,
    contentId,
    token: response.token,
    state: response.state,
    origin: response.origin,
    playCount: previous?.licenseId === response.licenseId ? previous.playCount : 0,
    issuedAt: response.issuedAt,
    updatedAt: ctx.isoNow(),
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

async function recordDownloadedContent(ctx: DeviceContext, entry: CatalogEntry): Promise<void> {
  await ctx.store.writeContent({
    contentId: entry.id,
    title: entry.title,
    mediaType: entry.mediaType,
    size: entry.size,
    packageSize: entry.packageSize,
    packageSha256: entry.packageSha256,
    source: 'download',
    storedAt: ctx.isoNow(),
  });
}
