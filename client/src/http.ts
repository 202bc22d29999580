import { open, rm } from 'node:fs/promises';
import {
  createDeviceProof,
  DEVICE_PROOF_SCHEME,
  formatZodIssues,
  problemFromDocument,
  type PublicEcJwk,
} from '@tessera/protocol';
import type { JWK } from 'jose';
import type { z } from 'zod';
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

export interface JsonRequest<T> {
  method: 'GET' | 'POST' | 'DELETE';
  /** Path below the issuer, starting with `/`. */
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  schema: z.ZodType<T>;
  auth: RequestAuth;
}

export interface DownloadProgress {
  /** Bytes on disk so far, resumed part included. */
  received: number;
  total: number;
}

export interface DownloadRequest {
  path: string;
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

/** Joins an issuer URL and a path the same way everywhere, since the proof signs the result. */
export function issuerUrl(issuer: string, path: string, query?: JsonRequest<unknown>['query']): string {
  const url = new URL(`${issuer}${path}`);
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value !== undefined) url.searchParams.set(name, String(value));
  }
  return url.href;
}

/**
 * A small fetch client for one authority. It signs every request with a device proof
 * over the exact URL and body bytes it sends, turns problem+json answers into
 * `TesseraProblem`s and parses every success with the route's response schema.
 */
export class TesseraHttpClient {
  readonly endpoint: string;
  readonly #fetch: FetchLike;
  readonly #timeoutMs: number;
  readonly #now: () => number;

  constructor(endpoint: string, options: HttpClientOptions = {}) {
    this.endpoint = endpoint;
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#now = options.now ?? Date.now;
  }

  async request<T>(request: JsonRequest<T>): Promise<T> {
    const url = issuerUrl(this.endpoint, request.path, request.query);
    const body = request.body === undefined ? undefined : Buffer.from(JSON.stringify(request.body), 'utf8');
    const headers: Record<string, string> = { accept: 'application/json, application/problem+json' };
    if (body) headers['content-type'] = 'application/json';
    const authorization = await this.#authorization(request.auth, request.method, url, body);
    if (authorization) headers.authorization = authorization;

    const response = await this.#send(url, { method: request.method, headers, ...(body ? { body } : {}) }, AbortSignal.timeout(this.#timeoutMs));
    const text = await response.text().catch((error: unknown) => {
      throw new DeviceError('network_error', `the answer from ${url} was cut off`, { cause: error });
    });
    if (!response.ok) throw problemFrom(response, text);
    let json: unknown;
    try {
      json = text.length ? JSON.parse(text) : null;
    } catch {
      throw new DeviceError('unexpected_response', `${request.method} ${url} answered ${response.status} with a body that is not JSON`);
    }
    const parsed = request.schema.safeParse(json);
    if (!parsed.success) {
      throw new DeviceError('unexpected_response', `${request.method} ${url} answered with an unexpected body: ${formatZodIssues(parsed.error)}`);
    }
    return parsed.data;
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

    const url = issuerUrl(this.endpoint, request.path);
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
        throw new DeviceError('network_error', `the download from ${url} was interrupted after ${received} of ${total} bytes; run it again to resume`, { cause: error });
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
