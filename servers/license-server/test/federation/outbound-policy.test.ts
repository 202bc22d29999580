import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { and, eq } from 'drizzle-orm';
import type supertest from 'supertest';
import { fetchEntityConfiguration } from '../../src/federation/remote-configuration.ts';
import { MAX_PEER_ANSWER_BYTES, OutboundRefused, outboundRequest, type OutboundConfig } from '../../src/federation/outbound-http.ts';
import { auditLog } from '../../src/storage/schema.ts';
import { expectProblem, startHarness, type Harness } from '../support/harness.ts';
import { installTripwire } from '../support/network-tripwire.ts';

/** A local HTTP server counting the connections it gets. */
async function localServer(handler: http.RequestListener): Promise<{ url: string; connections: () => number; close(): Promise<void> }> {
  const server = http.createServer(handler);
  let connections = 0;
  server.on('connection', () => connections++);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections: () => connections,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const strict: OutboundConfig = { peerTimeoutMs: 2_000, allowPrivatePeers: [] };
const loopbackAllowed: OutboundConfig = { peerTimeoutMs: 2_000, allowPrivatePeers: ['127.0.0.1'] };

describe("the server's outbound requests", () => {
  let removeTripwire: () => void;
  before(() => {
    removeTripwire = installTripwire();
  });
  after(() => removeTripwire());

  test('private, link-local, metadata, CGNAT and other non-public addresses are refused before connecting', async () => {
    for (const url of [
      'http://10.1.2.3/',
      'http://192.168.1.1/',
      'http://172.16.0.1/',
      'http://169.254.169.254/latest/meta-data/',
      'http://100.64.0.1/',
      'http://0.0.0.0/',
      'http://[fd00::1]/',
      'http://[fe80::1]/',
      'http://224.0.0.1/',
    ]) {
      await assert.rejects(outboundRequest(strict, url), OutboundRefused, `${url} is refused`);
    }
  });

  test('loopback is refused unless the operator allows it, and the refused call never reaches the server', async () => {
    const peer = await localServer((_req, res) => res.end('hello'));
    try {
      await assert.rejects(outboundRequest(strict, peer.url), OutboundRefused);
      await assert.rejects(outboundRequest(strict, peer.url.replace('127.0.0.1', 'localhost')), OutboundRefused, 'a name is checked after it resolves');
      assert.equal(peer.connections(), 0, 'no connection was made');
      const allowed = await outboundRequest(loopbackAllowed, peer.url);
      assert.deepEqual({ status: allowed.status, text: allowed.text }, { status: 200, text: 'hello' });
    } finally {
      await peer.close();
    }
  });

  test('only http and https are fetched', async () => {
    await assert.rejects(outboundRequest(loopbackAllowed, 'file:///etc/passwd'), OutboundRefused);
  });

  test('an answer of 300 MiB is cut at the limit without holding it in memory', async () => {
    const chunk = Buffer.alloc(1024 * 1024, 0x61);
    const peer = await localServer(async (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/tessera-entity+jwt' });
      for (let i = 0; i < 300 && !res.destroyed; i++) if (!res.write(chunk)) await once(res, 'drain').catch(() => {});
      res.end();
    });
    try {
      global.gc?.();
      const before = process.memoryUsage().rss;
      const refused = await fetchEntityConfiguration(`${peer.url}/t/big`, loopbackAllowed).then(
        () => assert.fail('a 300 MiB configuration was accepted'),
        (error: unknown) => error as { code: string; message: string },
      );
      const grown = (process.memoryUsage().rss - before) / 2 ** 20;
      assert.equal(refused.code, 'peer_unreachable');
      assert.match(refused.message, new RegExp(`larger than ${MAX_PEER_ANSWER_BYTES} bytes`));
      assert.ok(grown < 20, `RSS grew by ${grown.toFixed(1)} MiB`);
    } finally {
      await peer.close();
    }
  });

  test('a declared length above the limit is refused before the body is read', async () => {
    const peer = await localServer((_req, res) => {
      res.writeHead(200, { 'content-length': String(300 * 2 ** 20) });
      res.write('x');
    });
    try {
      await assert.rejects(outboundRequest(loopbackAllowed, peer.url), /at most 65536 are read/);
    } finally {
      await peer.close();
    }
  });

  test('a redirect is an answer, not followed', async () => {
    let hits = 0;
    const peer = await localServer((_req, res) => {
      hits++;
      res.writeHead(302, { location: '/elsewhere' }).end();
    });
    try {
      const answer = await outboundRequest(loopbackAllowed, peer.url);
      assert.equal(answer.status, 302);
      assert.equal(hits, 1);
    } finally {
      await peer.close();
    }
  });

  test('a peer that never answers is given up on after the timeout', async () => {
    const peer = await localServer(() => {});
    try {
      await assert.rejects(outboundRequest({ peerTimeoutMs: 300, allowPrivatePeers: ['127.0.0.1'] }, peer.url), /no answer within 300 ms/);
    } finally {
      await peer.close();
    }
  });
});

describe('discovering a peer through the admin API', () => {
  let h: Harness;
  let admin: supertest.Agent;
  let aurora: { id: string };

  before(async () => {
    h = await startHarness({ allowPrivatePeers: [] });
    aurora = await h.authority({ slug: 'aurora' });
    await h.admin('ada@aurora.example', 'admin password 1', [{ authorityId: aurora.id, role: 'admin' }]);
    admin = await h.adminAgent('ada@aurora.example', 'admin password 1');
  });
  after(() => h.close());

  test('an address this server does not call is 422 peer_address_refused, and the attempt is audited', async () => {
    const removeTripwire = installTripwire();
    try {
      const res = await admin.get('/admin/authorities/aurora/peers/discover').query({ issuer: 'http://169.254.169.254/t/metadata' });
      const problem = expectProblem(res, 422, 'peer_address_refused');
      assert.match(problem.detail ?? '', /TESSERA_ALLOW_PRIVATE_PEERS/);
    } finally {
      removeTripwire();
    }
    const [entry] = await h.server.ctx.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.authorityId, aurora.id), eq(auditLog.action, 'peer.discovered')));
    assert.deepEqual(entry?.details, { issuer: 'http://169.254.169.254/t/metadata', outcome: 'peer_address_refused' });
    assert.equal(entry?.actor, 'ada@aurora.example');
  });
});
