/* Compact JWS are decoded with @tessera/protocol's decodeJwsUnverified (server side). */

function base64UrlJson(part: string): Record<string, unknown> {
  const base64 = part
    .replace(/-/g, '+')
    .replace(/_/g, '/')
    .padEnd(Math.ceil(part.length / 4) * 4, '=');
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  const value: unknown = JSON.parse(new TextDecoder().decode(bytes));
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error('not a JSON object');
  return value as Record<string, unknown>;
}

/** The protected header of a compact JWE (five parts), e.g. the wrapped content key in a license. */
export function decodeJweHeader(token: unknown): Record<string, unknown> | null {
  if (typeof token !== 'string') return null;
  const parts = token.split('.');
  if (parts.length !== 5) return null;
  try {
    return base64UrlJson(parts[0]!);
  } catch {
    return null;
  }
}

/** Seconds since the epoch (a JWT `iat`/`exp`) as an ISO time, for display. */
export const epochToIso = (value: unknown): string | null => (typeof value === 'number' ? new Date(value * 1000).toISOString() : null);
