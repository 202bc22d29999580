import { operationsMatching, type ApiContract, type Operation } from './openapi-operations.ts';
import type { Answer } from './send-request.ts';

/**
 * Answers any path may get from the middleware in front of the routes (body parsing, deadlines,
 * the cross-site guard) or from the fallback that finds no route.
 */
export const GENERIC_PROBLEMS: Record<string, number> = {
  not_found: 404,
  method_not_allowed: 405,
  malformed_request: 400,
  payload_too_large: 413,
  unsupported_media_type: 415,
  request_timeout: 408,
  cross_site_request: 403,
};

export type FindingKind =
  | 'server error'
  | 'undeclared status'
  | 'undeclared problem code'
  | 'not a problem document'
  | 'wrong success media type'
  | 'no answer';

export interface Verdict {
  kind: FindingKind;
  /** One line: what is wrong. */
  detail: string;
  /** The problem code, if the answer had one. */
  code?: string;
}

const header = (answer: Answer, name: string) => {
  const value = answer.headers[name];
  return Array.isArray(value) ? value.join(', ') : (value ?? '');
};

/** The operations that handle this method and path (HEAD is served by GET routes). */
export function handlingOperations(contract: ApiContract, method: string, target: string): { byPath: Operation[]; handling: Operation[] } {
  const byPath = operationsMatching(contract, target);
  const routed = method === 'HEAD' ? 'GET' : method;
  return { byPath, handling: byPath.filter((op) => op.method === routed) };
}

/**
 * Judges one answer against the document: a status the operation declares (or a generic one for
 * paths and methods no operation serves), problem+json with the fields and a declared code on
 * errors, the declared media type on success, and never a 5xx.
 */
export function judgeAnswer(contract: ApiContract, method: string, target: string, answer: Answer | { error: string }): Verdict[] {
  if ('error' in answer) return [{ kind: 'no answer', detail: answer.error }];
  const verdicts: Verdict[] = [];
  const { status } = answer;
  const contentType = header(answer, 'content-type');
  const { handling } = handlingOperations(contract, method, target);
  const declared = new Map<number, Set<string>>();
  const successTypes = new Map<number, string | undefined>();
  for (const op of handling) {
    for (const [s, response] of op.responses) {
      declared.set(s, new Set([...(declared.get(s) ?? []), ...response.codes]));
      if (s < 300) successTypes.set(s, response.mediaType);
    }
  }
  // The two documents outside the API: liveness and the OpenAPI document itself.
  if (!handling.length && ['/healthz', '/openapi.json'].includes(target.split('?')[0]!) && (method === 'GET' || method === 'HEAD')) {
    declared.set(200, new Set());
    successTypes.set(200, 'application/json');
  }
  if (!handling.length) for (const [code, s] of Object.entries(GENERIC_PROBLEMS)) declared.set(s, new Set([...(declared.get(s) ?? []), code]));

  let code: string | undefined;
  if (status >= 400 && method !== 'HEAD') {
    let problem: Record<string, unknown> | undefined;
    try {
      problem = JSON.parse(answer.body.toString('utf8'));
    } catch {
      problem = undefined;
    }
    code = typeof problem?.code === 'string' ? problem.code : undefined;
    const wellFormed =
      contentType.startsWith('application/problem+json') &&
      problem !== undefined &&
      typeof problem.type === 'string' &&
      typeof problem.title === 'string' &&
      problem.status === status &&
      code !== undefined &&
      contract.problemCodes.has(code) &&
      problem.type === `urn:tessera:problem:${code}`;
    if (!wellFormed)
      verdicts.push({
        kind: 'not a problem document',
        detail: `${status} ${contentType || '(no content type)'} ${answer.body.toString('utf8').slice(0, 200)}`,
        ...(code ? { code } : {}),
      });
  }
  // The one 5xx the document declares, 502 peer_unreachable, is the server reporting that a peer it
  // was asked to call did not answer (the fixtures name closed loopback ports); any other is a bug.
  const declaredUpstream = status === 502 && code === 'peer_unreachable' && declared.get(502)?.has(code);
  if (status >= 500 && !declaredUpstream)
    verdicts.push({ kind: 'server error', detail: `${status} ${code ?? answer.body.toString('utf8').slice(0, 200)}`, ...(code ? { code } : {}) });
  else if (!declared.has(status))
    verdicts.push({
      kind: 'undeclared status',
      detail: `${status} ${code ?? contentType}; declared ${[...declared.keys()].join(', ')}`,
      ...(code ? { code } : {}),
    });
  else if (code && status >= 400 && !declared.get(status)!.has(code))
    verdicts.push({ kind: 'undeclared problem code', detail: `${status} ${code}; declared for ${status}: ${[...declared.get(status)!].join(', ')}`, code });
  if (status < 300 && method !== 'HEAD' && successTypes.has(status)) {
    const expected = successTypes.get(status);
    if (expected ? !contentType.startsWith(expected) : answer.body.length > 0) {
      verdicts.push({ kind: 'wrong success media type', detail: `${status} ${contentType || '(none)'}; declared ${expected ?? 'no content'}` });
    }
  }
  return verdicts;
}
