import 'server-only';
import { cookies } from 'next/headers';
import { redirect } from 'next/navigation';
import {
  buildRouteRequest,
  parseRouteAnswer,
  routeAnswerFormat,
  RouteAnswerError,
  RouteInputError,
  type RouteInput,
  type RouteName,
  type RouteOutput,
  type routes,
} from '@tessera/protocol';
import { ProblemError, toProblem, unreachable, type Problem } from './problem.ts';
import { findServer, sessionCookieName, UPSTREAM_SESSION_COOKIE, type LicenseServer } from './servers.ts';

/*
 * The console's typed client of the admin API, over the route client of @tessera/protocol: paths,
 * methods and schemas all come from the route catalogue, so the console cannot drift from the
 * server. Request parameters and bodies are checked with the route's schemas before they
 * leave, and answers are parsed with the route's response schemas before a page sees them.
 */

type Routes = typeof routes;
export type AdminRouteName = { [N in RouteName]: Routes[N]['path'] extends `/admin${string}` ? N : never }[RouteName];
/** What a call takes: `params` and `body` when the route has them, and optionally its `query`. */
export type AdminInput<N extends AdminRouteName> = RouteInput<N>;
export type AdminOutput<N extends AdminRouteName> = RouteOutput<N>;

const REQUEST_TIMEOUT_MS = 30_000;

function invalidRequest(error: RouteInputError): ProblemError {
  return new ProblemError({
    status: 400,
    code: 'invalid_request',
    title: 'The request does not match its schema',
    detail: error.issues.map((i) => `${[error.where, ...i.path].join('.')}: ${i.message}`).join('; '),
    errors: error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
  });
}

function unexpectedAnswer(server: LicenseServer, error: RouteAnswerError): ProblemError {
  if (error.reason === 'undeclared_status')
    return new ProblemError({ status: 502, code: 'unexpected_answer', title: `${server.name} answered with an undeclared status ${error.status}` });
  return new ProblemError({
    status: 502,
    code: 'unexpected_answer',
    title: `${server.name} gave an answer this console does not understand`,
    detail: error.issues
      .slice(0, 3)
      .map((i) => `${i.path.join('.')}: ${i.message}`)
      .join('; '),
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
  let request: ReturnType<typeof buildRouteRequest>;
  try {
    request = buildRouteRequest(name, input);
  } catch (error) {
    if (error instanceof RouteInputError) throw invalidRequest(error);
    throw error;
  }

  const session = (await cookies()).get(sessionCookieName(server.key))?.value;
  let res: Response;
  try {
    res = await fetch(`${server.url}${request.path}`, {
      method: request.method,
      headers: {
        accept: 'application/json, application/problem+json, text/csv',
        ...(request.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(session ? { cookie: `${UPSTREAM_SESSION_COOKIE}=${session}` } : {}),
      },
      body: request.body,
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
  try {
    const format = routeAnswerFormat(name, res.status);
    const body = format === 'json' ? await res.json().catch(() => undefined) : format === 'text' ? await res.text() : undefined;
    return parseRouteAnswer(name, { status: res.status, body });
  } catch (error) {
    if (error instanceof RouteAnswerError) throw unexpectedAnswer(server, error);
    throw error;
  }
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
