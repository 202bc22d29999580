import { resolve } from 'node:path';
import type { MoveState } from '@tessera/protocol';
import { BundleFormatError, openBundlePackageStream, PackageIntegrityError, readBundleManifest } from '@tessera/protocol/node';
import { verifyCopyCertificateForDevice } from './copy-certificate-verification.ts';
import { unwrapLicenseKey, type DeviceContext } from './device-context.ts';
import type { ContentRecord } from './device-store.ts';
import { DeviceError } from './errors.ts';
import { storeVerifiedPackage } from './package-files.ts';

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

/**
 * Moves a content in (claims 9–12): verifies the bundle's copy certificate with this
 * device's authority keys, takes the license out of it, checks the package decrypts under
 * that license's key, stores both, then acknowledges the move (best effort).
 */
export async function moveIn(ctx: DeviceContext, bundleFile: string): Promise<ReceiveResult> {
  const own = ctx.registration;
  const { store } = ctx;
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

  const certificate = await verifyCopyCertificateForDevice(manifest.copyCertificate, { ...ctx.trust(), clientId: own.clientId, now: ctx.now() });
  const { claims } = certificate;
  if (manifest.contentId !== claims.cid)
    throw new DeviceError('bundle_invalid', `the bundle says it holds ${manifest.contentId} but its certificate moves ${claims.cid}`);
  const licenseId = certificate.license.claims.jti;
  const contentId = claims.cid;

  const existing = await store.readLicense(contentId);
  const alreadyReceived = existing?.licenseId === licenseId && (await store.hasPackage(contentId));
  if (!alreadyReceived) {
    await refuseReplayedCertificate(ctx, licenseId, claims.move);
    const contentKey = await unwrapLicenseKey(ctx, certificate.license, 'copy_certificate_invalid');
    try {
      await store.ensureLayout();
      await storeVerifiedPackage(openBundlePackageStream(bundlePath, packageOffset, manifest), contentKey, store.packagePath(contentId));
    } catch (error) {
      if (error instanceof BundleFormatError)
        throw new DeviceError('bundle_invalid', `the package in ${bundlePath} is damaged: ${error.message}`, { cause: error });
      if (error instanceof PackageIntegrityError) {
        throw new DeviceError(
          'package_integrity',
          `the package in ${bundlePath} does not decrypt under the moved license (${error.reason}); nothing was stored`,
          { cause: error },
        );
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
      storedAt: ctx.isoNow(),
    };
    await store.writeContent(content);
    // The license last: it is what makes the content usable here.
    await store.writeLicense({
      licenseId,
      contentId,
      token: claims.license,
      state: 'active',
      origin: certificate.license.claims.origin,
      playCount: 0,
      issuedAt: new Date(certificate.license.claims.iat * 1000).toISOString(),
      updatedAt: ctx.isoNow(),
    });
  }

  let ackState: MoveState | null = null;
  try {
    ackState = (await ctx.http().call('acknowledgeMove', { params: { moveId: claims.move } }, ctx.auth())).state;
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
async function refuseReplayedCertificate(ctx: DeviceContext, licenseId: string, moveId: string): Promise<void> {
  const movedOn = (await ctx.store.listMoves()).some((m) => m.licenseId === licenseId);
  const replayed = (detail: string) =>
    new DeviceError('copy_certificate_invalid', `the certificate of move ${moveId} was already used: ${detail}`, { reason: 'replayed' });
  if (movedOn) throw replayed(`its license ${licenseId} has since moved on from this device`);
  let state: string | null = null;
  try {
    state = (await ctx.http().call('licenseStatus', { params: { licenseId } }, ctx.auth())).state;
  } catch {
    // Offline, or the authority does not know the license yet: the signature and the local records decide.
  }
  if (state !== null && state !== 'active') throw replayed(`its license ${licenseId} is ${state} at ${ctx.registration.authority}`);
}
