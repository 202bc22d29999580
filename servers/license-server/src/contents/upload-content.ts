import { isUniqueViolation } from '../storage/db-errors.ts';
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { newId, TesseraProblem, type AdminContent } from '@tessera/protocol';
import { CONTENT_KEY_LENGTH, createPackageEncryptor, PackageIntegrityError } from '@tessera/protocol/node';
import { recordAudit } from '../audit/audit-log.ts';
import type { AppContext } from '../context.ts';
import { insertContent, toAdminContent } from './content-queries.ts';

export const contentKeyContext = (authorityId: string, contentId: string) => `content-key:${authorityId}:${contentId}`;
// A per-upload suffix: a failed or conflicting upload can never overwrite another's package.
export const packageStorageKey = (authorityId: string, contentId: string) => `${authorityId}/${contentId}.${randomBytes(6).toString('hex')}.tpk`;

export interface UploadMetadata {
  /** An operator-chosen ID; a fresh one when absent. */
  id?: string | undefined;
  title: string;
  description?: string | undefined;
  mediaType: string;
}

/**
 * Checks what can be checked from the headers alone, so an upload that would be refused is
 * refused before a byte of it is read. Returns the declared plaintext length.
 */
export function checkUploadHeaders(req: IncomingMessage & { is(type: string): string | false | null }, maxUploadBytes: number): number {
  if (!req.is('application/octet-stream')) {
    throw new TesseraProblem('unsupported_media_type', 'send the file itself as the body, with Content-Type: application/octet-stream');
  }
  const declared = req.headers['content-length'];
  if (declared === undefined || !/^\d+$/.test(declared)) {
    // The length is part of the package header, which is written before the first chunk.
    throw new TesseraProblem('invalid_request', 'send a Content-Length header: the upload must declare its size up front (chunked transfer is not accepted)');
  }
  const length = Number(declared);
  if (length > maxUploadBytes) {
    throw new TesseraProblem('payload_too_large', `the file is ${length} bytes; this server accepts uploads of at most ${maxUploadBytes} bytes`);
  }
  if (length === 0) throw new TesseraProblem('invalid_request', 'the file is empty');
  return length;
}

/**
 * Encrypts an uploaded plaintext into a package under a fresh content key while it streams
 * in (one chunk in memory at a time, with backpressure), stores it, and records the content.
 * Nothing is left behind when the upload fails: no blob, no row.
 */
export async function uploadContent(
  ctx: AppContext,
  input: { authorityId: string; actor: string; metadata: UploadMetadata; body: IncomingMessage; plaintextLength: number },
): Promise<AdminContent> {
  const { authorityId, metadata, plaintextLength } = input;
  const contentId = metadata.id ?? newId('content');
  const storageKey = packageStorageKey(authorityId, contentId);
  const contentKey = randomBytes(CONTENT_KEY_LENGTH);
  const encryptor = createPackageEncryptor({ contentKey, plaintextLength });
  const blob = await ctx.blobs.create(storageKey);

  try {
    await pipeline(input.body, encryptor, blob.stream);
  } catch (error) {
    await blob.abort();
    if (error instanceof PackageIntegrityError || isAborted(error) || input.body.destroyed) {
      throw new TesseraProblem('malformed_request', `the upload ended before its declared ${plaintextLength} bytes arrived; nothing was stored`);
    }
    throw error;
  }
  const digests = await encryptor.digests();
  await blob.commit();

  try {
    const row = await ctx.db.transaction(async (tx) => {
      const inserted = await insertContent(tx, {
        authorityId,
        id: contentId,
        title: metadata.title,
        description: metadata.description || null,
        mediaType: metadata.mediaType,
        size: plaintextLength,
        packageSize: digests.packageLength,
        sha256: digests.plaintextSha256,
        packageSha256: digests.packageSha256,
        storageKey,
        contentKeySealed: ctx.secrets.seal(contentKey, contentKeyContext(authorityId, contentId)),
      });
      await recordAudit(tx, {
        authorityId,
        actor: input.actor,
        action: 'content.upload',
        target: contentId,
        details: { title: metadata.title, mediaType: metadata.mediaType, size: plaintextLength, sha256: digests.plaintextSha256 },
      });
      return inserted;
    });
    return toAdminContent({ ...row, downloads: 0, licenses: 0 });
  } catch (error) {
    await ctx.blobs.remove(storageKey).catch((err) => ctx.logger.error({ err, storageKey }, 'could not remove the package of a failed upload'));
    if (isUniqueViolation(error)) throw new TesseraProblem('content_exists', `a content ${contentId} already exists at this authority`);
    throw error;
  }
}

const isAborted = (error: unknown) => {
  const code = (error as { code?: string } | null)?.code;
  return code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ECONNABORTED';
};
