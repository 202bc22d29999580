import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { chmod, mkdir, open, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import {
  compactJwsSchema,
  formatZodIssues,
  idSchema,
  isoDateTime,
  issuerInputSchema,
  jwksSchema,
  licenseOriginSchema,
  licenseStateSchema,
  userSummarySchema,
} from '@tessera/protocol';
import type { JWK } from 'jose';
import { z } from 'zod';
import { DeviceError } from './errors.ts';

/** Where a device keeps its state unless told otherwise. */
export const DEVICE_HOME_ENV = 'TESSERA_DEVICE_HOME';
export const DEFAULT_DEVICE_HOME = join(homedir(), '.tessera-device');

export function resolveDeviceHome(home?: string): string {
  return resolve(home ?? process.env[DEVICE_HOME_ENV] ?? DEFAULT_DEVICE_HOME);
}

/** `device.json`: who this device is and whom it trusts (claim 10). */
export const deviceRecordSchema = z
  .object({
    version: z.literal(1),
    /** The authority's issuer URL: what `iss` of its tokens must equal. */
    authority: issuerInputSchema,
    /** The URL requests are sent to; the issuer unless the device reached it another way. */
    endpoint: issuerInputSchema,
    clientId: idSchema,
    leafId: z.number().int().nonnegative(),
    user: userSummarySchema,
    label: z.string().nullable(),
    clientCertificate: compactJwsSchema,
    authorityKeys: jwksSchema,
    registeredAt: isoDateTime,
  })
  .strict();
export type DeviceRecord = z.infer<typeof deviceRecordSchema>;

const b64url = z.string().regex(/^[A-Za-z0-9_-]+$/);
/** `device-key.json`: the private half of the device key, one P-256 key for ES256 and ECDH-ES. */
export const devicePrivateKeySchema = z.object({ kty: z.literal('EC'), crv: z.literal('P-256'), x: b64url, y: b64url, d: b64url }).passthrough();

/** `contents/<contentId>.json`: what the device knows about a package it holds. */
export const contentRecordSchema = z
  .object({
    contentId: idSchema,
    title: z.string(),
    mediaType: z.string().nullable(),
    /** Plaintext size, when the catalogue told it. */
    size: z.number().int().nonnegative().nullable(),
    packageSize: z.number().int().nonnegative(),
    /** Hex SHA-256 of the encrypted package. */
    packageSha256: z.string().regex(/^[0-9a-f]{64}$/),
    source: z.enum(['download', 'move']),
    storedAt: isoDateTime,
  })
  .strict();
export type ContentRecord = z.infer<typeof contentRecordSchema>;

/** `licenses/<contentId>.json`: one license per content, with the plays counted on this device. */
export const licenseRecordSchema = z
  .object({
    licenseId: idSchema,
    contentId: idSchema,
    token: compactJwsSchema,
    state: licenseStateSchema,
    origin: licenseOriginSchema,
    playCount: z.number().int().nonnegative(),
    issuedAt: isoDateTime.nullable(),
    updatedAt: isoDateTime,
  })
  .strict();
export type LicenseRecord = z.infer<typeof licenseRecordSchema>;

/**
 * `moves/<moveId>.json`: an outgoing move. The certificate is kept from the moment the server
 * answers, because by then the source license is already `moved`: if writing the bundle
 * fails, `move` resumes from this record instead of losing the content.
 */
export const outgoingMoveRecordSchema = z
  .object({
    moveId: idSchema,
    contentId: idSchema,
    licenseId: idSchema,
    destination: z.object({ clientId: idSchema, authority: issuerInputSchema }).strict(),
    certificate: compactJwsSchema,
    state: z.enum(['issued', 'bundled']),
    bundle: z.string().nullable(),
    createdAt: isoDateTime,
    updatedAt: isoDateTime,
  })
  .strict();
export type OutgoingMoveRecord = z.infer<typeof outgoingMoveRecordSchema>;

const PRIVATE_DIR_MODE = 0o700;
const PRIVATE_FILE_MODE = 0o600;

/** A sibling temporary path: same directory, so the final rename is atomic. */
export function temporarySibling(path: string): string {
  return `${path}.${randomBytes(6).toString('hex')}.tmp`;
}

/** Writes a file so that readers see the old content or the new one, never half of it. */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = PRIVATE_FILE_MODE): Promise<void> {
  const temp = temporarySibling(path);
  const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  try {
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

const isNotFound = (error: unknown): boolean => (error as NodeJS.ErrnoException | null)?.code === 'ENOENT';

/** The device's state in its home directory. Every write is atomic (temporary file + rename). */
export class DeviceStore {
  readonly home: string;

  constructor(home?: string) {
    this.home = resolveDeviceHome(home);
  }

  get devicePath(): string {
    return join(this.home, 'device.json');
  }

  get keyPath(): string {
    return join(this.home, 'device-key.json');
  }

  packagePath(contentId: string): string {
    return join(this.home, 'contents', `${checkedId(contentId)}.tpk`);
  }

  /** Where a download in progress accumulates; kept across runs so it can resume with Range. */
  partialPackagePath(contentId: string): string {
    return `${this.packagePath(contentId)}.part`;
  }

  contentPath(contentId: string): string {
    return join(this.home, 'contents', `${checkedId(contentId)}.json`);
  }

  licensePath(contentId: string): string {
    return join(this.home, 'licenses', `${checkedId(contentId)}.json`);
  }

  movePath(moveId: string): string {
    return join(this.home, 'moves', `${checkedId(moveId)}.json`);
  }

  /** Creates the home directory and its sub-directories, readable by the owner only. */
  async ensureLayout(): Promise<void> {
    // mkdir's mode is filtered by the umask, hence the chmod — only of a directory made
    // here, never of one the user pointed --home at.
    if ((await mkdir(this.home, { recursive: true, mode: PRIVATE_DIR_MODE })) !== undefined) await chmod(this.home, PRIVATE_DIR_MODE);
    for (const dir of [join(this.home, 'contents'), join(this.home, 'licenses'), join(this.home, 'moves')]) {
      await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
    }
  }

  async readDevice(): Promise<DeviceRecord | null> {
    return this.#readJson(this.devicePath, deviceRecordSchema);
  }

  async writeDevice(record: DeviceRecord): Promise<void> {
    await this.ensureLayout();
    await writeJsonAtomic(this.devicePath, deviceRecordSchema.parse(record));
  }

  async readPrivateKey(): Promise<JWK | null> {
    return (await this.#readJson(this.keyPath, devicePrivateKeySchema)) as JWK | null;
  }

  async writePrivateKey(jwk: JWK): Promise<void> {
    await this.ensureLayout();
    await writeJsonAtomic(this.keyPath, devicePrivateKeySchema.parse(jwk));
  }

  async readContent(contentId: string): Promise<ContentRecord | null> {
    return this.#readJson(this.contentPath(contentId), contentRecordSchema);
  }

  async writeContent(record: ContentRecord): Promise<void> {
    await this.ensureLayout();
    await writeJsonAtomic(this.contentPath(record.contentId), contentRecordSchema.parse(record));
  }

  async hasPackage(contentId: string): Promise<boolean> {
    return (await fileSize(this.packagePath(contentId))) !== null;
  }

  /** Removes the package, its metadata and any partial download. */
  async deleteContent(contentId: string): Promise<void> {
    await rm(this.packagePath(contentId), { force: true });
    await rm(this.partialPackagePath(contentId), { force: true });
    await rm(this.contentPath(contentId), { force: true });
  }

  async readLicense(contentId: string): Promise<LicenseRecord | null> {
    return this.#readJson(this.licensePath(contentId), licenseRecordSchema);
  }

  async writeLicense(record: LicenseRecord): Promise<void> {
    await this.ensureLayout();
    await writeJsonAtomic(this.licensePath(record.contentId), licenseRecordSchema.parse(record));
  }

  async deleteLicense(contentId: string): Promise<void> {
    await rm(this.licensePath(contentId), { force: true });
  }

  async listLicenses(): Promise<LicenseRecord[]> {
    const ids = await this.#idsIn('licenses', '.json');
    const records = await Promise.all(ids.map((id) => this.readLicense(id)));
    return records.filter((r): r is LicenseRecord => r !== null);
  }

  /** Content IDs with a package, its metadata, or a license on this device. */
  async listContentIds(): Promise<string[]> {
    const ids = new Set([...(await this.#idsIn('contents', '.json')), ...(await this.#idsIn('contents', '.tpk')), ...(await this.#idsIn('licenses', '.json'))]);
    return [...ids].sort();
  }

  async readMove(moveId: string): Promise<OutgoingMoveRecord | null> {
    return this.#readJson(this.movePath(moveId), outgoingMoveRecordSchema);
  }

  async writeMove(record: OutgoingMoveRecord): Promise<void> {
    await this.ensureLayout();
    await writeJsonAtomic(this.movePath(record.moveId), outgoingMoveRecordSchema.parse(record));
  }

  async listMoves(): Promise<OutgoingMoveRecord[]> {
    const ids = await this.#idsIn('moves', '.json');
    const records = await Promise.all(ids.map((id) => this.readMove(id)));
    return records.filter((r): r is OutgoingMoveRecord => r !== null);
  }

  async #idsIn(folder: string, suffix: string): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(join(this.home, folder));
    } catch (error) {
      if (isNotFound(error)) return [];
      throw error;
    }
    return names
      .filter((name) => name.endsWith(suffix))
      .map((name) => name.slice(0, -suffix.length))
      .filter((id) => idSchema.safeParse(id).success);
  }

  async #readJson<T>(path: string, schema: z.ZodType<T>): Promise<T | null> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new DeviceError('store_corrupt', `${path} is not valid JSON`);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new DeviceError('store_corrupt', `${path} is damaged: ${formatZodIssues(parsed.error)}`);
    return parsed.data;
  }
}

export async function fileSize(path: string): Promise<number | null> {
  try {
    return (await stat(path)).size;
  } catch (error) {
    if (isNotFound(error)) return null;
    throw error;
  }
}

async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: PRIVATE_DIR_MODE });
  await writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** IDs become file names: only a well-formed Tessera ID may, so no path can escape the home. */
function checkedId(id: string): string {
  if (!idSchema.safeParse(id).success) throw new DeviceError('invalid_input', `${JSON.stringify(id)} is not a Tessera ID`);
  return id;
}
