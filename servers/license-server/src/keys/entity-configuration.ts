import {
  ENTITY_CONFIGURATION_TTL_SECONDS,
  FEDERATION_ENDPOINT_PATH,
  entityConfigurationClaimsSchema,
  signJws,
  SUPPORTED_PROTOCOL_VERSIONS,
  TOKEN_TYPES,
} from '@tessera/protocol';
import type { AuthorityRef } from '../authorities/authority-directory.ts';
import { findAuthority } from '../authorities/authority-queries.ts';
import type { AppContext } from '../context.ts';

/**
 * The authority's entity configuration (DESIGN §3): who it is, where its endpoints are and
 * every key it publishes, signed by its active signing key (kid = RFC 7638 thumbprint). Peers
 * pin that thumbprint when they add the authority and follow rotations through `next` keys.
 */
export async function signEntityConfiguration(ctx: AppContext, authority: AuthorityRef): Promise<string> {
  const row = await findAuthority(ctx.db, authority.id);
  // One snapshot: the kids named active must be the ones in this very key set, even mid-rotation.
  const { signing, encryption, jwks } = await ctx.keyring.snapshot(authority.id);
  if (!signing || !encryption) throw new Error(`authority ${authority.id} has no active signing or encryption key`);
  const iat = Math.floor(Date.now() / 1000);
  const claims = entityConfigurationClaimsSchema.parse({
    iss: authority.issuer,
    sub: authority.issuer,
    iat,
    exp: iat + ENTITY_CONFIGURATION_TTL_SECONDS,
    name: row?.name ?? authority.slug,
    operator: row?.operator ?? null,
    jwks,
    activeKeys: { sig: signing.kid, enc: encryption.kid },
    endpoints: { federation: `${authority.issuer}${FEDERATION_ENDPOINT_PATH}`, jwks: `${authority.issuer}/jwks.json`, devices: `${authority.issuer}/devices` },
    versions: [...SUPPORTED_PROTOCOL_VERSIONS],
  });
  return signJws(claims, { typ: TOKEN_TYPES.entityConfiguration, key: signing.key, kid: signing.kid });
}
