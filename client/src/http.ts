import { open, rm } from 'node:fs/promises';
import {
  buildRouteRequest,
  createDeviceProof,
  DEVICE_PROOF_SCHEME,
  parseRouteAnswer,
  problemFromDocument,
  routeAnswerFormat,
  RouteAnswerError,
  RouteInputError,
  type PublicEcJwk,
  type RouteInput,
  type RouteName,
  type RouteOutput,
  type routes,
} from '@tessera/protocol';
import type { JWK } from 'jose';
import { fileSize } from './device-store.ts';
import { DeviceError } from './errors.ts';

export type FetchLike = typeof fetch;

/** How a request proves who sends it. */
export type RequestAuth =
  | { kind: 'none' }
  /** Every device API call: a proof signed with the device key, `kid` = client ID. */
  | { kind: 'device'; clientId: string; privateJwk: JWK }
  /** Registration: the proof is signed with the new key and carries its public half. */
  | { kind: 'registration'; privateJwk: JWK; publicJwk: PublicEcJwk };

export interface HttpClientOptions {
  fetch?: FetchLike;
  /** For JSON requests; package downloads are bounded by the transport's idle timeouts instead. */
  timeoutMs?: number;
  /** Clock for proofs, in milliseconds. */
  now?: () => number;
}

type Routes = typeof routes;
/** The routes of one authority, below its issuer: the device API. */
export type AuthorityRouteName = { [N in RouteName]: Routes[N]['path'] extends `/t/:authority${string}` ? N : never }[RouteName];

type OwnParams<P> = Omit<P, 'authority'>;
/**
 * What calling an authority's route takes: the route's input without the `authority`
 * parameter, which the client fills in from its issuer.
 */
export type AuthorityRouteInput<N extends AuthorityRouteName> =
  RouteInput<N> extends { params: infer P }
    ? Omit<RouteInput<N>, 'params'> & (Record<never, never> extends OwnParams<P> ? { params?: OwnParams<P> } : { params: OwnParams<P> })
    : RouteInput<N>;

export interface DownloadProgress {
  /** Bytes on disk so far, resumed part included. */
  received: number;
  total: number;
}

export interface DownloadRequest {
  contentId: string;
  auth: RequestAuth;
  /** The partial file: appended to with `Range` when it already holds a prefix. */
  file: string;
  expectedLength: number;
  onProgress?: (progress: DownloadProgress) => void;
}

export interface DownloadOutcome {
  /** Bytes that were already on disk and not fetched again. */
  resumedFrom: number;
  /** Bytes fetched by this call. */
  fetched: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * An issuer is `<server>/t/<authority>`: the catalogue's device routes are paths
 * below the server, so the client needs both halves. The requests then go to exactly
 * `<issuer>/<route>`, the URL the device proof signs.
 */
export function splitIssuer(issuer: string): { base: string; authority: string } {
  const match = /^(https?:\/\/[^?#]*?)\/t\/([^/?#]+)$/.exec(issuer);
  if (!match) throw new DeviceError('invalid_input', `${JSON.stringify(issuer)} is not an issuer URL: it must end in /t/<authority>`);
  return { base: match[1]!, authority: decodeURIComponent(match[2]!) };
}

/**
 * A small fetch client for one authority. It calls the routes of the protocol's catalogue by
 * name, signs every request with a device proof over the exact URL and body bytes it sends,
 * turns problem+json answers into `TesseraProblem`s and parses every success with the schema
 * the route declares for its status.
 */
export class TesseraHttpClient {
  /** The authority's issuer URL. */
  readonly endpoint: string;
  /** The server the issuer lives on, and the authority's slug in the catalogue's paths. */
  readonly base: string;
  readonly authority: string;
  readonly #fetch: FetchLike;
  readonly #timeoutMs: number;
  readonly #now: () => number;

  constructor(endpoint: string, options: HttpClientOptions = {}) {
    this.endpoint = endpoint;
    ({ base: this.base, authority: this.authority } = splitIssuer(endpoint));
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#now = options.now ?? Date.now;
  }

  /** Calls one of the authority's routes; fails with `TesseraProblem` (refused) or `DeviceError`. */
  async call<N extends AuthorityRouteName>(name: N, input: AuthorityRouteInput<N>, auth: RequestAuth): Promise<RouteOutput<N>> {
    const { method, url, body } = this.#prepare(name, input);
    const headers: Record<string, string> = { accept: 'application/json, application/problem+json' };
    if (body) headers['content-type'] = 'application/json';
    const authorization = await this.#authorization(auth, method, url, body);
    if (authorization) headers.authorization = authorization;

    const response = await this.#send(url, { method, headers, ...(body ? { body } : {}) }, AbortSignal.timeout(this.#timeoutMs));
    const text = await response.text().catch((error: unknown) => {
      throw new DeviceError('network_error', `the answer from ${url} was cut off`, { cause: error });
    });
    if (!response.ok) throw problemFrom(response, text);
    try {
      const format = routeAnswerFormat(name, response.status);
      let answer: unknown = text;
      if (format === 'json') {
        try {
          answer = text.length ? JSON.parse(text) : null;
        } catch {
          throw new DeviceError('unexpected_response', `${method} ${url} answered ${response.status} with a body that is not JSON`);
        }
      }
      return parseRouteAnswer(name, { status: response.status, body: answer });
    } catch (error) {
      if (error instanceof RouteAnswerError) {
        const what =
          error.reason === 'undeclared_status' ? `with status ${error.status}, which ${name} does not declare` : `with an unexpected body: ${error.detail}`;
        throw new DeviceError('unexpected_response', `${method} ${url} answered ${what}`);
      }
      throw error;
    }
  }

  /**
   * Streams a binary resource into `file`. A partial file left by an interrupted run is
   * resumed with `Range: bytes=<size>-`; a server that ignores the range (200) or answers
   * a different range restarts the file from zero. The caller checks the digest.
   */
  async download(request: DownloadRequest): Promise<DownloadOutcome> {
    let offset = (await fileSize(request.file)) ?? 0;
    if (offset > request.expectedLength) {
      await rm(request.file, { force: true });
      offset = 0;
    }
    if (offset === request.expectedLength) {
      request.onProgress?.({ received: offset, total: request.expectedLength });
      return { resumedFrom: offset, fetched: 0 };
    }

    const { url } = this.#prepare('downloadPackage', { params: { contentId: request.contentId } });
    const headers: Record<string, string> = { accept: 'application/octet-stream, application/problem+json' };
    if (offset > 0) headers.range = `bytes=${offset}-`;
    const authorization = await this.#authorization(request.auth, 'GET', url, undefined);
    if (authorization) headers.authorization = authorization;
    const response = await this.#send(url, { method: 'GET', headers });

    if (response.status === 416 && offset > 0) {
      // The partial file no longer matches what the server holds: start over.
      await response.body?.cancel();
      await rm(request.file, { force: true });
      return this.download(request);
    }
    if (!response.ok) throw problemFrom(response, await response.text().catch(() => ''));
    try {
      routeAnswerFormat('downloadPackage', response.status);
    } catch {
      await response.body?.cancel();
      throw new DeviceError('unexpected_response', `${url} answered with status ${response.status}, which downloadPackage does not declare`);
    }
    if (response.status === 206) {
      const start = contentRangeStart(response.headers.get('content-range'));
      if (start !== offset) {
        await response.body?.cancel();
        throw new DeviceError('unexpected_response', `${url} answered a range starting at ${start ?? '?'} instead of ${offset}`);
      }
    } else {
      offset = 0;
    }
    if (!response.body) throw new DeviceError('unexpected_response', `${url} answered without a body`);

    let received = offset;
    const total = request.expectedLength;
    request.onProgress?.({ received, total });
    // Each chunk is awaited onto disk, so whatever arrived before a dropped connection is
    // kept and the next attempt resumes right after it.
    const file = await open(request.file, offset > 0 ? 'a' : 'w', 0o600);
    // The web reader directly, not Readable.fromWeb: that one reads ahead and drops what
    // it buffered when the stream then fails.
    const reader = response.body.getReader();
    const read = () =>
      reader.read().catch((error: unknown) => {
        throw new DeviceError('network_error', `the download from ${url} was interrupted after ${received} of ${total} bytes; run it again to resume`, {
          cause: error,
        });
      });
    try {
      for (let next = await read(); !next.done; next = await read()) {
        const bytes = next.value;
        if (received + bytes.length > total) {
          throw new DeviceError('unexpected_response', `${url} sent more than the ${total} bytes announced`);
        }
        await file.write(bytes);
        received += bytes.length;
        request.onProgress?.({ received, total });
      }
    } catch (error) {
      await reader.cancel().catch(() => {});
      throw error;
    } finally {
      await file.close();
    }
    return { resumedFrom: offset, fetched: received - offset };
  }

  /** The route's method, its URL below the issuer exactly as signed and sent, and its body bytes. */
  #prepare<N extends AuthorityRouteName>(name: N, input: AuthorityRouteInput<N>): { method: string; url: string; body: Uint8Array | undefined } {
    const { params, ...rest } = input as { params?: Record<string, unknown> };
    let request: ReturnType<typeof buildRouteRequest>;
    try {
      request = buildRouteRequest(name, { ...rest, params: { ...params, authority: this.authority } } as RouteInput<N>);
    } catch (error) {
      if (error instanceof RouteInputError) throw new DeviceError('invalid_input', `cannot send ${name}: ${error.detail}`);
      throw error;
    }
    return {
      method: request.method,
      url: new URL(`${this.base}${request.path}`).href,
      body: request.body === undefined ? undefined : Buffer.from(request.body, 'utf8'),
    };
  }

  async #authorization(auth: RequestAuth, method: string, url: string, body: Uint8Array | undefined): Promise<string | undefined> {
    if (auth.kind === 'none') return undefined;
    const proof =
      auth.kind === 'device'
        ? await createDeviceProof({ method, url, key: auth.privateJwk, clientId: auth.clientId, now: this.#now(), ...(body ? { body } : {}) })
        : await createDeviceProof({ method, url, key: auth.privateJwk, jwk: auth.publicJwk, now: this.#now(), ...(body ? { body } : {}) });
    return `${DEVICE_PROOF_SCHEME} ${proof}`;
  }

  async #send(url: string, init: RequestInit, signal?: AbortSignal): Promise<Response> {
    try {
      return await this.#fetch(url, { ...init, redirect: 'error', ...(signal ? { signal } : {}) });
    } catch (error) {
      const name = (error as Error | null)?.name;
      if (name === 'TimeoutError' || name === 'AbortError') {
        throw new DeviceError('network_error', `no answer from ${new URL(url).origin} within ${Math.round(this.#timeoutMs / 1000)} s`, { cause: error });
      }
      const cause = (error as { cause?: { code?: string; message?: string } } | null)?.cause;
      const why = cause?.code ?? cause?.message ?? (error as Error | null)?.message ?? 'unknown error';
      throw new DeviceError('network_error', `cannot reach ${new URL(url).origin} (${why})`, { cause: error });
    }
  }
}

function problemFrom(response: Response, text: string): Error {
  const type = response.headers.get('content-type') ?? '';
  let doc: unknown = null;
  if (/json/i.test(type)) {
    try {
      doc = JSON.parse(text);
    } catch {
      doc = null;
    }
  }
  return problemFromDocument(doc, response.status);
}

function contentRangeStart(header: string | null): number | null {
  const match = header ? /^bytes (\d+)-\d+\/(?:\d+|\*)$/i.exec(header.trim()) : null;
  return match ? Number(match[1]) : null;
}
