import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { clientCertificateClaimsSchema, decodeJwsUnverified, licenseClaimsSchema, TesseraProblem, TOKEN_TYPES, verifyJws, type Jwks } from '@tessera/protocol';
import type { AuthorityRef } from '../../src/authorities/authority-directory.ts';
import { revokeAuthorityKey, rotateAuthorityKeys } from '../../src/keys/manage-keys.ts';
import { startHarness, type Harness, type TestDevice } from '../support/harness.ts';
import { addContent, registeredDevice } from '../licenses/license-fixtures.ts';
import { assertOneActiveAndOneNextPerUse, publishedKeys, TEST_ACTOR } from './key-fixtures.ts';

/** Verifies a token as a device does: with a key set it holds, selecting a signing key by kid. */
const resolveIn = (keys: Jwks) => (header: { kid?: string }) => keys.keys.find((k) => k.kid === header.kid && k.use === 'sig') ?? null;
const verifyLicenseWith = (keys: Jwks, token: string) =>
  verifyJws(token, { typ: TOKEN_TYPES.license, schema: licenseClaimsSchema, problem: 'invalid_request', resolveKey: resolveIn(keys) });
const verifyCertificateWith = (keys: Jwks, token: string) =>
  verifyJws(token, { typ: TOKEN_TYPES.clientCertificate, schema: clientCertificateClaimsSchema, problem: 'invalid_request', resolveKey: resolveIn(keys) });

const kidOf = (token: string) => String(decodeJwsUnverified(token).header.kid);

describe('tokens across a key rotation', () => {
  let h: Harness;
  let aurora: { id: string; slug: string; issuer: string };
  let ref: AuthorityRef;
  let alice: { id: string; username: string; password: string };

  const buyLicense = async (device: TestDevice) => {
    const content = await addContent(h, aurora.id);
    const res = await device.call('POST', '/licenses', { contentId: content.id });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.token as string;
  };

  before(async () => {
    h = await startHarness();
    aurora = await h.authority({ slug: 'aurora', prices: { license: 299 } });
    ref = await h.server.ctx.authorities.bySlug('aurora');
    alice = await h.user(aurora.id, 'alice');
  });
  after(() => h.close());

  test('a license and a client certificate issued before a rotation still verify after it: the retired key stays published', async () => {
    const phone = await registeredDevice(h, 'aurora', alice, 'phone');
    const license = await buyLicense(phone);
    const before = await assertOneActiveAndOneNextPerUse(h, aurora.id);
    assert.equal(kidOf(license), before.sig.active);

    await rotateAuthorityKeys(h.server.ctx, ref, TEST_ACTOR, 'both');
    const published = await publishedKeys(h, 'aurora');
    await verifyLicenseWith(published, license);
    await verifyCertificateWith(published, phone.registration!.clientCertificate);
  });

  test('a license issued after a rotation verifies on a device registered before it, with the keys it got at registration', async () => {
    const tablet = await registeredDevice(h, 'aurora', alice, 'tablet');
    const atRegistration = tablet.registration!.authorityKeys;
    const before = await assertOneActiveAndOneNextPerUse(h, aurora.id);
    assert.ok(
      atRegistration.keys.some((k) => k.kid === before.sig.next),
      'the next key comes with the registration',
    );

    await rotateAuthorityKeys(h.server.ctx, ref, TEST_ACTOR, 'sig');
    const license = await buyLicense(tablet);
    assert.equal(kidOf(license), before.sig.next, 'this instance signs with the new key at once');
    const { payload } = await verifyLicenseWith(atRegistration, license);
    assert.equal(payload.sub, tablet.clientId);
  });

  test('after two rotations a device registered before needs the published key set once: jwks.json has the new key', async () => {
    const reader = await registeredDevice(h, 'aurora', alice, 'reader');
    const atRegistration = reader.registration!.authorityKeys;
    await rotateAuthorityKeys(h.server.ctx, ref, TEST_ACTOR, 'sig');
    await rotateAuthorityKeys(h.server.ctx, ref, TEST_ACTOR, 'sig');
    const license = await buyLicense(reader);
    await assert.rejects(verifyLicenseWith(atRegistration, license), (e: TesseraProblem) => /unknown signing key/.test(e.detail ?? ''));
    await verifyLicenseWith(await publishedKeys(h, 'aurora'), license);
  });

  test('a license signed by a key that is later revoked no longer verifies against the published keys', async () => {
    const watch = await registeredDevice(h, 'aurora', alice, 'watch');
    const license = await buyLicense(watch);
    await rotateAuthorityKeys(h.server.ctx, ref, TEST_ACTOR, 'sig');
    await revokeAuthorityKey(h.server.ctx, ref, TEST_ACTOR, kidOf(license));
    await assert.rejects(verifyLicenseWith(await publishedKeys(h, 'aurora'), license), TesseraProblem);
  });
});
