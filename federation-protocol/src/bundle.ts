/**
 * The move bundle: what a source device hands to the destination device when content moves
 * (claim 9) — the copy certificate attached to the encrypted package. The normative
 * description is the "Move bundle" section of SPEC.md (SPEC.md, section 6).
 *
 *   "TSBN" | version u8 = 1 | 3 zero bytes | manifest length u32be | manifest (UTF-8 JSON) | package
 *
 * The manifest is not signed. What makes a bundle trustworthy is the copy certificate (signed
 * by the destination's authority) and the package's AEAD under the key that certificate's
 * license carries; the digest here only catches a damaged or mismatched file early.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { Transform, type Readable, type TransformCallback, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import { idSchema } from './api/common.ts';
import { compactJwsSchema } from './jose.ts';
import { PACKAGE_HEADER_LENGTH, TAG_LENGTH } from './package-format.ts';

export const BUNDLE_MAGIC = 'TSBN';
export const BUNDLE_FORMAT_VERSION = 1;
export const BUNDLE_HEADER_LENGTH = 12;
export const MAX_BUNDLE_MANIFEST_LENGTH = 1024 * 1024;
export const BUNDLE_MANIFEST_FORMAT = 'tessera-bundle/1';

const MAGIC_BYTES = Buffer.from(BUNDLE_MAGIC, 'latin1');
/** The smallest package: a header and one empty final chunk. */
const MIN_PACKAGE_LENGTH = PACKAGE_HEADER_LENGTH + TAG_LENGTH;

export const bundleManifestSchema = z.strictObject({
  format: z.literal(BUNDLE_MANIFEST_FORMAT),
  contentId: idSchema,
  title: z.string().min(1).max(1024),
  packageSha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be a lower-case hex SHA-256 digest'),
  packageLength: z.number().int().min(MIN_PACKAGE_LENGTH).max(Number.MAX_SAFE_INTEGER),
  copyCertificate: compactJwsSchema,
});

export type BundleManifest = z.infer<typeof bundleManifestSchema>;

export type BundleFormatReason =
  | 'bad_magic'
  | 'unsupported_version'
  | 'bad_header'
  | 'truncated'
  | 'manifest_too_long'
  | 'invalid_manifest'
  | 'package_length_mismatch'
  | 'package_digest_mismatch';

/** A bundle is malformed. `reason` is a stable code; the message is for logs. */
export class BundleFormatError extends Error {
  override readonly name = 'BundleFormatError';
  readonly reason: BundleFormatReason;

  constructor(reason: BundleFormatReason, message: string) {
    super(message);
    this.reason = reason;
  }
}

function parseManifest(input: unknown): BundleManifest {
  const result = bundleManifestSchema.safeParse(input);
  if (!result.success) {
    const issues = result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new BundleFormatError('invalid_manifest', `bundle manifest is invalid: ${issues.join('; ')}`);
  }
  return result.data;
}

function encodeBundleHead(manifest: BundleManifest): Buffer {
  const manifestBytes = Buffer.from(JSON.stringify(manifest), 'utf8');
  if (manifestBytes.length > MAX_BUNDLE_MANIFEST_LENGTH) {
    throw new BundleFormatError('manifest_too_long', `manifest is ${manifestBytes.length} bytes, over ${MAX_BUNDLE_MANIFEST_LENGTH}`);
  }
  const head = Buffer.alloc(BUNDLE_HEADER_LENGTH + manifestBytes.length);
  MAGIC_BYTES.copy(head, 0);
  head[4] = BUNDLE_FORMAT_VERSION;
  head.writeUInt32BE(manifestBytes.length, 8);
  manifestBytes.copy(head, BUNDLE_HEADER_LENGTH);
  return head;
}

/** Validates the fixed 12-byte header and returns the manifest length. */
function readBundleHeader(header: Buffer): number {
  const magicAvailable = Math.min(header.length, MAGIC_BYTES.length);
  if (!header.subarray(0, magicAvailable).equals(MAGIC_BYTES.subarray(0, magicAvailable))) {
    throw new BundleFormatError('bad_magic', 'not a Tessera bundle (bad magic)');
  }
  if (header.length > 4 && header[4] !== BUNDLE_FORMAT_VERSION) {
    throw new BundleFormatError('unsupported_version', `unsupported bundle format version ${header[4]}`);
  }
  if (header.length < BUNDLE_HEADER_LENGTH) {
    throw new BundleFormatError('truncated', 'bundle ends inside its header');
  }
  if (header[5] !== 0 || header[6] !== 0 || header[7] !== 0) {
    throw new BundleFormatError('bad_header', 'reserved bundle header bytes are not zero');
  }
  const manifestLength = header.readUInt32BE(8);
  if (manifestLength > MAX_BUNDLE_MANIFEST_LENGTH) {
    throw new BundleFormatError('manifest_too_long', `manifest length ${manifestLength} is over ${MAX_BUNDLE_MANIFEST_LENGTH}`);
  }
  return manifestLength;
}

function decodeManifest(bytes: Buffer): BundleManifest {
  let json: unknown;
  try {
    // ignoreBOM keeps a byte-order mark in the text, so JSON.parse refuses it: the format has none.
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes));
  } catch {
    throw new BundleFormatError('invalid_manifest', 'bundle manifest is not UTF-8 JSON');
  }
  return parseManifest(json);
}

async function readFully(file: FileHandle, buffer: Buffer, position: number): Promise<number> {
  let filled = 0;
  while (filled < buffer.length) {
    const { bytesRead } = await file.read(buffer, filled, buffer.length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled;
}

type ExpectedPackage = Pick<BundleManifest, 'packageSha256' | 'packageLength'>;

/**
 * Passes package bytes through unchanged (optionally after `prefix`) and fails once they
 * exceed, fall short of, or hash differently from what the manifest declares.
 */
class PackageDigestCheck extends Transform {
  readonly #expected: ExpectedPackage;
  readonly #hash = createHash('sha256');
  #prefix: Buffer | undefined;
  #length = 0;

  constructor(expected: ExpectedPackage, prefix?: Buffer) {
    super();
    this.#expected = expected;
    this.#prefix = prefix;
  }

  override _transform(data: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#length += data.length;
    if (this.#length > this.#expected.packageLength) {
      callback(this.#lengthMismatch());
      return;
    }
    this.#hash.update(data);
    this.#sendPrefix();
    callback(null, data);
  }

  override _flush(callback: TransformCallback): void {
    if (this.#length !== this.#expected.packageLength) {
      callback(this.#lengthMismatch());
      return;
    }
    if (this.#hash.digest('hex') !== this.#expected.packageSha256) {
      callback(new BundleFormatError('package_digest_mismatch', 'package bytes do not match the manifest digest'));
      return;
    }
    this.#sendPrefix();
    callback();
  }

  #sendPrefix(): void {
    if (this.#prefix === undefined) return;
    this.push(this.#prefix);
    this.#prefix = undefined;
  }

  #lengthMismatch(): BundleFormatError {
    const seen = this.#length > this.#expected.packageLength ? `more than ${this.#expected.packageLength}` : `${this.#length}`;
    return new BundleFormatError('package_length_mismatch', `package is ${seen} bytes, the manifest declares ${this.#expected.packageLength}`);
  }
}

/**
 * Streams a bundle to `out`: the header and manifest, then the package. The package is checked
 * against `manifest.packageLength` and `manifest.packageSha256` as it passes. On success `out`
 * is ended; on any failure (BundleFormatError for a bad manifest or a mismatching package) both
 * streams are destroyed, as by `pipeline`, and the caller must discard what was written.
 */
export async function writeBundle(manifest: BundleManifest, packageStream: Readable, out: Writable): Promise<void> {
  let check: PackageDigestCheck;
  try {
    const parsed = parseManifest(manifest);
    check = new PackageDigestCheck(parsed, encodeBundleHead(parsed));
  } catch (error) {
    packageStream.destroy();
    out.destroy();
    throw error;
  }
  await pipeline(packageStream, check, out);
}

/**
 * Reads and validates the header and manifest of a bundle file (only the head is read) and
 * checks that the file holds exactly `manifest.packageLength` package bytes. The package's
 * digest is not checked here: use verifyBundlePackage, or pass the manifest to
 * openBundlePackageStream.
 */
export async function readBundleManifest(filePath: string): Promise<{ manifest: BundleManifest; packageOffset: number }> {
  const file = await open(filePath, 'r');
  try {
    const header = Buffer.alloc(BUNDLE_HEADER_LENGTH);
    const headerRead = await readFully(file, header, 0);
    const manifestLength = readBundleHeader(header.subarray(0, headerRead));
    const manifestBytes = Buffer.alloc(manifestLength);
    if ((await readFully(file, manifestBytes, BUNDLE_HEADER_LENGTH)) < manifestLength) {
      throw new BundleFormatError('truncated', 'bundle ends inside its manifest');
    }
    const manifest = decodeManifest(manifestBytes);
    const packageOffset = BUNDLE_HEADER_LENGTH + manifestLength;
    const { size } = await file.stat();
    if (size - packageOffset !== manifest.packageLength) {
      throw new BundleFormatError(
        'package_length_mismatch',
        `bundle holds ${size - packageOffset} package bytes, the manifest declares ${manifest.packageLength}`,
      );
    }
    return { manifest, packageOffset };
  } finally {
    await file.close();
  }
}

/**
 * The package bytes of a bundle file. Given `expected` (the manifest), the stream also fails
 * with BundleFormatError if the bytes do not match its length and digest — detected at the
 * end, so a consumer must not act on the content before the stream has ended cleanly.
 */
export function openBundlePackageStream(filePath: string, packageOffset: number, expected?: ExpectedPackage): Readable {
  const file = createReadStream(filePath, { start: packageOffset });
  if (expected === undefined) return file;
  const check = new PackageDigestCheck(expected);
  file.once('error', (error) => check.destroy(error));
  check.once('close', () => file.destroy());
  return file.pipe(check);
}

/** Reads the whole package of a bundle file and rejects with BundleFormatError unless it matches the manifest. */
export async function verifyBundlePackage(filePath: string, manifest: ExpectedPackage, packageOffset: number): Promise<void> {
  for await (const _ of openBundlePackageStream(filePath, packageOffset, manifest)) {
    // Draining is the point: PackageDigestCheck judges the bytes as they pass.
  }
}
