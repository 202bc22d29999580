import type { Finding } from './fuzz-campaign.ts';

/**
 * Server bugs the fuzzer found and that are not fixed yet (issue 9, item 12). Each is matched
 * narrowly, by what the request did and what came back, so any other failure still fails the
 * suite; the suite lists each as a todo test with the examples it saw. Delete an entry when its
 * fix lands: its todo test then passes, and a regression fails the strict tests again.
 */
export interface KnownFinding {
  title: string;
  matches(finding: Finding): boolean;
}

const pathOf = (f: Finding) => f.example.request.target.split('?')[0]!;
const header = (f: Finding, name: string) => f.example.request.headers[name];
const undecodable = (segment: string) => {
  try {
    decodeURIComponent(segment);
    return false;
  } catch {
    return true;
  }
};

const proofKid = (f: Finding): unknown => {
  const token = header(f, 'authorization')?.split(' ')[1];
  try {
    return JSON.parse(Buffer.from(token?.split('.')[0] ?? '', 'base64url').toString('utf8')).kid;
  } catch {
    return undefined;
  }
};

export const KNOWN_FINDINGS: KnownFinding[] = [
  {
    title:
      'a path parameter with a percent-escape that is not UTF-8 (%zz, a lone %, %ff%fe, overlong %C0%AE, surrogate %ED%A0%80) answers 500 internal_error: the router throws URIError (status 400) and problemHandler maps only body-parser errors',
    matches: (f) => f.kind === 'server error' && f.status === 500 && pathOf(f).split('/').some(undecodable),
  },
  {
    title:
      'a JSON (or federation) body sent with Content-Encoding gzip, deflate or br whose bytes are not compressed answers 500 internal_error: the zlib error (status 400) is not mapped to malformed_request',
    matches: (f) => f.kind === 'server error' && f.status === 500 && ['gzip', 'deflate', 'br'].includes(header(f, 'content-encoding') ?? ''),
  },
  {
    title:
      'the JSON body parser runs for every route, but the document declares 413 payload_too_large for none of the JSON routes and 415 unsupported_media_type for no GET route: a body over TESSERA_MAX_JSON_BODY_BYTES, or a GET with a JSON body in another charset or encoding, gets an undeclared status',
    matches: (f) =>
      f.kind === 'undeclared status' &&
      ((f.status === 413 && (f.code === 'payload_too_large' || f.method === 'HEAD')) ||
        (f.status === 415 && ((f.code === 'unsupported_media_type' && f.method === 'GET') || f.method === 'HEAD'))),
  },
  {
    title: "OPTIONS on any route's path answers Express's automatic 200 text/plain list of methods (e.g. `GET, HEAD`), a status and body no operation declares",
    matches: (f) => f.kind === 'undeclared status' && f.method === 'OPTIONS' && f.status === 200,
  },
  {
    title: 'If-None-Match: * on a JSON GET route answers 304 Not Modified with no body (Express req.fresh, although ETags are off and answers are no-store)',
    matches: (f) => f.kind === 'undeclared status' && f.status === 304 && header(f, 'if-none-match') !== undefined,
  },
  {
    title:
      "raw (unencoded) bytes above 0x7F in the request target are refused by Node's HTTP parser with a bare `400 Bad Request` (no problem+json) and the connection is closed: the server installs no clientError handler",
    matches: (f) =>
      f.kind === 'not a problem document' &&
      f.status === 400 &&
      /[\u0080-\u00ff]/.test(f.example.request.target) &&
      f.example.answer.startsWith('400 (no content type)'),
  },
  {
    title:
      'a device proof whose header kid contains a NUL character answers 500 internal_error: the kid reaches the client lookup as a text parameter and PostgreSQL refuses it ("invalid byte sequence for encoding UTF8: 0x00") instead of proof_invalid',
    matches: (f) => f.kind === 'server error' && f.status === 500 && typeof proofKid(f) === 'string' && (proofKid(f) as string).includes('\u0000'),
  },
  {
    title:
      'POST and DELETE /admin/session answer 403 cross_site_request to a browser request from another site (the guard covers every /admin path), but the document declares 403 for neither: impliedProblems adds cross_site_request only to routes whose auth is admin',
    matches: (f) =>
      f.kind === 'undeclared status' && f.status === 403 && f.code === 'cross_site_request' && (f.operationId === 'login' || f.operationId === 'logout'),
  },
];

export const isKnown = (f: Finding) => KNOWN_FINDINGS.some((k) => k.matches(f));
