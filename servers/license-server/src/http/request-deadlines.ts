import type { RequestHandler } from 'express';
import { TesseraProblem } from '@tessera/protocol';
import type { ServerConfig } from '../config.ts';
import { PROBLEM_MEDIA_TYPE } from './errors.ts';

/**
 * A client that sends its body a byte at a time holds a socket for as long as it likes, and a
 * few hundred of them hold them all. Node's own `requestTimeout` cannot tell an upload, which may
 * rightly take hours, from a JSON request, so the server times bodies here instead:
 * - a request with a JSON (or no) body must be received within `requestTimeoutMs`, else it is
 *   answered 408 and its connection closed;
 * - an upload (`application/octet-stream`) only has to keep moving: it is cut when no byte has
 *   arrived for `uploadIdleTimeoutMs`.
 */
export function requestDeadlines(config: Pick<ServerConfig, 'requestTimeoutMs' | 'uploadIdleTimeoutMs'>): RequestHandler {
  return (req, res, next) => {
    if (req.complete) return next();
    const socket = req.socket;
    if (req.is('application/octet-stream')) {
      socket.setTimeout(config.uploadIdleTimeoutMs, () => socket.destroy());
      res.once('close', () => socket.setTimeout(0));
      return next();
    }
    const timer = setTimeout(() => {
      if (req.complete) return;
      if (res.headersSent) return socket.destroy();
      const problem = new TesseraProblem('request_timeout', `the request was not received within ${config.requestTimeoutMs} ms`);
      res.once('finish', () => socket.destroy());
      res
        .status(problem.status)
        .set('Connection', 'close')
        .type(PROBLEM_MEDIA_TYPE)
        .send(JSON.stringify(problem.toDocument(req.originalUrl)));
    }, config.requestTimeoutMs);
    timer.unref();
    const done = () => clearTimeout(timer);
    req.once('end', done);
    res.once('close', done);
    next();
  };
}
