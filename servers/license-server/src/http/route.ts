import type { NextFunction, Request, Response, Router } from 'express';
import { authorityParamsSchema, TesseraProblem, type RouteSpec } from '@tessera/protocol';
import type { z } from 'zod';
import type { AuthorityRef } from '../authorities/authority-directory.ts';
import type { AppContext } from '../context.ts';
import type { AdminPrincipal, DevicePrincipal, Middleware, RouteGuards } from './principals.ts';

type Infer<T> = T extends z.ZodType ? z.output<T> : undefined;
type AuthOf<S extends RouteSpec> = S['auth'] extends 'device' ? { device: DevicePrincipal } : S['auth'] extends 'admin' ? { admin: AdminPrincipal } : object;
type AuthorityOf<S extends RouteSpec> = S['path'] extends `${string}:authority${string}` ? { authority: AuthorityRef } : object;

export type RouteInput<S extends RouteSpec> = {
  params: Infer<S['params']>;
  query: Infer<S['query']>;
  body: Infer<S['body']>;
  req: Request;
  res: Response;
} & AuthOf<S> &
  AuthorityOf<S>;

type JsonResponses<S extends RouteSpec> = {
  [K in keyof S['responses'] & number]: S['responses'][K] extends z.ZodType
    ? { status: K; body: z.input<S['responses'][K]>; headers?: Record<string, string> }
    : S['responses'][K] extends null
      ? { status: K }
      : never;
}[keyof S['responses'] & number];

/** A handler returns a JSON result, or `handled` when it wrote the response itself (streams, CSV). */
export type RouteResult<S extends RouteSpec> = JsonResponses<S> | 'handled';
export type RouteHandler<S extends RouteSpec> = (input: RouteInput<S>) => Promise<RouteResult<S>>;

export const ok = <T>(body: T) => ({ status: 200 as const, body });
export const created = <T>(body: T) => ({ status: 201 as const, body });
export const noContent = () => ({ status: 204 as const });

export type { Middleware, RouteGuards } from './principals.ts';

const isJsonOrAbsent = (contentType: string | undefined) => contentType === undefined || contentType.split(';')[0]!.trim().toLowerCase() === 'application/json';

/**
 * Binds one route of the contract: authenticates by the spec's `auth`, parses params, query
 * and body with its schemas once at the edge, and parses the response through its schema so
 * nothing undeclared leaks out.
 */
export function bindRoute<S extends RouteSpec>(router: Router, ctx: AppContext, guards: RouteGuards, spec: S, handler: RouteHandler<S>): void {
  const chain: Middleware[] = [];
  if (spec.path.includes(':authority')) {
    chain.push((req, res, next) => {
      // Checked before the lookup, so a slug the syntax refuses (a NUL, a space) never reaches SQL;
      // like any slug not served here, it is an unknown authority (SPEC 5.1).
      const parsed = authorityParamsSchema.safeParse({ authority: req.params.authority });
      if (!parsed.success)
        return next(new TesseraProblem('authority_unknown', 'no authority with such a slug on this server: slugs are lower-case letters, digits and dashes'));
      const slug = parsed.data.authority;
      ctx.authorities.bySlug(slug).then((authority) => {
        res.locals.authority = authority;
        next();
      }, next);
    });
  }
  if (spec.auth === 'device') chain.push(guards.device);
  if (spec.auth === 'admin') chain.push(guards.admin(spec));

  router[spec.method](spec.path, ...chain, async (req: Request, res: Response, next: NextFunction) => {
    try {
      if (spec.body && !req.is('application/json')) {
        throw new TesseraProblem('unsupported_media_type', 'send the body as application/json');
      }
      // A route without a body still refuses form media types: an HTML form of another site can
      // send those with the session cookie, but cannot send JSON without CORS, which is never granted.
      if (!spec.body && !spec.rawBody && spec.method !== 'get' && !isJsonOrAbsent(req.get('content-type'))) {
        throw new TesseraProblem('unsupported_media_type', 'this request has no body; send none, or application/json');
      }
      const input = {
        params: spec.params ? spec.params.parse(req.params) : undefined,
        query: spec.query ? spec.query.parse(req.query) : undefined,
        body: spec.body ? spec.body.parse(req.body ?? {}) : undefined,
        req,
        res,
        device: res.locals.device,
        admin: res.locals.admin,
        authority: res.locals.authority,
      } as RouteInput<S>;
      const result = await handler(input);
      if (result === 'handled') return;
      const declared = spec.responses[result.status as keyof typeof spec.responses];
      if (declared === undefined) throw new Error(`${spec.operationId} answered undeclared status ${result.status}`);
      if (declared === null) {
        res.status(result.status).end();
        return;
      }
      const parsed = (declared as z.ZodType).safeParse((result as { body: unknown }).body);
      // A response that breaks its own schema is the server's bug, never the client's.
      if (!parsed.success) throw new Error(`${spec.operationId} produced a response outside its schema`, { cause: parsed.error });
      const body = parsed.data;
      if ('headers' in result && result.headers) res.set(result.headers);
      res.status(result.status).json(body);
    } catch (error) {
      next(error);
    }
  });
}
