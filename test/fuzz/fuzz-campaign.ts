import fc from 'fast-check';
import { judgeAnswer, type FindingKind } from './judge-answer.ts';
import type { FuzzTarget } from './fuzz-target.ts';
import { readContract, type ApiContract } from './openapi-operations.ts';
import { requestArbitrary, type FuzzRequest } from './request-arbitraries.ts';
import { FuzzClient, type Answer, type SentRequest } from './send-request.ts';

/** CI's seed; `--seed` (or TESSERA_FUZZ_SEED) picks another. */
export const DEFAULT_SEED = 20_261_202;
const CHUNK = 250;

export interface Finding {
  kind: FindingKind;
  operationId: string;
  method: string;
  status: number | undefined;
  code: string | undefined;
  detail: string;
  /** How often the same kind, operation, status and code came up. */
  count: number;
  example: { request: SentRequest; variant: string[]; answer: string; previousOnConnection?: SentRequest };
}

export interface OperationStats {
  sent: number;
  statuses: Record<number, number>;
}

export interface CampaignReport {
  seed: number;
  requests: number;
  durationMs: number;
  operations: Record<string, OperationStats>;
  /** Requests that carried the credential their operation needs, and how many got past it. */
  authenticated: { sent: number; pastAuthentication: number };
  /** 5xx answers other than the declared 502 peer_unreachable. */
  serverErrors: number;
  /** 502 peer_unreachable: the declared answer when a peer the request names does not answer. */
  peerUnreachable: number;
  findings: Finding[];
}

const printable = (body: Buffer | undefined) => {
  if (!body) return undefined;
  const text = body.toString('utf8');
  return text.length > 300 ? `${text.slice(0, 300)}… (${body.length} bytes)` : text;
};

/** One line a person can paste into a terminal (the body abridged when long). */
export function describeRequest(sent: SentRequest): string {
  const headers = Object.entries(sent.headers).map(([k, v]) => `${k}: ${v.length > 80 ? `${v.slice(0, 80)}…` : v}`);
  const target = sent.target.length > 200 ? `${sent.target.slice(0, 200)}…` : sent.target;
  return `${sent.method} ${target}${headers.length ? ` [${headers.join(' | ')}]` : ''}${sent.body ? ` body ${JSON.stringify(printable(sent.body))}` : ''}`;
}

const describeAnswer = (answer: Answer | { error: string }) =>
  'error' in answer ? answer.error : `${answer.status} ${answer.headers['content-type'] ?? '(no content type)'} ${printable(answer.body) ?? ''}`;

/** Statuses that say the credential itself was refused. */
const AUTH_REFUSALS = new Set([401, 429]);

/**
 * Sends `requests` generated requests (deterministic for a seed: fast-check samples them in
 * chunks, chunk k with seed + k) through `concurrency` keep-alive connections, and judges each.
 */
export async function runFuzzCampaign(
  target: FuzzTarget,
  options: { requests: number; seed: number; concurrency: number; progress?: (done: number) => void },
): Promise<CampaignReport> {
  const started = Date.now();
  const contract: ApiContract = readContract(await (await fetch(`${target.url}/openapi.json`)).json());
  const arbitrary = requestArbitrary(contract, target.pools, target.url);
  const client = new FuzzClient(target, options.concurrency);
  const report: CampaignReport = {
    seed: options.seed,
    requests: 0,
    durationMs: 0,
    operations: {},
    authenticated: { sent: 0, pastAuthentication: 0 },
    serverErrors: 0,
    peerUnreachable: 0,
    findings: [],
  };
  for (const op of contract.operations) report.operations[op.operationId] = { sent: 0, statuses: {} };
  const findings = new Map<string, Finding>();
  const needs = new Map(contract.operations.map((op) => [op.operationId, op.auth]));

  const handle = async (req: FuzzRequest) => {
    const sent = await client.prepare(req);
    const answer = await client.send(sent);
    report.requests++;
    const stats = (report.operations[req.operationId] ??= { sent: 0, statuses: {} });
    stats.sent++;
    const status = 'error' in answer ? undefined : answer.status;
    if (status !== undefined) stats.statuses[status] = (stats.statuses[status] ?? 0) + 1;
    const auth = needs.get(req.operationId);
    if ((auth === 'device' && req.device === 'proof') || (auth === 'admin' && req.admin === 'session')) {
      report.authenticated.sent++;
      if (status !== undefined && !AUTH_REFUSALS.has(status)) report.authenticated.pastAuthentication++;
    }
    const verdicts = judgeAnswer(contract, req.method, req.target, answer);
    if (verdicts.some((v) => v.kind === 'server error')) report.serverErrors++;
    else if (status === 502) report.peerUnreachable++;
    for (const verdict of verdicts) {
      const key = `${verdict.kind}|${req.operationId}|${req.method}|${status}|${verdict.code ?? ''}`;
      const known = findings.get(key);
      if (known) known.count++;
      else {
        findings.set(key, {
          kind: verdict.kind,
          operationId: req.operationId,
          method: req.method,
          status,
          code: verdict.code,
          detail: verdict.detail,
          count: 1,
          example: {
            request: sent,
            variant: req.variant,
            answer: describeAnswer(answer),
            ...(answer.previousOnConnection ? { previousOnConnection: answer.previousOnConnection } : {}),
          },
        });
      }
    }
  };

  for (let chunk = 0; report.requests < options.requests; chunk++) {
    const batch = fc.sample(arbitrary, { seed: (options.seed + chunk) | 0, numRuns: Math.min(CHUNK, options.requests - report.requests) });
    let next = 0;
    await Promise.all(
      Array.from({ length: options.concurrency }, async () => {
        while (next < batch.length) await handle(batch[next++]!);
      }),
    );
    options.progress?.(report.requests);
  }
  client.close();
  report.durationMs = Date.now() - started;
  report.findings = [...findings.values()].sort((a, b) => a.kind.localeCompare(b.kind) || a.operationId.localeCompare(b.operationId));
  return report;
}

export function formatFinding(f: Finding): string {
  return [
    `${f.kind}: ${f.operationId} (${f.method}) → ${f.detail}  [${f.count}×]`,
    `    request: ${describeRequest(f.example.request)}`,
    `    variant: ${f.example.variant.join('; ')}`,
    `    answer:  ${f.example.answer}`,
    ...(f.example.previousOnConnection && (f.kind === 'no answer' || f.kind === 'not a problem document')
      ? [`    sent before on this connection: ${describeRequest(f.example.previousOnConnection)}`]
      : []),
  ].join('\n');
}
