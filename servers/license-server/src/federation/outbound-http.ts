import http from 'node:http';
import https from 'node:https';
import { RequestFilteringHttpAgent, RequestFilteringHttpsAgent } from 'request-filtering-agent';
import type { ServerConfig } from '../config.ts';

/*
 * Everything this server fetches from elsewhere (entity configurations, federation calls, a
 * discovery an administrator asks for) goes through here, because the address is chosen by
 * someone else: an administrator types it, a peer publishes it. So:
 * - only http and https, no redirects (a 3xx is an answer like any other);
 * - the address is checked after DNS resolution and before connecting (request-filtering-agent's
 *   lookup): private, loopback, link-local (cloud metadata), CGNAT, multicast and reserved
 *   addresses are refused unless `TESSERA_ALLOW_PRIVATE_PEERS` lists them;
 * - a total timeout, and a body limit: answers are small (a configuration, an envelope), so a
 *   peer that streams hundreds of megabytes is cut at the limit instead of filling memory.
 */

/** Entity configurations and envelopes are a few kilobytes; this is the most any answer may be. */
export const MAX_PEER_ANSWER_BYTES = 64 * 1024;

export type OutboundConfig = Pick<ServerConfig, 'peerTimeoutMs' | 'allowPrivatePeers'>;

export interface OutboundAnswer {
  status: number;
  contentType: string;
  text: string;
}

/** The address policy refused the destination; nothing was sent. */
export class OutboundRefused extends Error {
  override readonly name = 'OutboundRefused';
}

// One pair of keep-alive agents per configuration: federation calls to a peer reuse connections.
const agentsByConfig = new WeakMap<OutboundConfig, { http: http.Agent; https: https.Agent }>();

function agentsFor(config: OutboundConfig) {
  let agents = agentsByConfig.get(config);
  if (!agents) {
    const options = { keepAlive: true, allowPrivateIPAddress: false, allowMetaIPAddress: false, allowIPAddressList: [...config.allowPrivatePeers] };
    agents = { http: new RequestFilteringHttpAgent(options), https: new RequestFilteringHttpsAgent(options) };
    agentsByConfig.set(config, agents);
  }
  return agents;
}

const refusedByPolicy = (error: Error) => /is not allowed\. Because/.test(error.message);

function refusal(hostname: string, message: string): string {
  const address = /^DNS lookup (\S+?)\(/.exec(message)?.[1] ?? hostname;
  const where = address === hostname.replace(/^\[|\]$/g, '') ? address : `${hostname} (${address})`;
  return `${where} is not a public address (private, loopback, link-local or reserved), and this server calls no such address unless TESSERA_ALLOW_PRIVATE_PEERS lists it`;
}

/**
 * One request to another server under the policy above. Throws `OutboundRefused` when the address
 * is not allowed, and a plain Error for anything else that keeps an answer from arriving (timeout,
 * connection refused, body too large).
 */
export function outboundRequest(
  config: OutboundConfig,
  url: string,
  init: { method?: 'GET' | 'POST'; headers?: Record<string, string>; body?: string } = {},
): Promise<OutboundAnswer> {
  const target = new URL(url);
  if (target.protocol !== 'http:' && target.protocol !== 'https:') return Promise.reject(new OutboundRefused(`${target.protocol} URLs are not fetched`));
  const agents = agentsFor(config);
  const client = target.protocol === 'https:' ? https : http;
  return new Promise<OutboundAnswer>((resolve, reject) => {
    const req = client.request(target, {
      method: init.method ?? 'GET',
      headers: { ...init.headers, ...(init.body !== undefined ? { 'content-length': String(Buffer.byteLength(init.body)) } : {}) },
      agent: target.protocol === 'https:' ? agents.https : agents.http,
      timeout: config.peerTimeoutMs,
    });
    const deadline = setTimeout(() => req.destroy(new Error(`no answer within ${config.peerTimeoutMs} ms`)), config.peerTimeoutMs);
    const fail = (error: Error) => {
      clearTimeout(deadline);
      reject(refusedByPolicy(error) ? new OutboundRefused(refusal(target.hostname, error.message)) : error);
    };
    req.on('error', fail);
    req.on('timeout', () => req.destroy(new Error(`no answer within ${config.peerTimeoutMs} ms`)));
    req.on('response', (res) => {
      const declared = Number(res.headers['content-length']);
      if (declared > MAX_PEER_ANSWER_BYTES) {
        res.destroy();
        return fail(new Error(`the answer is ${declared} bytes; at most ${MAX_PEER_ANSWER_BYTES} are read`));
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_PEER_ANSWER_BYTES) {
          res.destroy();
          return fail(new Error(`the answer is larger than ${MAX_PEER_ANSWER_BYTES} bytes`));
        }
        chunks.push(chunk);
      });
      res.on('error', fail);
      res.on('end', () => {
        clearTimeout(deadline);
        resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), text: Buffer.concat(chunks).toString('utf8') });
      });
    });
    req.end(init.body);
  });
}
