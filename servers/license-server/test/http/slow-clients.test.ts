import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startHarness, type Harness } from '../support/harness.ts';

/** A raw connection to `url`; `closed` resolves with what the server sent before it closed the socket. */
function connect(url: string): { socket: net.Socket; closed: Promise<string> } {
  const { hostname, port } = new URL(url);
  const socket = net.connect(Number(port), hostname);
  let received = '';
  socket.on('data', (chunk) => {
    received += String(chunk);
  });
  socket.on('error', () => {});
  const closed = once(socket, 'close').then(() => received);
  return { socket, closed };
}

/** Resolves with `value` when `promise` settles within `ms`, else with 'still open'. */
const within = <T>(promise: Promise<T>, ms: number) => Promise.race([promise, sleep(ms).then(() => 'still open' as const)]);

/**
 * Slow clients cannot hold the server's sockets: a request must arrive within the request
 * timeout, an upload must keep moving, and the number of connections is capped.
 */
describe('slow and greedy clients', () => {
  let h: Harness;
  let url: string;
  let cookie: string;

  before(async () => {
    h = await startHarness({ port: 0, host: '127.0.0.1', requestTimeoutMs: 1_000, uploadIdleTimeoutMs: 1_000, headersTimeoutMs: 10_000, maxConnections: 150 });
    url = await h.server.listen();
    const aurora = await h.authority({ slug: 'aurora' });
    await h.admin('ada@aurora.example', 'admin password 1', [{ authorityId: aurora.id, role: 'owner' }]);
    const signIn = await fetch(`${url}/admin/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'ada@aurora.example', password: 'admin password 1' }),
    });
    assert.equal(signIn.status, 200, await signIn.text());
    cookie = signIn.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
  });
  after(() => h.close());

  test('100 clients sending their bodies a byte at a time get 408 and are disconnected, while the server keeps answering', async () => {
    const clients = Array.from({ length: 100 }, () => connect(url));
    await Promise.all(clients.map(({ socket }) => once(socket, 'connect')));
    for (const { socket } of clients)
      socket.write('POST /admin/session HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{');
    const drip = setInterval(() => {
      for (const { socket } of clients) if (!socket.destroyed) socket.write(' ');
    }, 200);
    try {
      const health = await fetch(`${url}/healthz`);
      assert.equal(health.status, 200, 'the server answers others while the slow clients drip');
      // The timeout is 1 s; the bound only keeps a broken server from hanging the suite.
      const outcomes = await Promise.all(clients.map(({ closed }) => within(closed, 15_000)));
      const open = outcomes.filter((o) => o === 'still open').length;
      assert.equal(open, 0, `${open} slow clients still hold a socket`);
      const timedOut = outcomes.filter((o) => o.startsWith('HTTP/1.1 408') && o.includes('request_timeout')).length;
      assert.equal(timedOut, 100, 'each was told 408 request_timeout before being disconnected');
    } finally {
      clearInterval(drip);
    }
  });

  test('an upload that keeps moving may take longer than the request timeout', async () => {
    const chunks = 12;
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(`${url}/admin/authorities/aurora/contents?title=Slow%20film`, {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/octet-stream', 'content-length': String(chunks * 1024) },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      let sent = 0;
      const tick = setInterval(() => {
        req.write(Buffer.alloc(1024, sent));
        if (++sent === chunks) {
          clearInterval(tick);
          req.end();
        }
      }, 250);
    });
    assert.equal(status, 201, 'the 3-second upload with a chunk every 250 ms is stored');
  });

  test('an upload that stops sending is cut after the idle timeout', async () => {
    const { socket, closed } = connect(url);
    await once(socket, 'connect');
    socket.write(
      `POST /admin/authorities/aurora/contents?title=Stalled HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: ${cookie}\r\nContent-Type: application/octet-stream\r\nContent-Length: 100000\r\n\r\n`,
    );
    socket.write(Buffer.alloc(1000));
    assert.notEqual(await within(closed, 15_000), 'still open', 'the stalled upload is disconnected');
  });

  test('connections past the cap are closed as they arrive, and the server serves again once they go', async () => {
    // 150 may be open; this test opens one more (a kept-alive connection of an earlier test may hold a place too).
    const sockets = Array.from({ length: 151 }, () => connect(url));
    const first = await within(Promise.race(sockets.map(({ closed }) => closed)), 5_000);
    assert.notEqual(first, 'still open', 'a connection past the cap is closed');
    const closedNow = sockets.filter(({ socket }) => socket.closed).length;
    // Closed for the cap: the header timeout (10 s) has not yet ended any of them.
    assert.ok(closedNow >= 1 && closedNow <= 3, `only the connections past the cap were closed (${closedNow} of 151)`);
    for (const { socket } of sockets) socket.destroy();
    await Promise.all(sockets.map(({ closed }) => closed));
    await sleep(100);
    assert.equal((await fetch(`${url}/healthz`)).status, 200);
  });
});
