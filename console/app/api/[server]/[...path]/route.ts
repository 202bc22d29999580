import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import { cookies } from 'next/headers';
import type { NextRequest } from 'next/server';
import { unreachable, type Problem } from '@/lib/problem.ts';
import { findServer, sessionCookieName, UPSTREAM_SESSION_COOKIE } from '@/lib/servers.ts';

/*
 * The browser's only way to a license server besides server actions: uploads (streamed, so a
 * browser can show their progress) and CSV exports (streamed back as attachments). The browser
 * talks to the console's origin only; this handler adds the server's session from the console
 * cookie of that server and streams bodies both ways without holding them.
 */
export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

const FORWARDED_REQUEST_HEADERS = ['accept', 'content-type', 'content-length', 'range'];
const FORWARDED_RESPONSE_HEADERS = ['content-type', 'content-length', 'content-disposition', 'content-range', 'accept-ranges', 'cache-control'];

const problemResponse = (problem: Problem) =>
  new Response(JSON.stringify({ type: `urn:tessera:problem:${problem.code}`, ...problem }), {
    status: problem.status,
    headers: { 'content-type': 'application/problem+json' },
  });

type Context = { params: Promise<{ server: string; path: string[] }> };

async function forward(req: NextRequest, { params }: Context): Promise<Response> {
  const { server: key, path } = await params;
  const server = findServer(key);
  // Only the admin API, and not its session routes: signing in and out happens in the console itself.
  if (!server || path[0] !== 'admin' || path[1] === 'session' || path.some((p) => p === '.' || p === '..' || p.includes('/'))) {
    return problemResponse({ status: 404, code: 'not_found', title: 'No such resource' });
  }
  // A cross-site form cannot set this header, and no CORS is answered: a cheap, sure CSRF guard.
  if (req.method !== 'GET' && req.method !== 'HEAD' && req.headers.get('x-tessera-console') !== '1') {
    return problemResponse({ status: 403, code: 'forbidden', title: 'Not allowed', detail: 'changes go through the console' });
  }

  const target = new URL(`${server.url}/${path.map(encodeURIComponent).join('/')}${req.nextUrl.search}`);
  const headers: Record<string, string> = {};
  for (const name of FORWARDED_REQUEST_HEADERS) {
    const value = req.headers.get(name);
    if (value !== null) headers[name] = value;
  }
  const session = (await cookies()).get(sessionCookieName(server.key))?.value;
  if (session) headers.cookie = `${UPSTREAM_SESSION_COOKIE}=${session}`;

  const client = target.protocol === 'https:' ? https : http;
  return new Promise<Response>((resolve) => {
    const upstream = client.request(target, { method: req.method, headers }, (res: IncomingMessage) => {
      const out = new Headers();
      for (const name of FORWARDED_RESPONSE_HEADERS) {
        const value = res.headers[name];
        if (typeof value === 'string') out.set(name, value);
      }
      const body = req.method === 'HEAD' || res.statusCode === 204 || res.statusCode === 304 ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>);
      resolve(new Response(body, { status: res.statusCode ?? 502, headers: out }));
    });
    upstream.on('error', () => resolve(problemResponse(unreachable(server.name))));
    req.signal.addEventListener('abort', () => upstream.destroy());
    if (req.body && req.method !== 'GET' && req.method !== 'HEAD') {
      Readable.fromWeb(req.body as import('node:stream/web').ReadableStream<Uint8Array>)
        .on('error', () => upstream.destroy())
        .pipe(upstream);
    } else {
      upstream.end();
    }
  });
}

export const GET = forward;
export const HEAD = forward;
export const POST = forward;
export const PATCH = forward;
export const PUT = forward;
export const DELETE = forward;
