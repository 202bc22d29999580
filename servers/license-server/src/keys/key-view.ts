import type { authorityKeySchema } from '@tessera/protocol';
import type { z } from 'zod';
import type { AuthorityKeyRow } from './key-queries.ts';

/** A key as the admin API shows it: public half only, never the sealed private key. */
export function toAuthorityKey(row: AuthorityKeyRow): z.input<typeof authorityKeySchema> {
  return {
    kid: row.kid,
    use: row.use,
    status: row.status,
    publicKey: { kty: 'EC', crv: 'P-256', x: row.publicJwk.x, y: row.publicJwk.y },
    createdAt: row.createdAt.toISOString(),
    activatedAt: row.activatedAt?.toISOString() ?? null,
    retiredAt: row.retiredAt?.toISOString() ?? null,
  };
}
