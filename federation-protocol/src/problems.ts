/**
 * The problem-type catalogue (RFC 9457). Codes are stable: clients branch on them,
 * so a code is never renamed or reused for another meaning. The wire `type` is
 * `urn:tessera:problem:<code>`.
 */
export const problemCatalogue = {
  // Request shape
  malformed_request: { status: 400, title: 'The request body is not valid JSON or not of the expected media type' },
  invalid_request: { status: 400, title: 'The request does not match its schema' },
  payload_too_large: { status: 413, title: 'The request body is larger than allowed' },
  unsupported_media_type: { status: 415, title: 'The request body has an unsupported media type' },
  not_found: { status: 404, title: 'No such resource' },
  method_not_allowed: { status: 405, title: 'Method not allowed on this resource' },
  range_not_satisfiable: { status: 416, title: 'The requested range cannot be served' },
  request_timeout: { status: 408, title: 'The request was not received in time' },

  // Device authentication (device proofs)
  proof_missing: { status: 401, title: 'The request carries no device proof' },
  proof_invalid: { status: 401, title: 'The device proof is malformed or its signature does not verify' },
  proof_expired: { status: 401, title: 'The device proof is outside its time window' },
  proof_replayed: { status: 401, title: 'The device proof was already used' },
  proof_mismatch: { status: 401, title: 'The device proof is not bound to this request' },
  client_unknown: { status: 401, title: 'The device is not registered with this authority' },
  client_revoked: { status: 403, title: 'The device has been revoked' },

  // Users and registration
  invalid_credentials: { status: 401, title: 'The username or password is wrong' },
  too_many_attempts: { status: 429, title: 'Too many failed password attempts; try again later' },
  user_suspended: { status: 403, title: 'The user account is not in good standing' },
  device_limit_reached: { status: 409, title: 'The user already has the maximum number of active devices' },
  key_already_registered: { status: 409, title: 'This device key is already registered' },
  forbidden: { status: 403, title: 'Not allowed' },
  cross_site_request: { status: 403, title: 'The browser sent this request from a page of another site' },

  // Contents and licenses
  content_unknown: { status: 404, title: 'No such content at this authority' },
  content_unavailable: { status: 409, title: 'The content is not available' },
  content_exists: { status: 409, title: 'A content with this ID already exists' },
  license_unknown: { status: 404, title: 'No such license for this device' },
  license_not_active: { status: 409, title: 'The license is not active' },
  price_missing: { status: 409, title: 'No price is set for this supply' },

  // Moves
  move_destination_unknown: { status: 404, title: 'The destination device is not registered with this authority' },
  move_destination_revoked: { status: 409, title: 'The destination device has been revoked' },
  move_destination_not_owned: { status: 403, title: "The destination device is not owned by the source device's user" },
  move_destination_is_source: { status: 409, title: 'A content cannot be moved to the device that holds it' },
  move_destination_already_licensed: { status: 409, title: 'The destination device already holds an active license for this content' },
  move_unknown: { status: 404, title: 'No such move' },

  // Administration
  unauthenticated: { status: 401, title: 'Sign in first' },
  authority_unknown: { status: 404, title: 'No such authority on this server' },
  authority_exists: { status: 409, title: 'An authority with this slug already exists' },
  user_exists: { status: 409, title: 'A user with this username already exists' },
  admin_exists: { status: 409, title: 'An administrator with this e-mail already exists' },
  conflict: { status: 409, title: 'The resource changed or conflicts with another' },

  // Federation
  peer_untrusted: { status: 403, title: 'The calling authority is not a trusted peer' },
  peer_suspended: { status: 403, title: 'The peer authority is suspended' },
  peer_unknown: { status: 404, title: 'No such peer authority' },
  peer_exists: { status: 409, title: 'This authority already peers with that issuer' },
  peer_unreachable: { status: 502, title: 'The peer authority could not be reached or gave no valid answer' },
  peer_address_refused: { status: 422, title: "The peer's address is private, loopback or link-local, and this server does not call such addresses" },
  peer_thumbprint_mismatch: { status: 409, title: "The peer's entity configuration is not signed by the pinned key" },
  peer_key_untrusted: { status: 409, title: "The peer's new keys are not signed by a key already trusted" },
  envelope_invalid: { status: 401, title: 'The federation envelope is malformed or its signature does not verify' },
  envelope_expired: { status: 401, title: 'The federation envelope is outside its time window' },
  envelope_replayed: { status: 401, title: 'The federation envelope was already received' },
  envelope_misaddressed: { status: 401, title: 'The federation envelope is addressed to another authority' },
  link_assertion_invalid: { status: 400, title: 'The link assertion is malformed, expired, replayed or not addressed to this authority' },
  account_not_linked: { status: 403, title: "The destination device's user is not linked to the source user" },
  link_unknown: { status: 404, title: 'No such account link' },
  move_in_progress: { status: 409, title: 'This move is being processed; ask again shortly' },
  idempotency_key_reused: { status: 422, title: 'This move ID was already used for another request' },
  content_conflict: { status: 409, title: 'Another content with this ID exists at the destination authority' },
  key_unknown: { status: 404, title: 'No such key' },
  key_state_invalid: { status: 409, title: 'The key cannot make this transition from its current state' },
  unsupported_version: { status: 400, title: 'The protocol version is not supported' },
  unsupported_message: { status: 400, title: 'The message type is not supported' },

  internal_error: { status: 500, title: 'The server failed to process the request' },
  unavailable: { status: 503, title: 'The service is temporarily unavailable' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ProblemCode = keyof typeof problemCatalogue;

/** SPEC §7.2 prints the catalogue, in its order, under these headings; each starts at its code. */
export const problemCatalogueHeadings: Partial<Record<ProblemCode, string>> = {
  malformed_request: 'Request shape',
  proof_missing: 'Device authentication',
  invalid_credentials: 'Users and registration',
  content_unknown: 'Contents and licenses',
  move_destination_unknown: 'Moves',
  unauthenticated: 'Administration',
  peer_untrusted: 'Federation (Section 10.9)',
  internal_error: 'Server',
};

export const PROBLEM_TYPE_PREFIX = 'urn:tessera:problem:';

export const problemType = (code: ProblemCode): string => `${PROBLEM_TYPE_PREFIX}${code}`;

/** The problem+json document as it goes on the wire. */
export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  code: ProblemCode;
  /** Per-field messages for `invalid_request`. */
  errors?: { path: string; message: string }[];
  /** For `too_many_attempts`: seconds until another attempt is accepted, as in the `Retry-After` header. */
  retryAfter?: number;
  [extension: string]: unknown;
}

/**
 * The one error type of Tessera. Anything thrown as a `TesseraProblem` reaches the
 * client as problem+json with its code; anything else is an internal error whose
 * details stay in the server log.
 */
export class TesseraProblem extends Error {
  readonly code: ProblemCode;
  readonly status: number;
  readonly detail: string | undefined;
  readonly extensions: Record<string, unknown>;

  constructor(code: ProblemCode, detail?: string, extensions: Record<string, unknown> = {}) {
    super(detail ?? problemCatalogue[code].title);
    this.name = 'TesseraProblem';
    this.code = code;
    this.status = problemCatalogue[code].status;
    this.detail = detail;
    this.extensions = extensions;
  }

  toDocument(instance?: string): ProblemDocument {
    return {
      type: problemType(this.code),
      title: problemCatalogue[this.code].title,
      status: this.status,
      code: this.code,
      ...(this.detail !== undefined ? { detail: this.detail } : {}),
      ...(instance !== undefined ? { instance } : {}),
      ...this.extensions,
    };
  }
}

export const isProblemCode = (value: unknown): value is ProblemCode => typeof value === 'string' && Object.hasOwn(problemCatalogue, value);

/** Rebuilds a problem received over the wire, so SDKs can throw the same type servers do. */
export function problemFromDocument(doc: unknown, fallbackStatus = 500): TesseraProblem {
  if (doc && typeof doc === 'object') {
    const d = doc as Record<string, unknown>;
    const code = isProblemCode(d.code)
      ? d.code
      : typeof d.type === 'string' && isProblemCode(d.type.slice(PROBLEM_TYPE_PREFIX.length))
        ? (d.type.slice(PROBLEM_TYPE_PREFIX.length) as ProblemCode)
        : undefined;
    if (code) {
      const { type: _t, title: _ti, status: _s, code: _c, detail, ...rest } = d;
      return new TesseraProblem(code, typeof detail === 'string' ? detail : undefined, rest);
    }
  }
  return new TesseraProblem(fallbackStatus >= 500 ? 'internal_error' : 'invalid_request', `unexpected answer (HTTP ${fallbackStatus})`);
}
