import { decodeJwt } from 'jose';
import {
  ENTITY_CONFIGURATION_PATH,
  entityConfigurationClaimsSchema,
  jwkThumbprint,
  TesseraProblem,
  TOKEN_TYPES,
  verifyJws,
  type EntityConfigurationClaims,
  type PublicEcJwk,
} from '@tessera/protocol';

import { OutboundRefused, outboundRequest, type OutboundConfig } from './outbound-http.ts';

export interface VerifiedConfiguration {
  claims: EntityConfigurationClaims;
  /** The kid (= RFC 7638 thumbprint) of the key that signed the configuration. */
  signedBy: string;
}

/**
 * Fetches `<issuer>/.well-known/tessera-authority` and verifies it against its own key set.
 * That only proves the configuration is self-consistent; whether the signing key is trusted is
 * the caller's decision (the pinned thumbprint when peering, a trusted key when refreshing).
 * The fetch goes through the outbound policy (address, timeout, size); a refused address is
 * `peer_address_refused`, anything else that keeps the configuration from arriving `peer_unreachable`.
 */
export async function fetchEntityConfiguration(issuer: string, config: OutboundConfig, now = Date.now()): Promise<VerifiedConfiguration> {
  let token: string;
  try {
    const res = await outboundRequest(config, `${issuer}${ENTITY_CONFIGURATION_PATH}`);
    if (res.status !== 200) throw new TesseraProblem('peer_unreachable', `${issuer}${ENTITY_CONFIGURATION_PATH} answered HTTP ${res.status}`);
    token = res.text.trim();
  } catch (error) {
    if (error instanceof TesseraProblem) throw error;
    if (error instanceof OutboundRefused) throw new TesseraProblem('peer_address_refused', error.message);
    throw new TesseraProblem('peer_unreachable', `cannot fetch the entity configuration of ${issuer}: ${(error as Error).message}`);
  }
  return verifyEntityConfiguration(token, issuer, now);
}

/** Verifies an entity configuration token for `issuer` (signature, thumbprint, times). */
export async function verifyEntityConfiguration(token: string, issuer: string, now = Date.now()): Promise<VerifiedConfiguration> {
  let signingJwk: PublicEcJwk | undefined;
  const { payload, header } = await verifyJws(token, {
    typ: TOKEN_TYPES.entityConfiguration,
    schema: entityConfigurationClaimsSchema,
    problem: 'peer_unreachable',
    resolveKey: (h) => {
      // The configuration is self-signed: the key comes from its own payload, and its kid must
      // be that key's thumbprint, so a pinned thumbprint names exactly one key.
      let claims: { jwks?: { keys?: PublicEcJwk[] } };
      try {
        claims = decodeJwt(token);
      } catch {
        return null;
      }
      signingJwk = claims.jwks?.keys?.find((k) => k.kid === h.kid && (k.use === undefined || k.use === 'sig'));
      return signingJwk ?? null;
    },
  });
  const kid = String(header.kid);
  if ((await jwkThumbprint(signingJwk!)) !== kid)
    throw new TesseraProblem('peer_unreachable', `the configuration's kid ${kid} is not the thumbprint of its key`);
  if (payload.iss !== issuer) throw new TesseraProblem('peer_unreachable', `the configuration at ${issuer} names itself ${payload.iss}`);
  const seconds = Math.floor(now / 1000);
  if (payload.exp <= seconds) throw new TesseraProblem('peer_unreachable', `the entity configuration of ${issuer} has expired`);
  if (payload.iat > seconds + 300) throw new TesseraProblem('peer_unreachable', `the entity configuration of ${issuer} is dated in the future`);
  if (payload.activeKeys.sig !== kid) throw new TesseraProblem('peer_unreachable', 'the configuration is not signed by the key it names as active');
  const enc = payload.jwks.keys.find((k) => k.kid === payload.activeKeys.enc);
  if (!enc || (enc.use !== undefined && enc.use !== 'enc'))
    throw new TesseraProblem('peer_unreachable', 'the configuration names no published encryption key as active');
  return { claims: payload, signedBy: kid };
}
