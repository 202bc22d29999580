import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
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
      break;
  }
  // Other client errors of the HTTP stack carry their status: a path whose percent-escapes are not
  // UTF-8 (the router's URIError), a body whose Content-Encoding does not match its bytes (zlib).
  if (e?.status === 400) return new TesseraProblem('malformed_request', 'the request cannot be decoded (its path escapes or its Content-Encoding)');
  if (e?.status === 413) return new TesseraProblem('payload_too_large', 'the body is larger than this endpoint accepts');
  if (e?.status === 415) return new TesseraProblem('unsupported_media_type', 'unsupported body encoding or media type');
  return null;
}

/**
 * Requests Node's HTTP parser refuses before the app sees them (raw bytes in the target, broken
 * headers) get a problem document too, then the connection closes.
 */
export function answerClientErrors(server: Server): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (!socket.writable || error.code === 'ECONNRESET') return void socket.destroy();
    const problem =
      error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? new TesseraProblem('request_timeout', 'the request was not received in time')
        : new TesseraProblem(
            'malformed_request',
            'the request is not valid HTTP (bytes outside ASCII in the target must be percent-encoded; headers must fit the limit)',
          );
    const body = JSON.stringify(problem.toDocument());
    const reason = problem.status === 408 ? 'Request Timeout' : 'Bad Request';
    socket.end(
      `HTTP/1.1 ${problem.status} ${reason}\r\nContent-Type: ${PROBLEM_MEDIA_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
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
