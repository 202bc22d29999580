import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { isProblemCode, TesseraProblem, type Money, type MoveResponse } from '@tessera/protocol';
import { BUNDLE_MANIFEST_FORMAT, BundleFormatError, writeBundle } from '@tessera/protocol/node';
import type { AuthorityTrust } from './authority-keys.ts';
import { checkOutgoingCopyCertificate } from './copy-certificate-verification.ts';
import { normalizeIssuer, type DeviceContext } from './device-context.ts';
import { fileSize, temporarySibling, type OutgoingMoveRecord } from './device-store.ts';
import { DeviceError } from './errors.ts';
import { sha256File } from './package-files.ts';
import { fetchAuthorityKeys, listDevices } from './registration.ts';

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

/**
 * Moves a content out (claims 9, 11): asks the authority for a copy certificate for its
 * license, checks it describes this move and is signed by the destination's authority,
 * writes the bundle (package + certificate), and only then deletes its own license and
 * package. The certificate is stored as soon as it arrives, so a run interrupted after the
 * authority answered resumes instead of losing the content.
 */
export async function moveOut(ctx: DeviceContext, contentId: string, input: MoveInput): Promise<MoveResult> {
  const own = ctx.registration;
  const { store } = ctx;
  const destinationAuthority = input.toAuthority === undefined ? own.authority : normalizeIssuer(input.toAuthority);
  const destination = { clientId: await resolveDestination(ctx, input.to, destinationAuthority), authority: destinationAuthority };
  const bundlePath = resolve(input.bundle);
  if ((await fileSize(bundlePath)) !== null) throw new DeviceError('invalid_input', `${bundlePath} already exists; choose another --bundle`);

  const license = await store.readLicense(contentId);
  if (!license) throw new DeviceError('license_missing', `this device holds no license for ${contentId}`);
  const packagePath = store.packagePath(contentId);
  const packageLength = await fileSize(packagePath);
  if (packageLength === null)
    throw new DeviceError(
      'package_missing',
      `the package of ${contentId} is not on this device; run "tessera-device download ${contentId}" first, the destination needs it`,
    );
  const content = await store.readContent(contentId);
  const packageSha256 = await sha256File(packagePath);
  if (content && (content.packageSha256 !== packageSha256 || content.packageSize !== packageLength)) {
    throw new DeviceError('package_integrity', `the stored package of ${contentId} is damaged; download it again before moving`);
  }

  const pending = (await store.listMoves()).find((m) => m.contentId === contentId && m.licenseId === license.licenseId && m.state === 'issued');
  let move: OutgoingMoveRecord;
  let charged: Money | null = null;
  if (pending) {
    if (pending.destination.clientId !== destination.clientId || pending.destination.authority !== destination.authority) {
      throw new DeviceError(
        'move_pending',
        `${contentId} is already being moved to ${pending.destination.clientId} at ${pending.destination.authority} (move ${pending.moveId}); finish it with --to ${pending.destination.clientId}`,
      );
    }
    move = pending;
  } else {
    if (license.state !== 'active') throw new DeviceError('license_not_active', `the license ${license.licenseId} for ${contentId} is ${license.state}`);
    const response = await ctx.http().call(
      'requestMove',
      {
        body: {
          licenseId: license.licenseId,
          destination: { clientId: destination.clientId, ...(destinationAuthority !== own.authority ? { authority: destinationAuthority } : {}) },
        },
      },
      ctx.auth(),
    );
    // Across authorities the destination may not answer at once: the source authority keeps
    // the license reserved and retries on its own; the device waits for the outcome.
    const settled = response.state === 'reserved' ? await awaitMove(ctx, response.moveId, input.waitMs ?? 60_000) : response;
    if (settled.state === 'aborted' || !settled.certificate) {
      const refusal = settled.refusal;
      const detail = `the move of ${contentId} was refused${refusal ? `: ${refusal.detail}` : ''}; this device keeps its license`;
      throw refusal && isProblemCode(refusal.code) ? new TesseraProblem(refusal.code, detail) : new DeviceError('move_refused', detail);
    }
    charged = settled.charged;
    move = {
      moveId: settled.moveId,
      contentId,
      licenseId: license.licenseId,
      destination,
      certificate: settled.certificate,
      state: 'issued',
      bundle: null,
      createdAt: settled.createdAt,
      updatedAt: ctx.isoNow(),
    };
    // From here the authority holds the license as moved: keep the certificate first of all.
    await store.writeMove(move);
    await store.writeLicense({ ...license, state: 'moved', updatedAt: ctx.isoNow() });
  }

  const sameAuthority = destinationAuthority === own.authority;
  const destinationKeys: Pick<AuthorityTrust, 'authorityKeys' | 'refreshAuthorityKeys'> | null = sameAuthority
    ? ctx.trust()
    : await peerKeys(ctx, destinationAuthority);
  try {
    await checkOutgoingCopyCertificate(
      move.certificate,
      {
        moveId: move.moveId,
        contentId,
        source: { iss: own.authority, sub: own.clientId, lic: license.licenseId },
        destination: { iss: destinationAuthority, sub: destination.clientId },
        now: ctx.now(),
      },
      destinationKeys,
    );
  } catch (error) {
    if (error instanceof DeviceError) {
      throw new DeviceError(
        error.code,
        `${error.detail}; the certificate of move ${move.moveId} is kept in ${store.movePath(move.moveId)}`,
        error.reason ? { reason: error.reason } : {},
      );
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
    if (error instanceof BundleFormatError)
      throw new DeviceError('package_integrity', `the package of ${contentId} changed while the bundle was written: ${error.message}`, { cause: error });
    throw error;
  }

  await store.writeMove({ ...move, state: 'bundled', bundle: bundlePath, updatedAt: ctx.isoNow() });
  // The bundle is out: this device gives up its license and its copy of the package.
  await store.deleteLicense(contentId);
  await store.deleteContent(contentId);
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

/**
 * A destination is a client ID, or — at this device's own authority — the label of one of
 * the same user's active devices ("move to my tablet").
 */
async function resolveDestination(ctx: DeviceContext, to: string, authority: string): Promise<string> {
  if (/^cli_/.test(to) || authority !== ctx.registration.authority) return to;
  const matches = (await listDevices(ctx)).filter((d) => d.status === 'active' && d.label === to);
  if (matches.length === 1) return matches[0]!.clientId;
  if (matches.length > 1) throw new DeviceError('invalid_input', `${matches.length} of your devices are labelled "${to}"; give its client ID instead`);
  throw new DeviceError('invalid_input', `none of your active devices is labelled "${to}"; give a client ID (see "tessera-device devices")`);
}

/** Polls a pending move until the source authority settles it, or gives up after `waitMs`. */
async function awaitMove(ctx: DeviceContext, moveId: string, waitMs: number): Promise<MoveResponse> {
  const deadline = Date.now() + waitMs;
  for (let delay = 250; ; delay = Math.min(delay * 2, 2_000)) {
    const move = await ctx.http().call('getDeviceMove', { params: { moveId } }, ctx.auth());
    if (move.state !== 'reserved') return move;
    if (Date.now() + delay > deadline) {
      throw new DeviceError(
        'move_pending',
        `the destination authority has not answered yet; the move ${moveId} stays reserved and the server keeps retrying — run the same move command again later`,
      );
    }
    await new Promise((r) => setTimeout(r, delay));
  }
}

/**
 * The public keys of another authority, for the source's sanity check of a certificate
 * signed there. Fetched, not trusted: if they cannot be had the check is structural only,
 * and the destination still verifies the certificate with the keys it registered with.
 */
async function peerKeys(ctx: DeviceContext, issuer: string): Promise<Pick<AuthorityTrust, 'authorityKeys'> | null> {
  try {
    return { authorityKeys: await fetchAuthorityKeys(ctx.client(issuer)) };
  } catch {
    return null;
  }
}
