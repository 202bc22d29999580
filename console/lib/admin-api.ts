import 'server-only';
import { cookies } from 'next/headers';
import { redirect } from 'next/navigation';
import { routes, type RouteName } from '@tessera/protocol';
import type { z } from 'zod';
import { ProblemError, toProblem, unreachable, type Problem } from './problem.ts';
import { findServer, sessionCookieName, UPSTREAM_SESSION_COOKIE, type LicenseServer } from './servers.ts';

/*
 * The console's typed client of the admin API. Paths, methods and schemas all come from the
 * route catalogue of @tessera/protocol, so the console cannot drift from the server: request
 * parameters and bodies are checked with the route's schemas before they leave, and answers
 * are parsed with the route's response schemas before a page sees them.
 */

type Routes = typeof routes;
export type AdminRouteName = { [N in RouteName]: Routes[N]['path'] extends `/admin${string}` ? N : never }[RouteName];

type Field<R, K extends string> = R extends { [P in K]: infer S } ? (S extends z.ZodType ? z.input<S> : never) : never;
type Has<R, K extends string> = R extends { [P in K]: z.ZodType } ? true : false;
/** What a call takes: `params` and `body` when the route has them, and optionally its `query`. */
export type AdminInput<N extends AdminRouteName> = (Has<Routes[N], 'params'> extends true ? { params: Field<Routes[N], 'params'> } : unknown) &
  (Has<Routes[N], 'query'> extends true ? { query?: Partial<Field<Routes[N], 'query'>> } : unknown) &
  (Has<Routes[N], 'body'> extends true ? { body: Field<Routes[N], 'body'> } : unknown);

type Answer<S> = S extends z.ZodType ? z.output<S> : S extends null ? null : string;
export type AdminOutput<N extends AdminRouteName> = Answer<Routes[N]['responses'][keyof Routes[N]['responses']]>;

const REQUEST_TIMEOUT_MS = 30_000;

function invalidRequest(error: z.ZodError, where: string): ProblemError {
  return new ProblemError({
    status: 400,
    code: 'invalid_request',
    title: 'The request does not match its schema',
    detail: error.issues.map((i) => `${[where, ...i.path].join('.')}: ${i.message}`).join('; '),
    errors: error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
  });
}

export function requireServer(serverKey: string): LicenseServer {
  const server = findServer(serverKey);
  if (!server) throw new ProblemError({ status: 404, code: 'not_found', title: `No license server "${serverKey}" is configured in this console` });
  return server;
}

/** Calls one admin route with the signed-in administrator's session; throws ProblemError on failure. */
export async function callAdmin<N extends AdminRouteName>(serverKey: string, name: N, input: AdminInput<N> = {} as AdminInput<N>): Promise<AdminOutput<N>> {
  const server = requireServer(serverKey);
  const spec = routes[name] as Routes[AdminRouteName] & { params?: z.ZodType; body?: z.ZodType; responses: Record<number, unknown> };
  const { params, query, body } = input as { params?: Record<string, unknown>; query?: Record<string, unknown>; body?: unknown };

  let path: string = spec.path;
  if (spec.params) {
    const parsed = spec.params.safeParse(params ?? {});
    if (!parsed.success) throw invalidRequest(parsed.error, 'params');
    const values = parsed.data as Record<string, string>;
    path = path.replace(/:(\w+)/g, (_, key: string) => encodeURIComponent(values[key] ?? ''));
  }
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  }
  let payload: string | undefined;
  if (spec.body) {
    const parsed = spec.body.safeParse(body ?? {});
    if (!parsed.success) throw invalidRequest(parsed.error, 'body');
    payload = JSON.stringify(parsed.data);
  }

  const session = (await cookies()).get(sessionCookieName(server.key))?.value;
  let res: Response;
  try {
    res = await fetch(`${server.url}${path}${search.size ? `?${search}` : ''}`, {
      method: spec.method.toUpperCase(),
      headers: {
        accept: 'application/json, application/problem+json, text/csv',
        ...(payload !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(session ? { cookie: `${UPSTREAM_SESSION_COOKIE}=${session}` } : {}),
      },
      body: payload,
      cache: 'no-store',
      redirect: 'manual',
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch {
    throw new ProblemError(unreachable(server.name));
  }

  if (res.status >= 400) {
    const text = await res.text();
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      doc = undefined;
    }
    throw new ProblemError(toProblem(res.status, doc));
  }
  const expected = spec.responses[res.status];
  if (expected === undefined) throw new ProblemError({ status: 502, code: 'unexpected_answer', title: `${server.name} answered with an undeclared status ${res.status}` });
  if (expected === null) return null as AdminOutput<N>;
  if (typeof expected === 'string') return (await res.text()) as AdminOutput<N>;
  const parsed = (expected as z.ZodType).safeParse(await res.json().catch(() => undefined));
  if (!parsed.success) {
    throw new ProblemError({
      status: 502,
      code: 'unexpected_answer',
      title: `${server.name} gave an answer this console does not understand`,
      detail: parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
    });
  }
  return parsed.data as AdminOutput<N>;
}

export type Loaded<T> = { ok: true; data: T } | { ok: false; problem: Problem };

/**
 * For pages: the answer, or the problem to show in place of the data. A missing or expired
 * session goes to the sign-in page of that server instead.
 */
export async function load<N extends AdminRouteName>(serverKey: string, name: N, input?: AdminInput<N>): Promise<Loaded<AdminOutput<N>>> {
  try {
    return { ok: true, data: await callAdmin(serverKey, name, input) };
  } catch (error) {
    if (!(error instanceof ProblemError)) throw error;
    if (error.problem.code === 'unauthenticated') redirect(`/${encodeURIComponent(serverKey)}/login?expired=1`);
    return { ok: false, problem: error.problem };
  }
}
