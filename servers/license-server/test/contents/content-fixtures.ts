import { request as httpRequest, type IncomingMessage } from 'node:http';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type supertest from 'supertest';
import { jwkThumbprint, newId } from '@tessera/protocol';
import { TestDevice, type Harness } from '../support/harness.ts';
import { clients } from '../../src/storage/schema.ts';

let nextLeaf = 1_000;

/**
 * A device whose client row is written straight into storage: these suites exercise the
 * content routes, not registration, so they do not depend on the registration endpoint.
 * The device still signs real proofs for every request.
 */
export async function enrolDevice(h: Harness, authority: { id: string; slug: string }, userId: string): Promise<TestDevice> {
  const device = await TestDevice.create(h, authority.slug);
  const id = newId('client');
  await h.server.ctx.db.insert(clients).values({
    authorityId: authority.id,
    id,
    userId,
    leafId: nextLeaf++,
    publicJwk: device.key.publicJwk,
    thumbprint: await jwkThumbprint(device.key.publicJwk),
    certificate: 'not-a-certificate (enrolled by the test)',
  });
  device.clientId = id;
  return device;
}

/** Collects a binary answer into a Buffer (supertest leaves octet-stream bodies unread). */
export const binary = (res: IncomingMessage, callback: (err: Error | null, body: Buffer) => void) => {
  const parts: Buffer[] = [];
  res.on('data', (part: Buffer) => parts.push(part));
  res.on('end', () => callback(null, Buffer.concat(parts)));
  res.on('error', (err) => callback(err, Buffer.alloc(0)));
};

/** A device request with a real proof whose body is read as bytes. */
export async function deviceDownload(device: TestDevice, contentId: string, headers: Record<string, string> = {}, method: 'GET' | 'HEAD' = 'GET') {
  const path = `/t/${device.slug}/contents/${contentId}/package`;
  const proof = await device.proofFor(method, path);
  let req = device.harness.request()[method === 'GET' ? 'get' : 'head'](path).set('Authorization', `Tessera-Proof ${proof}`);
  for (const [k, v] of Object.entries(headers)) req = req.set(k, v);
  if (method === 'GET') req = req.buffer(true).parse(binary as unknown as Parameters<typeof req.parse>[0]);
  return req;
}

export function upload(agent: supertest.Agent, slug: string, bytes: Buffer, query: Record<string, string> = {}) {
  return agent
    .post(`/admin/authorities/${slug}/contents`)
    .query({ title: 'Untitled', ...query })
    .set('Content-Type', 'application/octet-stream')
    .send(bytes);
}

/** The session cookie of a signed-in agent, for raw http requests. */
export async function adminCookie(h: Harness, email: string, password: string): Promise<string> {
  const res = await h.request().post('/admin/session').send({ email, password });
  if (res.status !== 200) throw new Error(`admin login failed: ${res.status}`);
  const cookies = res.headers['set-cookie'] as unknown as string[];
  return cookies.map((c) => c.split(';')[0]).join('; ');
}

export interface RawAnswer {
  status: number;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

/** Starts a raw request (so a test controls exactly what is sent, and when). */
export function rawRequest(h: Harness, method: string, path: string, headers: Record<string, string | number>) {
  const url = new URL(path, h.url);
  const req = httpRequest({ method, hostname: url.hostname, port: url.port, path: url.pathname + url.search, headers });
  const answer = new Promise<RawAnswer>((resolve, reject) => {
    req.on('response', (res) => binary(res, (err, body) => (err ? reject(err) : resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))));
    req.on('error', reject);
  });
  return { req, answer };
}

/** Every file under the packages directory of an authority (partial uploads included). */
export async function packageFiles(h: Harness, authorityId: string): Promise<string[]> {
  try {
    return await readdir(path.join(h.dataDir, 'packages', authorityId));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

export async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}
