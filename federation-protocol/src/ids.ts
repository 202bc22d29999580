import { randomBytes } from 'node:crypto';

/**
 * Prefixed identifiers make logs and support tickets readable: a `lic_…` is a
 * license wherever it shows up. 120 random bits, base64url.
 */
export const idPrefixes = {
  user: 'usr',
  client: 'cli',
  content: 'cnt',
  license: 'lic',
  move: 'mov',
  ledgerEntry: 'led',
  invoice: 'inv',
  download: 'dl',
  authority: 'ath',
  admin: 'adm',
  key: 'key',
  certificate: 'crt',
  audit: 'aud',
  peer: 'per',
  link: 'lnk',
} as const;

export type IdKind = keyof typeof idPrefixes;

export const newId = (kind: IdKind): string => `${idPrefixes[kind]}_${randomBytes(15).toString('base64url')}`;

export const idPattern = (kind: IdKind): RegExp => new RegExp(`^${idPrefixes[kind]}_[A-Za-z0-9_-]{20}$`);
