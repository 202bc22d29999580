/**
 * The single byte range a request asks for (RFC 9110 §14). Parsed here rather than left to
 * `send`, because the download row must record exactly the range served, before serving it.
 *
 * - `full`: no usable Range (absent, another unit, malformed, several ranges, or an If-Range
 *   validator that no longer matches) — the whole representation, 200.
 * - `partial`: one satisfiable range, 206.
 * - `unsatisfiable`: a well-formed range that lies wholly beyond the end, 416.
 */
export type RangeDecision = { kind: 'full'; start: 0; end: number } | { kind: 'partial'; start: number; end: number } | { kind: 'unsatisfiable' };

const SPEC = /^(\d*)-(\d*)$/;

export function decideRange(size: number, rangeHeader: string | undefined, ifRange: string | undefined, etag: string): RangeDecision {
  const full = { kind: 'full', start: 0, end: size - 1 } as const;
  if (!rangeHeader) return full;
  // If-Range with a stale validator (or a date: no Last-Modified is sent) means "send it all".
  if (ifRange !== undefined && ifRange.trim() !== etag) return full;
  const eq = rangeHeader.indexOf('=');
  if (eq < 0 || rangeHeader.slice(0, eq).trim().toLowerCase() !== 'bytes') return full;
  const specs = rangeHeader
    .slice(eq + 1)
    .split(',')
    .map((s) => s.trim());
  // Multipart/byteranges answers serve no device; a plain 200 is always allowed.
  if (specs.length !== 1) return full;
  const match = SPEC.exec(specs[0]!);
  if (!match) return full;
  const [, first, last] = match as unknown as [string, string, string];
  if (first === '' && last === '') return full;
  if (first === '') {
    // Digits beyond 2^53 only ever mean "more than there is": clamp them like any long range.
    const suffix = Math.min(Number(last), Number.MAX_SAFE_INTEGER);
    if (suffix === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Math.min(Number(first), Number.MAX_SAFE_INTEGER);
  const end = last === '' ? Number.MAX_SAFE_INTEGER : Math.min(Number(last), Number.MAX_SAFE_INTEGER);
  if (end < start) return full;
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'partial', start, end: Math.min(end, size - 1) };
}
