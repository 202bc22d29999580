import { resolve } from 'node:path';
import { decodeJwsUnverified, rightsSchema, TesseraProblem, type LicenseOrigin, type LicenseState, type Rights } from '@tessera/protocol';
import { PackageIntegrityError } from '@tessera/protocol/node';
import { unwrapLicenseKey, type DeviceContext } from './device-context.ts';
import { fileSize, type LicenseRecord } from './device-store.ts';
import { DeviceError } from './errors.ts';
import { verifyLicenseForDevice } from './license-verification.ts';
import { decryptPackageFile } from './package-files.ts';

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

/**
 * Plays (claim 9's reproduction means): verifies the stored license for this device and
 * its rights, then decrypts the package into `out`. Nothing is written, and no play is
 * counted, unless every chunk of the package authenticates.
 */
export async function playContent(ctx: DeviceContext, contentId: string, options: PlayOptions): Promise<PlayResult> {
  const { clientId } = ctx.registration;
  const record = await ctx.store.readLicense(contentId);
  if (!record) throw new DeviceError('license_missing', `this device holds no license for ${contentId}; run "tessera-device license ${contentId}"`);
  if (record.state !== 'active') throw new DeviceError('license_not_active', `the license ${record.licenseId} for ${contentId} is ${record.state}`);
  const verified = await verifyLicenseForDevice(record.token, {
    ...ctx.trust(),
    clientId,
    contentId,
    purpose: 'play',
    playCount: record.playCount,
    now: ctx.now(),
  });
  const packagePath = ctx.store.packagePath(contentId);
  if ((await fileSize(packagePath)) === null)
    throw new DeviceError('package_missing', `the package of ${contentId} is not on this device; run "tessera-device download ${contentId}"`);
  const contentKey = await unwrapLicenseKey(ctx, verified, 'license_invalid');

  const out = resolve(options.out);
  const playCount = record.playCount + 1;
  let bytes: number;
  try {
    bytes = await decryptPackageFile(packagePath, contentKey, out, async () => {
      // Counted before the output appears: a play that produced output is never free.
      await ctx.store.writeLicense({ ...record, playCount, updatedAt: ctx.isoNow() });
    });
  } catch (error) {
    if (error instanceof PackageIntegrityError) {
      throw new DeviceError(
        'package_integrity',
        `the package of ${contentId} failed its integrity check (${error.reason}): ${error.message}; nothing was written`,
        { cause: error },
      );
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
export async function listHeldContents(ctx: DeviceContext, options: ListOptions = {}): Promise<HeldContent[]> {
  if (options.refresh) await refreshLicenseStates(ctx);
  const held: HeldContent[] = [];
  for (const contentId of await ctx.store.listContentIds()) {
    const [content, license, hasPackage] = await Promise.all([
      ctx.store.readContent(contentId),
      ctx.store.readLicense(contentId),
      ctx.store.hasPackage(contentId),
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
export async function refreshLicenseStates(ctx: DeviceContext): Promise<LicenseRecord[]> {
  const local = await ctx.store.listLicenses();
  if (local.length === 0) return local;
  const remote = await ctx.http().call('listDeviceLicenses', {}, ctx.auth());
  const states = new Map(remote.items.map((item) => [item.licenseId, item.state] as const));
  const updated: LicenseRecord[] = [];
  for (const record of local) {
    let state = states.get(record.licenseId);
    if (state === undefined) {
      try {
        state = (await ctx.http().call('licenseStatus', { params: { licenseId: record.licenseId } }, ctx.auth())).state;
      } catch (error) {
        if (!(error instanceof TesseraProblem && error.code === 'license_unknown')) throw error;
      }
    }
    if (state !== undefined && state !== record.state) {
      const next = { ...record, state, updatedAt: ctx.isoNow() };
      await ctx.store.writeLicense(next);
      updated.push(next);
    } else {
      updated.push(record);
    }
  }
  return updated;
}

function displayRights(token: string): Rights | null {
  try {
    const parsed = rightsSchema.safeParse(decodeJwsUnverified(token).payload.rights);
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
