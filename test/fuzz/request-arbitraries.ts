import fc from 'fast-check';
import type { FixturePools } from './fuzz-target.ts';
import type { ApiContract, JsonSchema, Operation, Parameter } from './openapi-operations.ts';

/** How the request authenticates; the sender signs proofs when it sends, so they are fresh. */
export type DeviceAuth = 'proof' | 'none' | 'junk' | 'stale' | 'stranger' | 'other-request';
export type AdminAuth = 'session' | 'none' | 'junk';

export type FuzzBody =
  | { kind: 'none' }
  /** Serialised when sent; `RAW_NUMBER` markers become number literals JSON.stringify cannot write. */
  | { kind: 'json'; value: unknown }
  | { kind: 'raw'; bytes: Uint8Array };

export interface FuzzRequest {
  /** The operation the request was generated from, or `(no operation)` for random paths. */
  operationId: string;
  method: string;
  /** Path and query exactly as sent. */
  target: string;
  headers: Record<string, string>;
  contentType?: string;
  body: FuzzBody;
  device: DeviceAuth;
  admin: AdminAuth;
  junkAuthorization?: string;
  /** What was done to the request, for the report. */
  variant: string[];
}

/** A string field holding this becomes a raw number literal in the JSON text. */
export const RAW_NUMBER = '\u0001raw-number:';
/** Replaced by the sender with the public key that signs the registration proof. */
export const FRESH_PUBLIC_KEY = '\u0001fresh-public-key';

const bytesOf = (text: string) => new Uint8Array(Buffer.from(text, 'utf8'));

/** Percent-encodes every byte outside RFC 3986's unreserved set (lone surrogates become U+FFFD). */
export const encodeSegment = (value: string) =>
  [...Buffer.from(value, 'utf8')]
    .map((b) => (/[A-Za-z0-9\-._~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`))
    .join('');

/** Sent as they are: traversal, encoded NULs and separators, bad escapes, overlong UTF-8, raw bytes. */
const RAW_SEGMENTS = [
  '..',
  '.',
  '%2e%2e',
  '%2E%2E%2F%2E%2E',
  '..%2F..%2F..%2Fetc%2Fpasswd',
  '..%5C..%5Cwindows',
  '%252e%252e',
  '%00',
  'aurora%00',
  'cnt_x%00y',
  '%0d%0aSet-Cookie:%20x=1',
  '%ff%fe',
  '%',
  '%zz',
  '%C0%AE%C0%AE',
  '%E0%80%AF',
  '%F0%9F%92%A9',
  '%E2%80%AE%E2%80%AD',
  '%ED%A0%80',
  '%EF%BB%BF',
  'a'.repeat(3000),
  'AURORA',
  '%61urora',
  '-',
  '%20',
  '+',
  ';',
  'aurora;x=1',
  '%2F',
  '%2Ft%2Faurora',
  '*',
  'con',
  '.well-known',
  '__proto__',
  'constructor',
  `lic_${'x'.repeat(60)}`,
  Buffer.from('ünïcødé', 'utf8').toString('latin1'),
  Buffer.from('名前', 'utf8').toString('latin1'),
  '\u00ff\u00fe',
];

/** Strings the server should store or refuse, never choke on. */
const ODD_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\u0007\u001b[31mred',
  '\r\n',
  '\t',
  '\u0085',
  '\u202eevil\u202d',
  '\ud800',
  '\udfff',
  'a\ud83d',
  '💩'.repeat(50),
  'Z͑ͫ̓ͪ̂ͫ̽͏̴̙̤̞͉͚̯̞̠͍',
  '\ufeffbom',
  '\u2028\u2029',
  '\u200b',
  'İı',
  'ﬀ',
  'ß',
  '١٢٣',
  '𝟘𝟙',
  'x'.repeat(5000),
  '../../etc/passwd',
  '%00',
  "'; drop table users; --",
  "' or '1'='1",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template-injection probe, sent as it is
  '${7*7}{{7*7}}',
  '__proto__',
  'null',
  'NaN',
  '-0',
  'http://169.254.169.254/',
  'file:///etc/passwd',
  'javascript:alert(1)',
  '<script>alert(1)</script>',
];

/** Number literals beyond what JSON.stringify writes: they overflow, underflow or lose precision. */
const RAW_NUMBERS = ['1e309', '-1e309', '1e-400', '-0', '123456789012345678901234567890', '9007199254740993', '0.1e1', '1E2', '-0.0'];
const ODD_NUMBERS = [0, -0, 1e308, -1e308, 5e-324, 2 ** 31, 2 ** 53, -1, 1.5, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER];

const oddString = fc.oneof(fc.constantFrom(...ODD_STRINGS), fc.string({ unit: 'binary', maxLength: 30 }), fc.string({ unit: 'grapheme', maxLength: 30 }));
const oddNumber = fc.oneof(
  fc.constantFrom(...ODD_NUMBERS),
  fc.constantFrom(...RAW_NUMBERS).map((n) => `${RAW_NUMBER}${n}`),
);
const oddValue: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: oddString, weight: 4 },
  { arbitrary: oddNumber, weight: 3 },
  fc.constantFrom(null, true, false, [], {}, [null], { __proto__: null, polluted: true }),
  fc.jsonValue({ maxDepth: 2 }),
  fc.constant(JSON.parse('{"__proto__":{"isOperator":true,"role":"owner"}}')),
);

function deepJson(depth: number, shape: 'array' | 'object'): string {
  return shape === 'array' ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

const poolFor = (pools: FixturePools, changes: boolean, name: string) => (changes ? pools.spent : pools.kept)[name] ?? [];

/** A value the schema accepts; fixture IDs and accounts where the field names one. */
function validValue(schema: JsonSchema, name: string, pools: FixturePools, changes: boolean, depth = 0): fc.Arbitrary<unknown> {
  if (name === 'publicKey') return fc.constant(FRESH_PUBLIC_KEY);
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) return fc.oneof(...alternatives.map((s) => validValue(s, name, pools, changes, depth)));
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  if (types.length > 1) return fc.oneof(...types.map((type) => validValue({ ...schema, type }, name, pools, changes, depth)));
  const pool = poolFor(pools, changes, name).length ? poolFor(pools, changes, name) : schema.format === 'uri' ? poolFor(pools, changes, 'uri') : [];
  switch (types[0]) {
    case 'object': {
      const properties = Object.entries(schema.properties ?? {});
      if (!properties.length || depth > 4) return fc.constant({});
      const model = Object.fromEntries(properties.map(([key, s]) => [key, validValue(s, key, pools, changes, depth + 1)]));
      return fc.record(model, { requiredKeys: schema.required ?? [] });
    }
    case 'array':
      return fc.array(schema.items ? validValue(schema.items, name, pools, changes, depth + 1) : fc.jsonValue({ maxDepth: 1 }), {
        maxLength: Math.min(schema.maxItems ?? 4, 4),
      });
    case 'integer':
      return fc.integer({ min: schema.minimum ?? -1000, max: Math.min(schema.maximum ?? 1_000_000, 2 ** 31) });
    case 'number':
      return fc.double({ min: schema.minimum ?? -1e6, max: schema.maximum ?? 1e6, noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'string': {
      if (pool.length) return fc.constantFrom(...pool);
      if (name === 'email' || schema.format === 'email') return fc.constantFrom('new@aurora.test', 'someone+tag@aurora.test');
      const min = schema.minLength ?? 0;
      const max = Math.min(schema.maxLength ?? 40, 80);
      if (schema.pattern) {
        try {
          const pattern = new RegExp(schema.pattern);
          // Repeated or cut to the length bounds (a filter would starve on `{43}`-like bounds);
          // where that breaks the pattern, the unbounded string goes out as a near-valid value.
          return fc.stringMatching(pattern).map((s) => {
            const fitted = (s || 'a').repeat(Math.ceil(min / Math.max(s.length, 1))).slice(0, max);
            return pattern.test(fitted) && fitted.length >= min ? fitted : s;
          });
        } catch {
          // A pattern fast-check cannot generate from: plain letters usually pass.
        }
      }
      return fc.string({ minLength: Math.max(min, 1), maxLength: Math.max(max, 1), unit: 'grapheme-ascii' }).filter((s) => s.trim().length > 0);
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

/** Leaves of a JSON value as paths, for mutations that pick one. */
function leafPaths(value: unknown, at: (string | number)[] = []): (string | number)[][] {
  if (value && typeof value === 'object') {
    const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
    const inner = entries.flatMap(([k, v]) => leafPaths(v, [...at, k]));
    return [at, ...inner];
  }
  return [at];
}

function setAt(value: unknown, path: (string | number)[], replacement: unknown, remove = false): unknown {
  if (!path.length) return replacement;
  const copy = (Array.isArray(value) ? [...value] : { ...(value as object) }) as Record<string | number, unknown>;
  const [head, ...rest] = path;
  if (remove && !rest.length) delete copy[head!];
  else copy[head!] = setAt(copy[head!], rest, replacement, remove);
  return copy;
}

type Mutation = { kind: 'replace' | 'remove' | 'add' | 'wrap' | 'deep-field'; pick: number; odd: unknown; depth: number };

const mutation: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom('replace', 'replace', 'replace', 'remove', 'add', 'wrap', 'deep-field'),
  pick: fc.nat(),
  odd: oddValue,
  depth: fc.constantFrom(50, 500, 2000),
});

function mutate(value: unknown, m: Mutation): unknown {
  const paths = leafPaths(value);
  const path = paths[m.pick % paths.length]!;
  switch (m.kind) {
    case 'replace':
      return setAt(value, path, m.odd);
    case 'remove':
      return path.length ? setAt(value, path, undefined, true) : undefined;
    case 'add':
      return value && typeof value === 'object' && !Array.isArray(value) ? { ...value, [`unexpected${m.pick % 3}`]: m.odd } : [value, m.odd];
    case 'wrap':
      return [value];
    case 'deep-field':
      return setAt(value, path, JSON.parse(deepJson(m.depth, 'array')));
  }
}

const RAW_JSON_TEXTS = [
  '',
  '{',
  '}',
  '{"a":}',
  "{'a':1}",
  '\ufeff{}',
  '{"a":1}garbage',
  '[1,]',
  'NaN',
  'undefined',
  'null',
  '[]',
  '"text"',
  '0',
  'true',
  '{"a":"\\ud800"}',
  '{"a":"\\u0000"}',
  '{"a":1,"a":2}',
  '{"__proto__":{"isOperator":true}}',
  '{"constructor":{"prototype":{"x":1}}}',
  '{"a":1e309}',
  `{"a":${'9'.repeat(400)}}`,
  '\u0000',
  '{"a":"\u0000"}',
];

function bodyBytes(pools: FixturePools, schema: JsonSchema | undefined, changes: boolean): fc.Arbitrary<{ body: FuzzBody; variant: string }> {
  const valid = schema ? validValue(schema, '', pools, changes) : fc.jsonValue({ maxDepth: 2 });
  return fc.oneof(
    { weight: 10, arbitrary: valid.map((value) => ({ body: { kind: 'json' as const, value }, variant: 'valid body' })) },
    {
      weight: 8,
      arbitrary: fc
        .tuple(valid, mutation)
        .map(([value, m]) => ({ body: { kind: 'json' as const, value: mutate(value, m) }, variant: `mutated body (${m.kind})` })),
    },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((value) => ({ body: { kind: 'json' as const, value }, variant: 'random JSON' })) },
    {
      weight: 2,
      arbitrary: fc.tuple(fc.constantFrom(1000, 5000, 20_000, 200_000), fc.constantFrom('array' as const, 'object' as const)).map(([depth, shape]) => ({
        body: { kind: 'raw' as const, bytes: bytesOf(deepJson(depth, shape)) },
        variant: `nested ${depth} deep (${shape})`,
      })),
    },
    {
      weight: 2,
      arbitrary: fc.constantFrom(...RAW_JSON_TEXTS).map((text) => ({ body: { kind: 'raw' as const, bytes: bytesOf(text) }, variant: 'odd JSON text' })),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(70_000, 2_000_000)
        .map((size) => ({ body: { kind: 'json' as const, value: { title: 'x'.repeat(size) } }, variant: `huge body ${size}` })),
    },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((bytes) => ({ body: { kind: 'raw' as const, bytes }, variant: 'random bytes' })) },
    {
      weight: 1,
      arbitrary: valid.map((value) => ({
        body: { kind: 'raw' as const, bytes: new Uint8Array(Buffer.from(JSON.stringify(value) ?? 'null', 'utf16le')) },
        variant: 'valid body in UTF-16',
      })),
    },
    { weight: 1, arbitrary: fc.constant({ body: { kind: 'none' as const }, variant: 'no body' }) },
  );
}

const JSON_CONTENT_TYPES = [
  'text/plain',
  'multipart/form-data; boundary=xyz',
  'application/x-www-form-urlencoded',
  'application/json; charset=latin1',
  'application/json; charset=utf-16',
  'application/json; charset=utf-8',
  'APPLICATION/JSON',
  'application/merge-patch+json',
  'application/json;;;',
  'a/b/c',
  'application/octet-stream',
  'application/tessera-fed+jwt',
  '*/*',
  'application/json\tx',
];

const JUNK_AUTHORIZATIONS = (clientId: string) => [
  'Tessera-Proof',
  'Tessera-Proof ',
  'Tessera-Proof a.b.c',
  'Tessera-Proof a b',
  `Tessera-Proof ${'A'.repeat(6000)}`,
  'Bearer x',
  'Basic YTpi',
  `Tessera-Proof ${Buffer.from(JSON.stringify({ alg: 'none', typ: 'tessera-proof+jwt', kid: clientId })).toString('base64url')}.${Buffer.from('{}').toString('base64url')}.`,
  `Tessera-Proof ${Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'tessera-proof+jwt', kid: clientId })).toString('base64url')}.e30.c2ln`,
  `Tessera-Proof ${Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'tessera-proof+jwt', kid: 'x'.repeat(65) })).toString('base64url')}.e30.c2ln`,
  `Tessera-Proof ${Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'tessera-proof+jwt', kid: '\u0000' })).toString('base64url')}.e30.c2ln`,
  `Tessera-Proof ${Buffer.from(JSON.stringify({ alg: 'ES256', kid: { $ne: 1 } })).toString('base64url')}.e30.c2ln`,
];

/** Headers a client may send for no reason the server expects. */
const oddHeaders = (selfUrl: string): fc.Arbitrary<Record<string, string>> =>
  fc
    .subarray(
      [
        ['accept', fc.constantFrom('application/xml', '*/*', 'text/html', 'application/problem+json', '')],
        ['accept-encoding', fc.constantFrom('gzip', 'br', 'identity;q=0', '*;q=0')],
        ['content-encoding', fc.constantFrom('gzip', 'deflate', 'br', 'x-unknown', 'identity')],
        ['origin', fc.constantFrom('https://evil.example', 'null', selfUrl)],
        ['sec-fetch-site', fc.constantFrom('cross-site', 'same-origin', 'none')],
        ['x-forwarded-for', fc.constantFrom('1.2.3.4', 'garbage', '::1, 10.0.0.1', '')],
        ['x-forwarded-proto', fc.constant('https')],
        [
          'range',
          fc.constantFrom(
            'bytes=0-0',
            'bytes=0-',
            'bytes=-1',
            'bytes=999999999999-',
            'bytes=5-1',
            'bytes=0-1,2-3',
            'bytes=a-b',
            'items=0-1',
            'bytes=-0',
            'bytes=0-18446744073709551616',
          ),
        ],
        ['if-none-match', fc.constantFrom('*', '"x"')],
        ['if-modified-since', fc.constantFrom('garbage', 'Thu, 01 Jan 1970 00:00:00 GMT')],
        ['x-http-method-override', fc.constantFrom('DELETE', 'PATCH')],
        ['user-agent', fc.constantFrom('x'.repeat(4000), Buffer.from('agënt ☃', 'utf8').toString('latin1'))],
        ['x-odd', fc.constantFrom('\tvalue', '\u00ff\u00fe', '', 'a'.repeat(2000))],
        ['expect', fc.constantFrom('100-continue')],
        ['host', fc.constantFrom('evil.example', '127.0.0.1:1')],
        ['accept-language', fc.constantFrom('*', 'x'.repeat(300))],
      ] as const,
      { maxLength: 3 },
    )
    .chain((picked) =>
      picked.length ? fc.tuple(...picked.map(([name, value]) => value.map((v) => [name, v] as const))) : fc.constant([] as (readonly [string, string])[]),
    )
    .map((pairs) => Object.fromEntries(pairs));

function pathValue(param: Parameter, pools: FixturePools, changes: boolean): fc.Arbitrary<string> {
  const own = poolFor(pools, changes, param.name);
  const foreign = pools.foreign[param.name] ?? [];
  return fc.oneof(
    ...(own.length ? [{ weight: 40, arbitrary: fc.constantFrom(...own).map(encodeSegment) }] : []),
    ...(foreign.length ? [{ weight: 4, arbitrary: fc.constantFrom(...foreign).map(encodeSegment) }] : []),
    { weight: 2, arbitrary: validValue(param.schema, `${param.name} (generated)`, pools, changes).map((v) => encodeSegment(String(v))) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }).map(encodeSegment) },
    { weight: 3, arbitrary: fc.constantFrom(...RAW_SEGMENTS) },
  );
}

const ODD_QUERY_PARTS = [
  'x=1',
  'limit=1&limit=2',
  'limit[]=1',
  'limit[a]=1',
  'cursor=%00',
  'limit=1e309',
  'limit=-0',
  'limit=99999999999999999999',
  'limit=0x10',
  'status=%E2%80%AE',
  'q=%ff',
  'q=%',
  '=',
  '&&&',
  'a'.repeat(3000),
  '__proto__[isOperator]=true',
  'from=0000-00-00&to=9999-99-99',
  'period=2026-13',
  'search=%00%01',
  'title=%00',
];

function queryString(params: Parameter[], pools: FixturePools, changes: boolean): fc.Arbitrary<{ query: string; odd: boolean }> {
  const fields = params.map((p) =>
    fc.oneof(
      { weight: p.required ? 8 : 3, arbitrary: validValue(p.schema, p.name, pools, changes).map((v) => `${p.name}=${encodeSegment(String(v))}`) },
      { weight: 2, arbitrary: fc.constant('') },
      { weight: 1, arbitrary: oddString.map((v) => `${p.name}=${encodeSegment(v)}`) },
      { weight: 1, arbitrary: oddNumber.map((v) => `${p.name}=${encodeSegment(String(v).replace(RAW_NUMBER, ''))}`) },
    ),
  );
  return fc
    .tuple(
      fc.tuple(...fields),
      fc.oneof({ weight: 6, arbitrary: fc.constant([] as string[]) }, { weight: 1, arbitrary: fc.subarray(ODD_QUERY_PARTS, { minLength: 1, maxLength: 2 }) }),
    )
    .map(([parts, odd]) => ({ query: [...parts.filter(Boolean), ...odd].join('&'), odd: odd.length > 0 }));
}

const PATH_MUTATIONS: [string, (path: string) => string][] = [
  ['trailing slash', (p) => `${p}/`],
  ['double slash', (p) => p.replace('/', '//')],
  ['dot segment', (p) => p.replace(/\/([^/]*)$/, '/./$1')],
  ['dot-dot segment', (p) => p.replace(/\/([^/]*)$/, '/x/../$1')],
  ['upper case', (p) => p.replace(/[a-z]+/g, (letters) => letters.toUpperCase())],
  ['appended %00', (p) => `${p}%00`],
  ['appended .json', (p) => `${p}.json`],
  ['encoded slash', (p) => p.replace(/\/([^/]*)$/, '%2F$1')],
];

function operationRequest(op: Operation, pools: FixturePools, selfUrl: string): fc.Arbitrary<FuzzRequest> {
  const changes = op.method !== 'GET';
  const pathParams = op.parameters.filter((p) => p.in === 'path');
  const queryParams = op.parameters.filter((p) => p.in === 'query');
  const path = fc.tuple(...pathParams.map((p) => pathValue(p, pools, changes))).map((values) => {
    let filled = op.template;
    pathParams.forEach((p, i) => {
      filled = filled.replace(`{${p.name}}`, values[i]!);
    });
    return filled;
  });
  const pathMutation = fc.oneof({ weight: 12, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom(...PATH_MUTATIONS) });
  const method = fc.oneof(
    { weight: 14, arbitrary: fc.constant(op.method) },
    { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS') },
  );
  const isJson = op.body?.mediaType === 'application/json';
  const body: fc.Arbitrary<{ body: FuzzBody; variant: string }> = isJson
    ? bodyBytes(pools, op.body!.schema, changes)
    : op.body
      ? fc.oneof(
          { weight: 4, arbitrary: fc.uint8Array({ maxLength: 4096 }).map((bytes) => ({ body: { kind: 'raw' as const, bytes }, variant: 'random bytes' })) },
          {
            weight: 2,
            arbitrary: fc
              .constantFrom('a.b.c', 'eyJhbGciOiJub25lIn0.e30.', `${'x'.repeat(40)}.${'y'.repeat(40)}.${'z'.repeat(40)}`, 'x'.repeat(100_000))
              .map((t) => ({ body: { kind: 'raw' as const, bytes: bytesOf(t) }, variant: 'JWS-like text' })),
          },
          { weight: 1, arbitrary: fc.constant({ body: { kind: 'none' as const }, variant: 'no body' }) },
          { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((value) => ({ body: { kind: 'json' as const, value }, variant: 'JSON body' })) },
        )
      : fc.oneof(
          { weight: 12, arbitrary: fc.constant({ body: { kind: 'none' as const }, variant: 'no body' }) },
          { weight: 1, arbitrary: bodyBytes(pools, undefined, changes) },
        );
  const contentType = fc.oneof(
    { weight: 12, arbitrary: fc.constant(op.body?.mediaType ?? 'application/json') },
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 2, arbitrary: fc.constantFrom(...JSON_CONTENT_TYPES) },
  );
  const device = fc.oneof(
    { weight: op.auth === 'device' || op.operationId === 'registerDevice' ? 14 : 1, arbitrary: fc.constant<DeviceAuth>('proof') },
    { weight: op.auth === 'device' ? 1 : 10, arbitrary: fc.constant<DeviceAuth>('none') },
    { weight: 1, arbitrary: fc.constantFrom<DeviceAuth>('junk', 'stale', 'stranger', 'other-request') },
  );
  const admin = fc.oneof(
    { weight: op.auth === 'admin' ? 14 : 2, arbitrary: fc.constant<AdminAuth>('session') },
    { weight: op.auth === 'admin' ? 1 : 10, arbitrary: fc.constant<AdminAuth>('none') },
    { weight: 1, arbitrary: fc.constant<AdminAuth>('junk') },
  );
  const headers = fc.oneof({ weight: 5, arbitrary: fc.constant({} as Record<string, string>) }, { weight: 1, arbitrary: oddHeaders(selfUrl) });
  const junk = fc.constantFrom(...JUNK_AUTHORIZATIONS(pools.kept.clientId![0]!));
  return fc
    .record({ path, pathMutation, query: queryString(queryParams, pools, changes), method, body, contentType, device, admin, headers, junk })
    .map((r) => {
      const variant = [r.body.variant];
      let target = r.path;
      if (r.pathMutation) {
        target = r.pathMutation[1](target);
        variant.push(r.pathMutation[0]);
      }
      if (r.query.query) target += `?${r.query.query}`;
      if (r.query.odd) variant.push('odd query');
      if (r.method !== op.method) variant.push(`method ${r.method}`);
      if (r.contentType !== (op.body?.mediaType ?? 'application/json')) variant.push(`content type ${r.contentType ?? '(none)'}`);
      if (Object.keys(r.headers).length) variant.push(`headers ${Object.keys(r.headers).join(',')}`);
      const admin = endsSession(r.method, target) ? 'none' : r.admin;
      variant.push(`device ${r.device}`, `admin ${admin}`);
      return {
        operationId: op.operationId,
        method: r.method,
        target,
        headers: r.headers,
        ...(r.body.body.kind !== 'none' || r.contentType !== 'application/json' ? (r.contentType ? { contentType: r.contentType } : {}) : {}),
        body: r.body.body,
        device: r.device,
        admin,
        ...(r.device === 'junk' ? { junkAuthorization: r.junk } : {}),
        variant,
      };
    });
}

/**
 * Signing in or out (whatever operation the request was generated from, e.g. getSession with its
 * method changed) would end the fuzzer's own session; such requests go without it.
 */
const endsSession = (method: string, target: string) =>
  !['GET', 'HEAD', 'OPTIONS'].includes(method) && /^\/+admin\/+session\/*(\?|$)/i.test(target.replace(/\/\.(?=\/)/g, ''));

/** Requests that belong to no operation: random paths and methods. */
const strayRequest: fc.Arbitrary<FuzzRequest> = fc
  .record({
    path: fc.oneof(
      fc.webPath({ size: 'small' }),
      fc
        .array(
          fc.oneof(
            fc.constantFrom('t', 'aurora', 'admin', 'authorities', '..', '%2e%2e', '%00', 'openapi.json', 'healthz'),
            fc.string({ unit: 'binary-ascii', maxLength: 12 }).map(encodeSegment),
          ),
          { maxLength: 6 },
        )
        .map((s) => `/${s.join('/')}`),
    ),
    method: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'TRACE'),
    admin: fc.constantFrom<AdminAuth>('session', 'none'),
  })
  .map((r) => ({
    operationId: '(no operation)',
    method: r.method,
    target: r.path.startsWith('/') ? r.path : `/${r.path}`,
    headers: {},
    body: { kind: 'none' },
    device: 'none',
    admin: endsSession(r.method, r.path) ? 'none' : r.admin,
    variant: ['random path'],
  }));

/** Every operation equally often, and some stray requests. */
export function requestArbitrary(contract: ApiContract, pools: FixturePools, selfUrl: string): fc.Arbitrary<FuzzRequest> {
  return fc.oneof(...contract.operations.map((op) => ({ weight: 10, arbitrary: operationRequest(op, pools, selfUrl) })), {
    weight: 10,
    arbitrary: strayRequest,
  });
}
