/**
 * The encrypted content package: AES-256-GCM in the STREAM construction
 * (Hoang, Reyhanitabar, Rogaway, Vizár — "Online Authenticated-Encryption and its
 * Nonce-Reuse Misuse-Resistance", 2015). The normative description is the
 * "Encrypted package" section of SPEC.md (SPEC.md, section 6).
 *
 *   header (32 bytes, the AAD of every chunk) ‖ chunk 0 ‖ … ‖ chunk n-1
 *   chunk i = AES-256-GCM(contentKey, nonce_i, header, plaintext_i) ‖ tag (16)
 *   nonce_i = noncePrefix (7) ‖ uint32be(i) ‖ (i === n-1 ? 0x01 : 0x00)
 */
import { createCipheriv, createDecipheriv, createHash, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

export const PACKAGE_MAGIC = 'TSPK';
export const PACKAGE_FORMAT_VERSION = 1;
export const PACKAGE_HEADER_LENGTH = 32;
export const DEFAULT_CHUNK_SIZE = 65_536;
export const MIN_CHUNK_SIZE = 1024;
export const MAX_CHUNK_SIZE = 16 * 1024 * 1024;
export const TAG_LENGTH = 16;
export const NONCE_PREFIX_LENGTH = 7;
export const CONTENT_KEY_LENGTH = 32;

/** The chunk counter is a uint32, so a package holds at most 2^32 chunks. */
const MAX_CHUNK_COUNT = 2 ** 32;
const NONCE_LENGTH = 12;
const MAGIC_BYTES = Buffer.from(PACKAGE_MAGIC, 'latin1');

export type PackageIntegrityReason =
  | 'bad_magic'
  | 'unsupported_version'
  | 'bad_header'
  | 'truncated'
  | 'chunk_authentication_failed'
  | 'trailing_data'
  | 'length_mismatch';

/**
 * A package (or, for `length_mismatch`, the plaintext fed to an encryptor) is not what it
 * claims to be. `reason` is a stable code callers may branch on; the message is for logs.
 */
export class PackageIntegrityError extends Error {
  override readonly name = 'PackageIntegrityError';
  readonly reason: PackageIntegrityReason;

  constructor(reason: PackageIntegrityReason, message: string) {
    super(message);
    this.reason = reason;
  }
}

export interface PackageHeader {
  readonly version: typeof PACKAGE_FORMAT_VERSION;
  readonly chunkSize: number;
  readonly noncePrefix: Uint8Array;
  readonly plaintextLength: number;
  /** Derived: max(1, ceil(plaintextLength / chunkSize)). */
  readonly chunkCount: number;
  /** Derived: the exact byte length of the whole package. */
  readonly packageLength: number;
}

export interface PackageDigests {
  /** Lower-case hex SHA-256 of the plaintext. */
  readonly plaintextSha256: string;
  /** Lower-case hex SHA-256 of the whole package, header included. */
  readonly packageSha256: string;
  readonly packageLength: number;
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function chunkCountFor(plaintextLength: number, chunkSize: number): number {
  const remainder = plaintextLength % chunkSize;
  const fullChunks = (plaintextLength - remainder) / chunkSize;
  // An exact multiple ends with a full final chunk; only empty content has an empty one.
  return remainder > 0 ? fullChunks + 1 : Math.max(fullChunks, 1);
}

/** Undefined when the combination cannot be encoded (too many chunks, or a package longer than 2^53 - 1). */
function packageLengthFor(plaintextLength: number, chunkSize: number): number | undefined {
  const chunkCount = chunkCountFor(plaintextLength, chunkSize);
  if (chunkCount > MAX_CHUNK_COUNT) return undefined;
  const packageLength = PACKAGE_HEADER_LENGTH + chunkCount * TAG_LENGTH + plaintextLength;
  return Number.isSafeInteger(packageLength) ? packageLength : undefined;
}

function checkChunkSize(chunkSize: number): void {
  if (!Number.isInteger(chunkSize) || chunkSize < MIN_CHUNK_SIZE || chunkSize > MAX_CHUNK_SIZE) {
    throw new RangeError(`chunk size must be an integer in ${MIN_CHUNK_SIZE}..${MAX_CHUNK_SIZE}, got ${chunkSize}`);
  }
}

function toPlaintextLength(plaintextLength: number | bigint): number {
  const length = typeof plaintextLength === 'bigint' ? Number(plaintextLength) : plaintextLength;
  if (!Number.isSafeInteger(length) || length < 0 || BigInt(length) !== BigInt(plaintextLength)) {
    throw new RangeError(`plaintext length must be a non-negative safe integer, got ${plaintextLength}`);
  }
  return length;
}

/**
 * The exact byte length of the package for a plaintext of `plaintextLength` bytes:
 * 32 + 16 × max(1, ceil(plaintextLength / chunkSize)) + plaintextLength.
 */
export function encryptedPackageLength(plaintextLength: number | bigint, chunkSize: number = DEFAULT_CHUNK_SIZE): number {
  checkChunkSize(chunkSize);
  const length = toPlaintextLength(plaintextLength);
  const packageLength = packageLengthFor(length, chunkSize);
  if (packageLength === undefined) {
    throw new RangeError(`a plaintext of ${length} bytes cannot be packaged with chunk size ${chunkSize}`);
  }
  return packageLength;
}

function contentKeyObject(contentKey: Uint8Array): KeyObject {
  if (contentKey.byteLength !== CONTENT_KEY_LENGTH) {
    throw new RangeError(`content key must be ${CONTENT_KEY_LENGTH} bytes, got ${contentKey.byteLength}`);
  }
  return createSecretKey(asBuffer(contentKey));
}

function encodeHeader(chunkSize: number, noncePrefix: Uint8Array, plaintextLength: number): Buffer {
  const header = Buffer.alloc(PACKAGE_HEADER_LENGTH);
  MAGIC_BYTES.copy(header, 0);
  header[4] = PACKAGE_FORMAT_VERSION;
  header.writeUInt32BE(chunkSize, 8);
  header.set(noncePrefix, 12);
  header.writeBigUInt64BE(BigInt(plaintextLength), 20);
  return header;
}

/**
 * Parses and validates a package header from the first 32 bytes of `bytes` (longer input is
 * fine; only the header is read). Checks run in the order the spec prescribes: magic, then
 * version — a later version may lay out the remaining bytes differently — then the rest.
 * Input shorter than 32 bytes that is a valid prefix so far fails with `truncated`.
 */
export function readPackageHeader(bytes: Uint8Array): PackageHeader {
  const header = asBuffer(bytes);
  const magicAvailable = Math.min(header.length, MAGIC_BYTES.length);
  if (!header.subarray(0, magicAvailable).equals(MAGIC_BYTES.subarray(0, magicAvailable))) {
    throw new PackageIntegrityError('bad_magic', 'not a Tessera package (bad magic)');
  }
  if (header.length > 4 && header[4] !== PACKAGE_FORMAT_VERSION) {
    throw new PackageIntegrityError('unsupported_version', `unsupported package format version ${header[4]}`);
  }
  if (header.length < PACKAGE_HEADER_LENGTH) {
    throw new PackageIntegrityError('truncated', 'package ends inside its header');
  }
  if (header[5] !== 0 || header.readUInt16BE(6) !== 0 || header[19] !== 0 || header.readUInt32BE(28) !== 0) {
    throw new PackageIntegrityError('bad_header', 'reserved header bytes are not zero');
  }
  const chunkSize = header.readUInt32BE(8);
  if (chunkSize < MIN_CHUNK_SIZE || chunkSize > MAX_CHUNK_SIZE) {
    throw new PackageIntegrityError('bad_header', `chunk size ${chunkSize} is outside ${MIN_CHUNK_SIZE}..${MAX_CHUNK_SIZE}`);
  }
  const declaredLength = header.readBigUInt64BE(20);
  const plaintextLength = Number(declaredLength);
  const packageLength = declaredLength <= BigInt(Number.MAX_SAFE_INTEGER) ? packageLengthFor(plaintextLength, chunkSize) : undefined;
  if (packageLength === undefined) {
    throw new PackageIntegrityError('bad_header', `plaintext length ${declaredLength} cannot be encoded with chunk size ${chunkSize}`);
  }
  return {
    version: PACKAGE_FORMAT_VERSION,
    chunkSize,
    noncePrefix: new Uint8Array(header.subarray(12, 19)),
    plaintextLength,
    chunkCount: chunkCountFor(plaintextLength, chunkSize),
    packageLength,
  };
}

export interface PackageEncryptorOptions {
  /** The 32-byte AES-256 content key. */
  readonly contentKey: Uint8Array;
  /** The exact number of plaintext bytes that will be written; it is part of the header. */
  readonly plaintextLength: number | bigint;
  readonly chunkSize?: number;
  /** 7 bytes; random by default. Only tests and test vectors should set it. */
  readonly noncePrefix?: Uint8Array;
}

/**
 * A Transform from plaintext to package bytes, holding at most one chunk in memory.
 *
 * `digests()` resolves once the whole package has been read out of the stream ('end'), with
 * the SHA-256 of the plaintext and of the package and the package length; it rejects with the
 * stream's error if the stream fails or is destroyed first. The stream fails with
 * `PackageIntegrityError` (`length_mismatch`) when the plaintext is longer or shorter than
 * `plaintextLength`.
 */
export class PackageEncryptor extends Transform {
  readonly header: PackageHeader;
  readonly #key: KeyObject;
  readonly #headerBytes: Buffer;
  readonly #nonce = Buffer.alloc(NONCE_LENGTH);
  /** Holds a partial chunk between writes; full chunks are sealed straight from the input. */
  readonly #partial: Buffer;
  #partialLength = 0;
  #counter = 0;
  #received = 0;
  #headerSent = false;
  readonly #plaintextHash = createHash('sha256');
  readonly #packageHash = createHash('sha256');
  readonly #digests: Promise<PackageDigests>;
  #finalDigests: PackageDigests | undefined;
  #resolveDigests!: (digests: PackageDigests) => void;
  #rejectDigests!: (error: Error) => void;

  constructor(options: PackageEncryptorOptions) {
    super();
    const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
    const plaintextLength = toPlaintextLength(options.plaintextLength);
    const packageLength = encryptedPackageLength(plaintextLength, chunkSize);
    const noncePrefix = options.noncePrefix ?? randomBytes(NONCE_PREFIX_LENGTH);
    if (noncePrefix.byteLength !== NONCE_PREFIX_LENGTH) {
      throw new RangeError(`nonce prefix must be ${NONCE_PREFIX_LENGTH} bytes, got ${noncePrefix.byteLength}`);
    }
    this.#key = contentKeyObject(options.contentKey);
    this.#headerBytes = encodeHeader(chunkSize, noncePrefix, plaintextLength);
    this.header = {
      version: PACKAGE_FORMAT_VERSION,
      chunkSize,
      noncePrefix: Uint8Array.from(noncePrefix),
      plaintextLength,
      chunkCount: chunkCountFor(plaintextLength, chunkSize),
      packageLength,
    };
    this.#nonce.set(noncePrefix, 0);
    this.#partial = Buffer.allocUnsafe(Math.min(chunkSize, plaintextLength));
    this.#digests = new Promise<PackageDigests>((resolve, reject) => {
      this.#resolveDigests = resolve;
      this.#rejectDigests = reject;
    });
    // Callers that only pipe the stream never look at digests(); its rejection must not crash them.
    this.#digests.catch(() => {});
    this.once('end', () => this.#resolveDigests(this.#finalDigests!));
  }

  digests(): Promise<PackageDigests> {
    return this.#digests;
  }

  override _transform(data: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const { chunkSize, plaintextLength } = this.header;
    if (this.#received + data.length > plaintextLength) {
      callback(new PackageIntegrityError('length_mismatch', `plaintext is longer than the declared ${plaintextLength} bytes`));
      return;
    }
    this.#received += data.length;
    this.#plaintextHash.update(data);
    this.#sendHeader();

    let offset = 0;
    if (this.#partialLength > 0) {
      offset = Math.min(chunkSize - this.#partialLength, data.length);
      data.copy(this.#partial, this.#partialLength, 0, offset);
      this.#partialLength += offset;
      if (this.#partialLength === chunkSize) {
        this.#seal(this.#partial);
        this.#partialLength = 0;
      }
    }
    while (data.length - offset >= chunkSize) {
      this.#seal(data.subarray(offset, offset + chunkSize));
      offset += chunkSize;
    }
    if (offset < data.length) {
      data.copy(this.#partial, 0, offset);
      this.#partialLength = data.length - offset;
    }
    callback();
  }

  override _flush(callback: TransformCallback): void {
    if (this.#received !== this.header.plaintextLength) {
      callback(new PackageIntegrityError('length_mismatch', `plaintext ended after ${this.#received} of the declared ${this.header.plaintextLength} bytes`));
      return;
    }
    this.#sendHeader();
    if (this.#counter < this.header.chunkCount) this.#seal(this.#partial.subarray(0, this.#partialLength));
    this.#finalDigests = {
      plaintextSha256: this.#plaintextHash.digest('hex'),
      packageSha256: this.#packageHash.digest('hex'),
      packageLength: this.header.packageLength,
    };
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // A no-op once the digests have resolved.
    this.#rejectDigests(error ?? new Error('package encryptor was destroyed before it finished'));
    callback(error);
  }

  #sendHeader(): void {
    if (this.#headerSent) return;
    this.#headerSent = true;
    this.#packageHash.update(this.#headerBytes);
    this.push(Buffer.from(this.#headerBytes));
  }

  #seal(plaintext: Buffer): void {
    const last = this.#counter === this.header.chunkCount - 1;
    this.#nonce.writeUInt32BE(this.#counter, NONCE_PREFIX_LENGTH);
    this.#nonce[NONCE_LENGTH - 1] = last ? 1 : 0;
    const cipher = createCipheriv('aes-256-gcm', this.#key, this.#nonce, { authTagLength: TAG_LENGTH });
    cipher.setAAD(this.#headerBytes);
    const ciphertext = cipher.update(plaintext);
    cipher.final();
    const tag = cipher.getAuthTag();
    this.#packageHash.update(ciphertext).update(tag);
    this.push(ciphertext);
    this.push(tag);
    this.#counter += 1;
  }
}

export function createPackageEncryptor(options: PackageEncryptorOptions): PackageEncryptor {
  return new PackageEncryptor(options);
}

export interface PackageDecryptorOptions {
  readonly contentKey: Uint8Array;
}

/**
 * A Transform from package bytes to plaintext. Each chunk's plaintext is emitted only after
 * its tag verified, holding at most one chunk in memory. A package that is truncated,
 * reordered, altered, extended or under another key makes the stream fail with
 * `PackageIntegrityError`; since truncation can only be seen at the end, a consumer must
 * treat the content as valid only once the stream has finished without error.
 */
export class PackageDecryptor extends Transform {
  readonly #key: KeyObject;
  readonly #headerBytes = Buffer.alloc(PACKAGE_HEADER_LENGTH);
  readonly #nonce = Buffer.alloc(NONCE_LENGTH);
  #headerLength = 0;
  #header: PackageHeader | undefined;
  /** Holds a partial chunk record (ciphertext ‖ tag) between writes. */
  #partial: Buffer = Buffer.alloc(0);
  #partialLength = 0;
  #counter = 0;

  constructor(options: PackageDecryptorOptions) {
    super();
    this.#key = contentKeyObject(options.contentKey);
  }

  /** The validated header, once the first 32 bytes have arrived. */
  get header(): PackageHeader | undefined {
    return this.#header;
  }

  override _transform(data: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.#consume(data);
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    if (this.#header === undefined || this.#counter < this.#header.chunkCount) {
      callback(new PackageIntegrityError('truncated', 'package ends before its final chunk'));
      return;
    }
    callback();
  }

  #consume(data: Buffer): void {
    let offset = 0;
    if (this.#header === undefined) {
      offset = Math.min(PACKAGE_HEADER_LENGTH - this.#headerLength, data.length);
      data.copy(this.#headerBytes, this.#headerLength, 0, offset);
      this.#headerLength += offset;
      if (this.#headerLength < PACKAGE_HEADER_LENGTH) {
        // Reject a foreign file on its first bytes rather than after 32 of them.
        this.#rejectBadPrefix();
        return;
      }
      const header = readPackageHeader(this.#headerBytes);
      this.#header = header;
      this.#nonce.set(header.noncePrefix, 0);
      this.#partial = Buffer.allocUnsafe(this.#recordLength(0));
    }
    const header = this.#header;

    while (offset < data.length) {
      if (this.#counter === header.chunkCount) {
        throw new PackageIntegrityError('trailing_data', 'bytes follow the final chunk');
      }
      const recordLength = this.#recordLength(this.#counter);
      if (this.#partialLength === 0 && data.length - offset >= recordLength) {
        this.#open(data.subarray(offset, offset + recordLength));
        offset += recordLength;
        continue;
      }
      const take = Math.min(recordLength - this.#partialLength, data.length - offset);
      data.copy(this.#partial, this.#partialLength, offset, offset + take);
      this.#partialLength += take;
      offset += take;
      if (this.#partialLength === recordLength) {
        this.#partialLength = 0;
        this.#open(this.#partial.subarray(0, recordLength));
      }
    }
  }

  #rejectBadPrefix(): void {
    try {
      readPackageHeader(this.#headerBytes.subarray(0, this.#headerLength));
    } catch (error) {
      if (!(error instanceof PackageIntegrityError) || error.reason !== 'truncated') throw error;
    }
  }

  /** Ciphertext plus tag length of chunk `index`, fixed by the header. */
  #recordLength(index: number): number {
    const { chunkSize, chunkCount, plaintextLength } = this.#header!;
    const plaintextBytes = index < chunkCount - 1 ? chunkSize : plaintextLength - (chunkCount - 1) * chunkSize;
    return plaintextBytes + TAG_LENGTH;
  }

  #open(record: Buffer): void {
    const last = this.#counter === this.#header!.chunkCount - 1;
    this.#nonce.writeUInt32BE(this.#counter, NONCE_PREFIX_LENGTH);
    this.#nonce[NONCE_LENGTH - 1] = last ? 1 : 0;
    const ciphertextLength = record.length - TAG_LENGTH;
    const decipher = createDecipheriv('aes-256-gcm', this.#key, this.#nonce, { authTagLength: TAG_LENGTH });
    decipher.setAAD(this.#headerBytes);
    decipher.setAuthTag(record.subarray(ciphertextLength));
    const plaintext = decipher.update(record.subarray(0, ciphertextLength));
    try {
      decipher.final();
    } catch {
      throw new PackageIntegrityError('chunk_authentication_failed', `chunk ${this.#counter} failed authentication (altered, reordered, or wrong content key)`);
    }
    this.#counter += 1;
    this.push(plaintext);
  }
}

export function createPackageDecryptor(options: PackageDecryptorOptions): PackageDecryptor {
  return new PackageDecryptor(options);
}

/** Encrypts a small in-memory plaintext. Streams should use createPackageEncryptor. */
export async function encryptPackage(contentKey: Uint8Array, plaintext: Uint8Array, chunkSize: number = DEFAULT_CHUNK_SIZE): Promise<Uint8Array> {
  const encryptor = createPackageEncryptor({ contentKey, plaintextLength: plaintext.byteLength, chunkSize });
  return collect(encryptor, plaintext, encryptor.header.packageLength);
}

/** Decrypts a small in-memory package; rejects with PackageIntegrityError. */
export async function decryptPackage(contentKey: Uint8Array, pkg: Uint8Array): Promise<Uint8Array> {
  const decryptor = createPackageDecryptor({ contentKey });
  return collect(decryptor, pkg);
}

async function collect(stream: Transform, input: Uint8Array, expectedLength?: number): Promise<Uint8Array> {
  const parts: Buffer[] = [];
  let length = 0;
  stream.end(asBuffer(input));
  for await (const part of stream as AsyncIterable<Buffer>) {
    parts.push(part);
    length += part.length;
  }
  return Buffer.concat(parts, expectedLength ?? length);
}
