import express, { type Express } from 'express';
import helmet from 'helmet';
import { Passport, type PassportStatic } from 'passport';
import { pinoHttp } from 'pino-http';
import { buildOpenApiDocument, TesseraProblem } from '@tessera/protocol';
import { adminGuard, configureAdminAuth } from '../admin/admin-auth.ts';
import type { AppContext } from '../context.ts';
import { DeviceProofStrategy } from '../registration/device-proof-strategy.ts';
import { crossSiteGuard } from './cross-site.ts';
import { notFoundHandler, problemHandler } from './errors.ts';
import { requestDeadlines } from './request-deadlines.ts';
import type { RouteGuards, RouteModule } from './principals.ts';

/** Builds the Express app for a context. Tests mount it with supertest; the CLI listens with it. */
export function createApp(ctx: AppContext, routeModules: readonly RouteModule[]): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', ctx.config.secureCookies ? 1 : false);
  app.set('etag', false);
  app.use(
    pinoHttp({
      logger: ctx.logger,
      redact: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'],
      customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'info' : 'debug'),
    }),
  );
  // The API serves no HTML: helmet's headers with a policy that allows nothing to load or frame it.
  app.use(helmet({ contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } } }));
  // Answers carry tokens, keys and admin data: none may be stored by a cache unless its route says
  // so (public keys, the entity configuration, packages).
  app.use((_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  app.use((req, _res, next) => {
    // No CORS is served, so OPTIONS has nothing to say; and answers carry no validators, so a
    // conditional request must not turn into Express's 304.
    if (req.method === 'OPTIONS') return next(new TesseraProblem('method_not_allowed', 'this API answers no OPTIONS requests (it serves no CORS)'));
    delete req.headers['if-none-match'];
    delete req.headers['if-modified-since'];
    next();
  });
  app.use(requestDeadlines(ctx.config));
  app.use(crossSiteGuard(ctx.config.publicUrl, ctx.config.allowedOrigins));
  app.use(
    express.json({
      limit: ctx.config.maxJsonBodyBytes,
      type: ['application/json', 'application/*+json'],
      // Device proofs sign the exact body bytes, so keep them.
      verify: (req, _res, buf) => {
        (req as unknown as { rawBody: Buffer }).rawBody = buf;
      },
    }),
  );

  const passport = new Passport() as unknown as PassportStatic;
  app.locals.passport = passport;
  passport.use(new DeviceProofStrategy(ctx));
  configureAdminAuth(app, ctx, passport);

  const guards: RouteGuards = {
    device: (req, res, next) =>
      passport.authenticate('device-proof', { session: false }, (err: unknown, principal: unknown) => {
        if (err) return next(err);
        res.locals.device = principal;
        next();
      })(req, res, next),
    admin: adminGuard,
  };

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  const openapi = buildOpenApiDocument(ctx.config.publicUrl);
  app.get('/openapi.json', (_req, res) => {
    res.json(openapi);
  });

  const router = express.Router();
  for (const register of routeModules) register(router, ctx, guards);
  app.use(router);
  app.use(notFoundHandler);
  app.use(problemHandler);
  return app;
}
