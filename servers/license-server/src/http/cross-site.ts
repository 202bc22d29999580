import type { RequestHandler } from 'express';
import { TesseraProblem } from '@tessera/protocol';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * An administrator's session is a cookie, and a browser attaches it to any request for this
 * server, including one that a page of another site makes it send. So a change to the admin API
 * is refused when the browser says where it comes from and that is elsewhere: an `Origin` that
 * is neither this server's nor an allowed console's, or, without `Origin`, `Sec-Fetch-Site:
 * cross-site`. Clients that are not browsers (the console's server side, scripts, the CLI) send
 * neither and are not affected; the JSON-only rule for bodies keeps HTML forms out as well.
 */
export function crossSiteGuard(publicUrl: string, allowedOrigins: readonly string[]): RequestHandler {
  const allowed = new Set([new URL(publicUrl).origin, ...allowedOrigins]);
  return (req, _res, next) => {
    if (SAFE_METHODS.has(req.method) || !req.path.startsWith('/admin')) return next();
    const origin = req.get('origin');
    if (origin !== undefined && !allowed.has(origin)) {
      return next(
        new TesseraProblem(
          'cross_site_request',
          `changes to the admin API are not accepted from pages of ${origin}; allow a console's origin with TESSERA_ALLOWED_ORIGINS`,
        ),
      );
    }
    if (origin === undefined && req.get('sec-fetch-site') === 'cross-site') {
      return next(new TesseraProblem('cross_site_request', 'changes to the admin API are not accepted from pages of another site'));
    }
    next();
  };
}
