import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Request, Response } from 'express';
import { newId, TesseraProblem } from '@tessera/protocol';
import type { AppContext } from '../context.ts';
import type { DevicePrincipal } from '../registration/device-proof-strategy.ts';
import { decideRange } from './byte-range.ts';
import { findPackage, insertDownload } from './content-queries.ts';

/**
 * Serves a content's encrypted package to a device, whole or one byte range, and records the
 * supply (claim 6) before the first byte leaves: if the record cannot be written, nothing is
 * served. HEAD and 304 answers supply nothing and record nothing.
 */
export async function supplyPackage(ctx: AppContext, device: DevicePrincipal, contentId: string, req: Request, res: Response): Promise<void> {
  const authorityId = device.authority.id;
  const pkg = await findPackage(ctx.db, authorityId, contentId);
  if (!pkg) throw new TesseraProblem('content_unknown', `no content ${contentId} at ${device.authority.issuer}`);
  if (pkg.status !== 'available') throw new TesseraProblem('content_unavailable', `content ${contentId} has been withdrawn`);

  // The package never changes once stored, so its digest is a strong validator.
  const etag = `"${pkg.packageSha256}"`;
  res.setHeader('Accept-Ranges', 'bytes');
  res.setHeader('ETag', etag);
  // The bytes are encrypted, so caches may keep them; max-age=0 makes them revalidate.
  res.setHeader('Cache-Control', 'private, max-age=0');

  const rangeHeader = req.get('range');
  if (!rangeHeader && matchesIfNoneMatch(req.get('if-none-match'), etag)) {
    res.status(304).end();
    return;
  }
  const range = decideRange(pkg.packageSize, rangeHeader, req.get('if-range'), etag);
  if (range.kind === 'unsatisfiable') {
    res.setHeader('Content-Range', `bytes */${pkg.packageSize}`);
    throw new TesseraProblem('range_not_satisfiable', `the package is ${pkg.packageSize} bytes; the range "${rangeHeader}" lies beyond its end`);
  }

  const headOnly = req.method === 'HEAD';
  let body: Readable | undefined;
  if (!headOnly) {
    // Open the blob first: a missing file is a server fault and must not be recorded as a supply.
    body = await ctx.blobs.open(pkg.storageKey, { start: range.start, end: range.end });
    try {
      await insertDownload(ctx.db, {
        authorityId,
        id: newId('download'),
        userId: device.userId,
        clientId: device.clientId,
        contentId,
        rangeStart: range.start,
        rangeEnd: range.end,
      });
    } catch (error) {
      body.destroy();
      throw error;
    }
  }

  res.status(range.kind === 'partial' ? 206 : 200);
  res.setHeader('Content-Type', 'application/octet-stream');
  res.setHeader('Content-Length', String(range.end - range.start + 1));
  if (range.kind === 'partial') res.setHeader('Content-Range', `bytes ${range.start}-${range.end}/${pkg.packageSize}`);
  if (!body) {
    res.end();
    return;
  }
  try {
    await pipeline(body, res);
  } catch (error) {
    // A device that hangs up mid-download resumes later with a Range request; not a fault.
    if ((error as { code?: string }).code === 'ERR_STREAM_PREMATURE_CLOSE') return;
    ctx.logger.warn({ err: error, contentId }, 'package download failed mid-stream');
  }
}

function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((candidate) => {
    const tag = candidate.trim();
    return tag === '*' || tag === etag || tag === `W/${etag}`;
  });
}
