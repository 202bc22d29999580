import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeNetwork } from './fake-authority.ts';

/** Serves a FakeNetwork over real HTTP on 127.0.0.1, for tests of the real fetch and of the binary. */
export async function serveFakeNetwork(network: FakeNetwork): Promise<{ server: Server; base: string; close: () => Promise<void> }> {
  const server = createServer(async (req, res) => {
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const headers = new Headers();
      for (const [name, value] of Object.entries(req.headers)) {
        if (typeof value === 'string') headers.set(name, value);
      }
      const response = await network.fetch(`http://${req.headers.host}${req.url}`, {
        method: req.method ?? 'GET',
        headers,
        ...(chunks.length ? { body: Buffer.concat(chunks) } : {}),
      });
      res.writeHead(response.status, Object.fromEntries(response.headers.entries()));
      if (response.body) {
        // Each chunk is flushed before the next is read, so a cut stream ends after what it sent.
        for await (const chunk of response.body) await new Promise<void>((resolve) => res.write(chunk, () => resolve()));
      }
      res.end();
    } catch {
      // A dropped connection, as a server would do mid-download.
      res.destroy();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    base: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
