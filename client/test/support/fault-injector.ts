/**
 * An in-process fault injector, handed to a device as its `fetch`: every request goes to the
 * real license server unchanged and is recorded, and on demand it produces the faults a real
 * server cannot be made to produce — a package download whose connection drops after a number
 * of bytes, an acknowledgement that cannot reach the server. Only 127.0.0.1 is ever reached.
 */

export interface RecordedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
}

export class FaultInjector {
  readonly requests: RecordedRequest[] = [];
  /** The next package download stops after this many bytes, as a dropped connection. */
  cutNextDownloadAt: number | null = null;
  /** Move acknowledgements fail as if the server were unreachable. */
  failAcks = false;

  readonly fetch = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input.toString() : input.url);
    const method = (init.method ?? 'GET').toUpperCase();
    this.requests.push({ method, url: url.href, headers: Object.fromEntries(new Headers(init.headers).entries()) });
    if (url.hostname !== '127.0.0.1' || (this.failAcks && method === 'POST' && url.pathname.endsWith('/ack'))) {
      throw new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } });
    }
    const response = await fetch(input, init);
    const cut = this.cutNextDownloadAt;
    if (cut === null || !url.pathname.endsWith('/package') || !response.body) return response;
    this.cutNextDownloadAt = null;
    return new Response(cutAfter(response.body, cut), { status: response.status, statusText: response.statusText, headers: response.headers });
  };
}

/** Passes `limit` bytes through, then fails the stream the way a reset connection does. */
function cutAfter(body: ReadableStream<Uint8Array>, limit: number): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let sent = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      // Failing only on the pull after the cut lets the bytes before it reach the device.
      if (sent >= limit) {
        await reader.cancel();
        controller.error(new TypeError('terminated', { cause: { code: 'ECONNRESET' } }));
        return;
      }
      const next = await reader.read();
      if (next.done) {
        controller.close();
        return;
      }
      const bytes = next.value.subarray(0, limit - sent);
      sent += bytes.length;
      controller.enqueue(bytes);
    },
    cancel: (reason) => reader.cancel(reason),
  });
}
