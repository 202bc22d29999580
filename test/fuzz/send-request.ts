import { Agent, request } from 'node:http';
import type { Socket } from 'node:net';
import { createDeviceProof, generateEcKeyPair } from '@tessera/protocol';
import { proofFor, type FuzzTarget } from './fuzz-target.ts';
import { FRESH_PUBLIC_KEY, RAW_NUMBER, type FuzzRequest } from './request-arbitraries.ts';

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** The request sent before this one on the same keep-alive connection, which may have spoilt it. */
export type Sent = { previousOnConnection?: SentRequest };

/** What was sent, in a form a report can print and a person can replay. */
export interface SentRequest {
  method: string;
  target: string;
  headers: Record<string, string>;
  body: Buffer | undefined;
}

const ANSWER_LIMIT = 4 * 1024 * 1024;
const ANSWER_TIMEOUT_MS = 30_000;

function serialise(value: unknown, publicKey?: unknown): Buffer {
  const text = JSON.stringify(value, (_key, v) => (v === FRESH_PUBLIC_KEY ? (publicKey ?? v) : v)) ?? '';
  // Number literals JSON.stringify cannot write (1e309, -0, 2^53+1) travel as marked strings.
  const escapedMarker = JSON.stringify(RAW_NUMBER).slice(1, -1);
  return Buffer.from(text.replace(new RegExp(`"${escapedMarker.replace(/\\/g, '\\\\')}([^"]*)"`, 'g'), '$1'), 'utf8');
}

/** Bodies the server's JSON parser reads, and whose bytes a device proof therefore signs. */
const parsedAsJson = (contentType: string | undefined) => {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  return type === 'application/json' || /^application\/[^/]*\+json$/.test(type);
};

export class FuzzClient {
  readonly agent: Agent;
  private readonly lastOnSocket = new WeakMap<Socket, SentRequest>();

  constructor(
    private readonly target: FuzzTarget,
    concurrency: number,
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  }

  /** Turns a generated request into bytes, signing its proof now so it is fresh and bound to them. */
  async prepare(req: FuzzRequest): Promise<SentRequest> {
    const registration = req.operationId === 'registerDevice' && req.device === 'proof';
    const freshKey = registration ? await generateEcKeyPair('sig') : undefined;
    const body = req.body.kind === 'json' ? serialise(req.body.value, freshKey?.publicJwk) : req.body.kind === 'raw' ? Buffer.from(req.body.bytes) : undefined;
    const headers: Record<string, string> = { ...req.headers };
    if (req.contentType !== undefined) headers['content-type'] = req.contentType;
    // Node frames a body of GET, HEAD, DELETE or OPTIONS only when told its length.
    if (body !== undefined) headers['content-length'] = String(body.length);
    const signed = parsedAsJson(req.contentType) && !headers['content-encoding'] ? (body ?? Buffer.alloc(0)) : Buffer.alloc(0);
    const method = req.method;
    switch (req.device) {
      case 'proof':
        headers.authorization = `Tessera-Proof ${
          freshKey
            ? await createDeviceProof({ method, url: `${this.target.url}${req.target}`, body: signed, key: freshKey.privateJwk, jwk: freshKey.publicJwk })
            : await proofFor(this.target, method, req.target, signed, 'device')
        }`;
        break;
      case 'stale':
        headers.authorization = `Tessera-Proof ${await proofFor(this.target, method, req.target, signed, 'device', Date.now() - 3_600_000)}`;
        break;
      case 'stranger':
        headers.authorization = `Tessera-Proof ${await proofFor(this.target, method, req.target, signed, 'stranger')}`;
        break;
      case 'other-request':
        headers.authorization = `Tessera-Proof ${await proofFor(this.target, method, `${req.target}${req.target.includes('?') ? '&' : '?'}other=1`, signed, 'device')}`;
        break;
      case 'junk':
        headers.authorization = req.junkAuthorization ?? 'Tessera-Proof junk';
        break;
      case 'none':
        break;
    }
    if (req.admin === 'session') headers.cookie = this.target.adminCookie;
    if (req.admin === 'junk') headers.cookie = 'tessera.sid=s%3Aforged.c2lnbmF0dXJl; other=1';
    return { method: req.method, target: req.target, headers, body };
  }

  /** Sends over keep-alive connections to 127.0.0.1 only; an error or a silence of 30 s is an answer too. */
  send(sent: SentRequest): Promise<(Answer | { error: string }) & Sent> {
    const url = new URL(this.target.url);
    return new Promise((resolve) => {
      let req: ReturnType<typeof request>;
      try {
        req = request({ agent: this.agent, host: '127.0.0.1', port: url.port, method: sent.method, path: sent.target, headers: sent.headers });
      } catch (error) {
        resolve({ error: `not sendable: ${(error as Error).message}` });
        return;
      }
      let previous: Sent = {};
      req.on('socket', (socket: Socket) => {
        const before = this.lastOnSocket.get(socket);
        if (before) previous = { previousOnConnection: before };
        this.lastOnSocket.set(socket, sent);
      });
      req.setTimeout(ANSWER_TIMEOUT_MS, () => req.destroy(new Error(`no answer in ${ANSWER_TIMEOUT_MS} ms`)));
      req.on('error', (error) => resolve({ error: error.message, ...previous }));
      req.on('response', (res) => {
        const parts: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size <= ANSWER_LIMIT) parts.push(chunk);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts), ...previous }));
        res.on('error', (error) => resolve({ error: `answer cut: ${error.message}`, ...previous }));
      });
      req.end(sent.body);
    });
  }

  close() {
    this.agent.destroy();
  }
}
