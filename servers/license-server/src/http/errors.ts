import type { ErrorRequestHandler, RequestHandler } from 'express';
import { formatZodIssues, TesseraProblem } from '@tessera/protocol';
import { ZodError } from 'zod';

export const PROBLEM_MEDIA_TYPE = 'application/problem+json';

/** Maps the errors body parsers and zod throw onto the catalogue, so every failure has one shape. */
export function toProblem(error: unknown): TesseraProblem | null {
  if (error instanceof TesseraProblem) return error;
  if (error instanceof ZodError) {
    return new TesseraProblem('invalid_request', formatZodIssues(error), {
      errors: error.issues.slice(0, 20).map((i) => ({ path: i.path.join('.'), message: i.message })),
    });
  }
  const e = error as { type?: string; status?: number; expose?: boolean } | null;
  switch (e?.type) {
    case 'entity.parse.failed':
      return new TesseraProblem('malformed_request', 'the body is not valid JSON');
    case 'entity.too.large':
      return new TesseraProblem('payload_too_large', 'the body is larger than this endpoint accepts');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new TesseraProblem('unsupported_media_type', 'unsupported body encoding or charset');
    case 'request.aborted':
      return new TesseraProblem('malformed_request', 'the request body was aborted');
    default:
      return null;
  }
}

export const problemHandler: ErrorRequestHandler = (error, req, res, _next) => {
  const problem = toProblem(error);
  if (!problem) req.log?.error({ err: error }, 'unhandled error');
  const p = problem ?? new TesseraProblem('internal_error', 'an unexpected error occurred; it has been logged');
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (typeof p.extensions.retryAfter === 'number') res.setHeader('Retry-After', String(p.extensions.retryAfter));
  if (p.status === 401 && p.code === 'unauthenticated') res.setHeader('WWW-Authenticate', 'Cookie realm="tessera-admin"');
  else if (p.status === 401) res.setHeader('WWW-Authenticate', 'Tessera-Proof');
  res
    .status(p.status)
    .type(PROBLEM_MEDIA_TYPE)
    .send(JSON.stringify(p.toDocument(req.originalUrl)));
};

export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new TesseraProblem('not_found', `nothing at ${req.method} ${req.path}`));
};
