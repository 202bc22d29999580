import type { z } from 'zod';
import { routes, type HttpMethod, type RouteName, type RouteSpec } from './routes.ts';

/*
 * The caller's half of the route catalogue, shared by the device SDK and the console: a request
 * is named by its route, checked with the route's schemas before it leaves, and its answer is
 * parsed with the schema the route declares for that status, so neither caller can drift from
 * the server nor pass on an answer the contract does not allow. It sends nothing itself: each
 * caller brings its own transport (device proofs, session cookies, timeouts).
 */

type Routes = typeof routes;
type Field<R, K extends string> = R extends { [P in K]: infer S } ? (S extends z.ZodType ? z.input<S> : never) : never;
type Has<R, K extends string> = R extends { [P in K]: z.ZodType } ? true : false;

/** What calling a route takes: `params` and `body` when the route has them, and optionally its `query`. */
export type RouteInput<N extends RouteName> = (Has<Routes[N], 'params'> extends true ? { params: Field<Routes[N], 'params'> } : unknown) &
  (Has<Routes[N], 'query'> extends true ? { query?: Partial<Field<Routes[N], 'query'>> } : unknown) &
  (Has<Routes[N], 'body'> extends true ? { body: Field<Routes[N], 'body'> } : unknown);

type Answer<S> = S extends z.ZodType ? z.output<S> : S extends null ? null : S extends 'binary' ? Uint8Array : string;
/** What a route answers on success, whichever of its declared statuses it used. */
export type RouteOutput<N extends RouteName> = Answer<Routes[N]['responses'][keyof Routes[N]['responses']]>;

/** How the body of a declared answer is read: JSON through its schema, no body, text (CSV, a JWS) or bytes. */
export type AnswerFormat = 'json' | 'empty' | 'text' | 'binary';

/** A request ready for any transport: the path (query included) below the server's base URL and the JSON body text. */
export interface RouteRequest {
  route: RouteName;
  method: Uppercase<HttpMethod>;
  path: string;
  /** The body as it must be sent and signed, already validated; absent when the route takes none. */
  body?: string;
}

const describeIssues = (issues: z.core.$ZodIssue[], prefix: PropertyKey[] = []): string =>
  issues
    .slice(0, 5)
    .map((i) => `${[...prefix, ...i.path].map(String).join('.') || '(root)'}: ${i.message}`)
    .join('; ');

/** Request values that do not match the route's schema: nothing was sent. */
export class RouteInputError extends Error {
  override name = 'RouteInputError';
  readonly route: RouteName;
  readonly where: 'params' | 'body';
  readonly issues: z.core.$ZodIssue[];
  /** The fields that do not match, e.g. `params.contentId: …`. */
  readonly detail: string;

  constructor(route: RouteName, where: 'params' | 'body', issues: z.core.$ZodIssue[]) {
    const detail = describeIssues(issues, [where]);
    super(`${route}: ${detail}`);
    this.route = route;
    this.where = where;
    this.issues = issues;
    this.detail = detail;
  }
}

/** An answer the route does not declare: a status it never gives, or a body that fails the status's schema. */
export class RouteAnswerError extends Error {
  override name = 'RouteAnswerError';
  readonly route: RouteName;
  readonly status: number;
  readonly reason: 'undeclared_status' | 'unexpected_body';
  /** For `unexpected_body` of a JSON answer: what did not match. */
  readonly issues: z.core.$ZodIssue[];
  /** What is wrong, without the route: `status 201 is not declared`, `clientId: …`. */
  readonly detail: string;

  constructor(route: RouteName, status: number, reason: RouteAnswerError['reason'], issues: z.core.$ZodIssue[] = [], detail?: string) {
    const what = reason === 'undeclared_status' ? `status ${status} is not declared` : (detail ?? describeIssues(issues));
    super(
      reason === 'undeclared_status'
        ? `${route} answered with status ${status}, which the route does not declare`
        : `${route} answered ${status} with an unexpected body: ${what}`,
    );
    this.route = route;
    this.status = status;
    this.reason = reason;
    this.issues = issues;
    this.detail = what;
  }
}

const specOf = (name: RouteName): RouteSpec => routes[name];

/**
 * Builds the request for one route: `params` are checked and substituted into the path
 * (each value percent-encoded), `query` values other than undefined, null and '' become the
 * query string in the order given, and `body` is checked and serialized from what the
 * schema parsed. Throws RouteInputError when params or body do not match.
 */
export function buildRouteRequest<N extends RouteName>(name: N, input: RouteInput<N> = {} as RouteInput<N>): RouteRequest {
  const spec = specOf(name);
  const { params, query, body } = input as { params?: unknown; query?: Record<string, unknown>; body?: unknown };

  let path = spec.path;
  if (spec.params) {
    const parsed = spec.params.safeParse(params ?? {});
    if (!parsed.success) throw new RouteInputError(name, 'params', parsed.error.issues);
    const values = parsed.data as Record<string, unknown>;
    path = path.replace(/:(\w+)/g, (_, key: string) => encodeURIComponent(String(values[key] ?? '')));
  }
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  }
  if (search.size) path = `${path}?${search}`;

  const request: RouteRequest = { route: name, method: spec.method.toUpperCase() as RouteRequest['method'], path };
  if (spec.body) {
    const parsed = spec.body.safeParse(body ?? {});
    if (!parsed.success) throw new RouteInputError(name, 'body', parsed.error.issues);
    request.body = JSON.stringify(parsed.data);
  }
  return request;
}

/** How an answer of `name` with `status` is to be read; throws RouteAnswerError when the route does not declare the status. */
export function routeAnswerFormat(name: RouteName, status: number): AnswerFormat {
  const declared = (specOf(name).responses as Record<number, unknown>)[status];
  if (declared === undefined) throw new RouteAnswerError(name, status, 'undeclared_status');
  if (declared === null) return 'empty';
  if (declared === 'binary') return 'binary';
  return typeof declared === 'string' ? 'text' : 'json';
}

/**
 * Parses a success answer of `name` with the schema its status declares. `body` is the
 * parsed JSON of a JSON answer (undefined when it was not JSON), the text of a text answer,
 * or the bytes of a binary one. Throws RouteAnswerError for an undeclared status or a body
 * that does not match.
 */
export function parseRouteAnswer<N extends RouteName>(name: N, answer: { status: number; body: unknown }): RouteOutput<N> {
  const format = routeAnswerFormat(name, answer.status);
  if (format === 'empty') return null as RouteOutput<N>;
  if (format === 'text') {
    if (typeof answer.body !== 'string') throw new RouteAnswerError(name, answer.status, 'unexpected_body', [], 'expected text');
    return answer.body as RouteOutput<N>;
  }
  if (format === 'binary') {
    if (!(answer.body instanceof Uint8Array)) throw new RouteAnswerError(name, answer.status, 'unexpected_body', [], 'expected bytes');
    return answer.body as RouteOutput<N>;
  }
  const schema = (specOf(name).responses as Record<number, z.ZodType>)[answer.status]!;
  const parsed = schema.safeParse(answer.body);
  if (!parsed.success) throw new RouteAnswerError(name, answer.status, 'unexpected_body', parsed.error.issues);
  return parsed.data as RouteOutput<N>;
}
