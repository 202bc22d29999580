import { z } from 'zod';

/*
 * Issuers are compared and stored as strings (token claims, peer rows, account links), so one
 * authority must have one spelling. Its canonical form: an http(s) URL with the scheme and host
 * lower-cased, no default port, no user information, no query or fragment, and no trailing
 * slash. The WHATWG URL parser does the lower-casing, the port and the dot segments.
 */

export const ISSUER_MAX_LENGTH = 512;

export class IssuerError extends Error {
  override name = 'IssuerError';
}

/** The canonical form of an issuer URL (or of a server's base URL); throws IssuerError with the reason. */
export function canonicalIssuer(input: string): string {
  let url: URL;
  try {
    url = new URL(input.trim());
  } catch {
    throw new IssuerError('must be an absolute http(s) URL such as https://licenses.example/t/store');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new IssuerError(`must use http or https, not ${url.protocol.replace(/:$/, '')}`);
  if (url.username || url.password) throw new IssuerError('must not carry a user name or password');
  if (url.search || url.hash || /[?#]/.test(input)) throw new IssuerError('must not have a query or a fragment');
  const canonical = `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
  if (canonical.length > ISSUER_MAX_LENGTH) throw new IssuerError(`must be at most ${ISSUER_MAX_LENGTH} characters`);
  return canonical;
}

export const isCanonicalIssuer = (value: string): boolean => {
  try {
    return canonicalIssuer(value) === value;
  } catch {
    return false;
  }
};

const parseIssuer = (value: string, ctx: z.RefinementCtx): string => {
  try {
    return canonicalIssuer(value);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: error instanceof IssuerError ? error.message : 'not an issuer URL' });
    return z.NEVER;
  }
};

/**
 * An issuer named in a request (a body, a query, a command-line option): any spelling of it is
 * accepted and turned into the canonical form, so `HTTPS://Licenses.Example/t/store/` and
 * `https://licenses.example/t/store` name the same authority.
 */
export const issuerInputSchema = z
  .string()
  .max(ISSUER_MAX_LENGTH * 2)
  .transform(parseIssuer)
  .meta({ format: 'uri', description: 'An issuer URL in any spelling; the server takes its canonical form (SPEC §1.3).' });

/**
 * An issuer inside a signed token or an answer: it must already be canonical. A signer that
 * spells itself otherwise is refused rather than silently rewritten, since what was signed is
 * what is compared.
 */
export const issuerUrlSchema = z
  .string()
  .max(ISSUER_MAX_LENGTH)
  .refine(isCanonicalIssuer, {
    message: 'must be a canonical issuer URL (http(s), lower-case scheme and host, no default port, no query, fragment or trailing slash)',
  })
  .meta({ format: 'uri', description: 'An issuer URL in its canonical form (SPEC §1.3).' });
