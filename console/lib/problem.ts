/**
 * What the console shows of a failed call: the server's problem+json answer (RFC 9457) reduced
 * to plain data, so it can cross from server code to client components.
 */
export interface Problem {
  status: number;
  /** The stable problem code (`client_revoked`, `forbidden`, …), or `unavailable` when the server could not be reached. */
  code: string;
  title: string;
  detail?: string;
  /** Per-field messages of an `invalid_request`. */
  errors?: { path: string; message: string }[];
}

const PREFIX = 'urn:tessera:problem:';

/** Reads a problem document; anything else becomes a generic problem with the HTTP status. */
export function toProblem(status: number, body: unknown): Problem {
  if (body && typeof body === 'object') {
    const d = body as Record<string, unknown>;
    const code = typeof d.code === 'string' ? d.code : typeof d.type === 'string' && d.type.startsWith(PREFIX) ? d.type.slice(PREFIX.length) : undefined;
    if (code && typeof d.title === 'string') {
      const errors = Array.isArray(d.errors)
        ? d.errors.filter(
            (e): e is { path: string; message: string } => !!e && typeof e === 'object' && typeof (e as { message?: unknown }).message === 'string',
          )
        : undefined;
      return {
        status: typeof d.status === 'number' ? d.status : status,
        code,
        title: d.title,
        ...(typeof d.detail === 'string' ? { detail: d.detail } : {}),
        ...(errors?.length ? { errors: errors.map((e) => ({ path: String(e.path ?? ''), message: e.message })) } : {}),
      };
    }
  }
  return { status, code: status >= 500 ? 'internal_error' : 'unexpected_answer', title: `The server answered with HTTP ${status}` };
}

export class ProblemError extends Error {
  readonly problem: Problem;
  constructor(problem: Problem) {
    super(problem.detail ?? problem.title);
    this.name = 'ProblemError';
    this.problem = problem;
  }
}

export const unreachable = (serverName: string): Problem => ({
  status: 502,
  code: 'unavailable',
  title: `${serverName} could not be reached`,
  detail: 'Check that the license server is running, then try again.',
});
