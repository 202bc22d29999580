import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  decodeJwsUnverified,
  ENTITY_CONFIGURATION_TTL_SECONDS,
  entityConfigurationClaimsSchema,
  jwkThumbprint,
  SUPPORTED_PROTOCOL_VERSIONS,
  TesseraProblem,
  TOKEN_TYPES,
  verifyJws,
} from '@tessera/protocol';
import { verifyEntityConfiguration } from '../../src/federation/remote-configuration.ts';
import { signEntityConfiguration } from '../../src/keys/entity-configuration.ts';
import { revokeAuthorityKey, rotateAuthorityKeys } from '../../src/keys/manage-keys.ts';
import { expectProblem, startHarness, type Harness } from '../support/harness.ts';
import { assertOneActiveAndOneNextPerUse, kidsOf, publishedKeys, storedKeys, TEST_ACTOR } from './key-fixtures.ts';

describe("an authority's entity configuration (<issuer>/.well-known/tessera-authority)", () => {
  let h: Harness;
  let aurora: { id: string; slug: string; issuer: string };

  const fetchConfiguration = async () => {
    const res = await h
      .request()
      .get('/t/aurora/.well-known/tessera-authority')
      .buffer(true)
      .parse((r, cb) => {
        let text = '';
        r.setEncoding('utf8');
        r.on('data', (chunk: string) => (text += chunk));
        r.on('end', () => cb(null, text));
      });
    assert.equal(res.status, 200);
    return { res, token: res.body as string };
  };

  before(async () => {
    h = await startHarness();
    aurora = await h.authority({ slug: 'aurora', name: 'Aurora Media', operator: 'Aurora Media Ltd' });
  });
  after(() => h.close());

  test('it is a tessera-entity+jwt signed by the active signing key, and its kid is that key’s RFC 7638 thumbprint', async () => {
    const { res, token } = await fetchConfiguration();
    assert.match(String(res.headers['content-type']), /^application\/tessera-entity\+jwt/);
    assert.equal(res.headers['cache-control'], 'public, max-age=60');

    const { header, payload } = decodeJwsUnverified(token);
    assert.equal(header.typ, TOKEN_TYPES.entityConfiguration);
    assert.equal(header.alg, 'ES256');
    const keys = await assertOneActiveAndOneNextPerUse(h, aurora.id);
    assert.equal(header.kid, keys.sig.active);
    const signingJwk = (payload.jwks as { keys: { kid: string }[] }).keys.find((k) => k.kid === header.kid)!;
    assert.equal(await jwkThumbprint(signingJwk as never), header.kid, 'kid = thumbprint of the key that signs');

    // It verifies with that key alone, as a peer pinning the thumbprint would verify it.
    const verified = await verifyJws(token, {
      typ: TOKEN_TYPES.entityConfiguration,
      schema: entityConfigurationClaimsSchema,
      problem: 'invalid_request',
      resolveKey: (hdr) => (hdr.kid === keys.sig.active ? (signingJwk as never) : null),
    });
    assert.deepEqual(verified.payload.activeKeys, { sig: keys.sig.active, enc: keys.enc.active });
    const checked = await verifyEntityConfiguration(token, aurora.issuer);
    assert.equal(checked.signedBy, keys.sig.active);
  });

  test('it names the authority, its endpoints and protocol versions, and every published key', async () => {
    const { token } = await fetchConfiguration();
    const claims = entityConfigurationClaimsSchema.parse(decodeJwsUnverified(token).payload);
    assert.equal(claims.iss, aurora.issuer);
    assert.equal(claims.sub, aurora.issuer);
    assert.equal(claims.name, 'Aurora Media');
    assert.equal(claims.operator, 'Aurora Media Ltd');
    assert.equal(claims.exp, claims.iat + ENTITY_CONFIGURATION_TTL_SECONDS);
    assert.ok(Math.abs(claims.iat - Date.now() / 1000) < 60, `the configuration is issued now: iat ${claims.iat}`);
    assert.deepEqual(claims.endpoints, {
      federation: `${aurora.issuer}/federation`,
      jwks: `${aurora.issuer}/jwks.json`,
      devices: `${aurora.issuer}/devices`,
    });
    assert.deepEqual(claims.versions, [...SUPPORTED_PROTOCOL_VERSIONS]);
    const jwks = await publishedKeys(h, 'aurora');
    assert.deepEqual(claims.jwks.keys.map((k) => k.kid).sort(), jwks.keys.map((k) => k.kid).sort(), 'the same keys as jwks.json');
    for (const k of claims.jwks.keys) assert.equal((k as Record<string, unknown>).d, undefined);

    // The federation code reuses the same signer.
    const direct = entityConfigurationClaimsSchema.parse(
      decodeJwsUnverified(await signEntityConfiguration(h.server.ctx, await h.server.ctx.authorities.bySlug('aurora'))).payload,
    );
    assert.deepEqual({ ...direct, iat: 0, exp: 0 }, { ...claims, iat: 0, exp: 0 });
  });

  test('a verifier refuses it once its exp has passed', async () => {
    const { token } = await fetchConfiguration();
    const { exp } = entityConfigurationClaimsSchema.parse(decodeJwsUnverified(token).payload);
    await verifyEntityConfiguration(token, aurora.issuer, (exp - 1) * 1000);
    await assert.rejects(
      verifyEntityConfiguration(token, aurora.issuer, exp * 1000),
      (e: TesseraProblem) => e instanceof TesseraProblem && /expired/.test(e.detail ?? ''),
    );
  });

  test('after a rotation it is signed by the key it announced as next, lists the retired key, and drops a revoked one', async () => {
    const before = await assertOneActiveAndOneNextPerUse(h, aurora.id);
    const ref = await h.server.ctx.authorities.bySlug('aurora');
    await rotateAuthorityKeys(h.server.ctx, ref, TEST_ACTOR, 'both');
    const { token } = await fetchConfiguration();
    const { header, payload } = decodeJwsUnverified(token);
    assert.equal(header.kid, before.sig.next, 'a peer already holding the announced next key trusts the new signer');
    const kids = (payload.jwks as { keys: { kid: string }[] }).keys.map((k) => k.kid);
    assert.ok(kids.includes(before.sig.active), 'the retired key stays listed');
    assert.deepEqual(payload.activeKeys, { sig: before.sig.next, enc: before.enc.next });

    const retired = kidsOf(await storedKeys(h, aurora.id), 'sig', 'retired')[0]!;
    await revokeAuthorityKey(h.server.ctx, ref, TEST_ACTOR, retired);
    const afterRevoke = decodeJwsUnverified((await fetchConfiguration()).token).payload;
    assert.ok(!(afterRevoke.jwks as { keys: { kid: string }[] }).keys.some((k) => k.kid === retired), 'a revoked key is withdrawn');
  });

  test('an unknown authority has no entity configuration', async () => {
    expectProblem(await h.request().get('/t/nowhere/.well-known/tessera-authority'), 404, 'authority_unknown');
  });
});
