import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PRIVATE_FILE_MODE, preparePrivateDirectory } from '../storage/private-files.ts';
import type { Logger } from 'pino';

/**
 * Seals secrets at rest (authority private keys, content keys). This is the seam for a KMS:
 * an implementation backed by a key management service only has to provide these two calls.
 * `context` is bound as additional data, so a sealed value copied to another row fails to open.
 */
export interface SecretBox {
  seal(plaintext: Uint8Array, context: string): string;
  open(sealed: string, context: string): Buffer;
  /** Derives a purpose-bound secret (e.g. the session cookie secret) from the master key. */
  derive(purpose: string): Buffer;
}

const VERSION = 'v1';

export function createMasterKeySecretBox(masterKey: Uint8Array): SecretBox {
  if (masterKey.length !== 32) throw new Error('the master key must be 32 bytes');
  const key = Buffer.from(masterKey);
  return {
    seal(plaintext, context) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      return [VERSION, iv.toString('base64url'), ct.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
    },
    open(sealed, context) {
      const [version, iv, ct, tag] = sealed.split('.');
      if (version !== VERSION || !iv || ct === undefined || !tag) throw new Error('unrecognised sealed secret');
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]);
    },
    derive(purpose) {
      return Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), `tessera:${purpose}`, 32));
    },
  };
}

export function parseMasterKey(value: string): Buffer {
  const trimmed = value.trim();
  const bytes = /^[0-9a-fA-F]{64}$/.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64');
  if (bytes.length !== 32) throw new Error('TESSERA_MASTER_KEY must be 32 bytes, as 64 hex digits or base64');
  return bytes;
}

/**
 * The master key from configuration, or — for the embedded zero-set-up default — from a key
 * file in the data directory, created on first start. Anyone who can read that file can open
 * every secret in the database, hence the warning.
 */
export async function loadMasterKey(configured: string | undefined, dataDir: string, logger: Logger): Promise<Buffer> {
  if (configured) return parseMasterKey(configured);
  const file = path.join(dataDir, 'master.key');
  try {
    return parseMasterKey(await readFile(file, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await preparePrivateDirectory(dataDir);
  const key = randomBytes(32);
  await writeFile(file, `${key.toString('base64')}\n`, { mode: PRIVATE_FILE_MODE, flag: 'wx' }).catch(async (error) => {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  });
  await chmod(file, PRIVATE_FILE_MODE);
  logger.warn(
    { file },
    'TESSERA_MASTER_KEY is not set: private keys and content keys are sealed with a key file stored next to the data. Set TESSERA_MASTER_KEY (or a KMS) in production.',
  );
  return parseMasterKey(await readFile(file, 'utf8'));
}
