import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { newId, unwrapContentKey, type Jwks } from '@tessera/protocol';
import { DeviceError, verifyLicenseForDevice, type LicenseVerificationOptions } from '../src/index.ts';
import { createTestAuthority, createTestDevice, issueTestLicense, nowSeconds, tamperPayload, tamperSignature } from './support/tokens.ts';

const ISSUER = 'https://licenses.example/t/store';
const authority = await createTestAuthority(ISSUER);
const device = await createTestDevice();
const contentId = newId('content');
const forDevice = { clientId: device.clientId, publicJwk: device.keys.publicJwk };

const options = (extra: Partial<LicenseVerificationOptions> = {}): LicenseVerificationOptions => ({
  issuer: ISSUER,
  authorityKeys: authority.jwks,
  clientId: device.clientId,
  contentId,
  ...extra,
});

async function refusal(promise: Promise<unknown>): Promise<DeviceError> {
  const error = await promise.then(
    () => assert.fail('the license was accepted'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof DeviceError, `expected a DeviceError, got ${String(error)}`);
  return error;
}

describe('verifying a license on the device', () => {
  it('accepts a license signed by its authority and addressed to it, and its content key unwraps with the device key', async () => {
    const contentKey = randomBytes(32);
    const token = await issueTestLicense(authority, { device: forDevice, contentId, contentKey });
    const verified = await verifyLicenseForDevice(token, options());
    assert.equal(verified.claims.sub, device.clientId);
    assert.equal(verified.claims.cid, contentId);
    assert.equal(verified.kid, authority.signing.kid);
    assert.equal(verified.playsLeft, null);
    assert.deepEqual(await unwrapContentKey(verified.claims.key, device.keys.privateJwk), new Uint8Array(contentKey));
  });

  it('refuses a license addressed to another device', async () => {
    const other = await createTestDevice();
    const token = await issueTestLicense(authority, { device: { clientId: other.clientId, publicJwk: other.keys.publicJwk }, contentId });
    const error = await refusal(verifyLicenseForDevice(token, options()));
    assert.equal(error.code, 'license_invalid');
    assert.equal(error.reason, 'wrong_device');
  });

  it('refuses a license for another content than the one asked for', async () => {
    const token = await issueTestLicense(authority, { device: forDevice, contentId: newId('content') });
    assert.equal((await refusal(verifyLicenseForDevice(token, options()))).reason, 'wrong_content');
  });

  it('refuses an expired license, beyond the 60 s clock skew', async () => {
    const token = await issueTestLicense(authority, { device: forDevice, contentId, overrides: { exp: nowSeconds() - 61 } });
    assert.equal((await refusal(verifyLicenseForDevice(token, options()))).reason, 'expired');
  });

  it('still accepts a license that expired less than 60 s ago (clock skew)', async () => {
    const token = await issueTestLicense(authority, { device: forDevice, contentId, overrides: { exp: nowSeconds() - 30 } });
    await verifyLicenseForDevice(token, options());
  });

  it('refuses a license that is not valid yet', async () => {
    const token = await issueTestLicense(authority, { device: forDevice, contentId, overrides: { nbf: nowSeconds() + 3600 } });
    assert.equal((await refusal(verifyLicenseForDevice(token, options()))).reason, 'not_yet_valid');
  });

  it('refuses a license whose signature was tampered with', async () => {
    const token = await issueTestLicense(authority, { device: forDevice, contentId });
    assert.equal((await refusal(verifyLicenseForDevice(tamperSignature(token), options()))).reason, 'signature');
  });

  it('refuses a license whose claims were edited after signing (more plays granted)', async () => {
    const token = await issueTestLicense(authority, { device: forDevice, contentId, overrides: { rights: { play: true, maxPlays: 1 } } });
    const edited = tamperPayload(token, (claims) => {
      claims.rights = { play: true, maxPlays: 1000 };
    });
    assert.equal((await refusal(verifyLicenseForDevice(edited, options()))).reason, 'signature');
  });

  it("refuses a license issued by another authority, even one signed with that authority's own key", async () => {
    const other = await createTestAuthority('https://other.example/t/shop');
    const token = await issueTestLicense(other, { device: forDevice, contentId });
    assert.equal((await refusal(verifyLicenseForDevice(token, options()))).reason, 'wrong_issuer');
  });

  it("refuses a license naming another issuer even when signed with this authority's key", async () => {
    const token = await issueTestLicense(authority, { device: forDevice, contentId, overrides: { iss: 'https://other.example/t/shop' } });
    assert.equal((await refusal(verifyLicenseForDevice(token, options()))).reason, 'wrong_issuer');
  });

  it("refuses a license signed with a key that is not among the authority's keys", async () => {
    const stranger = await createTestAuthority(ISSUER);
    const token = await issueTestLicense(authority, { device: forDevice, contentId, signWith: stranger.signing });
    const error = await refusal(verifyLicenseForDevice(token, options()));
    assert.equal(error.reason, 'unknown_key');
  });

  it('on an unknown kid refreshes the authority keys once and accepts a license signed with a rotated-in key', async () => {
    const rotated = await createTestAuthority(ISSUER);
    const token = await issueTestLicense(authority, { device: forDevice, contentId, signWith: rotated.signing });
    let refreshes = 0;
    const current: Jwks = { keys: [...authority.jwks.keys, ...rotated.jwks.keys] };
    const verified = await verifyLicenseForDevice(token, options({ refreshAuthorityKeys: async () => (refreshes++, current) }));
    assert.equal(verified.kid, rotated.signing.kid);
    assert.equal(refreshes, 1);
  });

  it('refreshes only once when the refreshed keys still do not know the kid', async () => {
    const stranger = await createTestAuthority(ISSUER);
    const token = await issueTestLicense(authority, { device: forDevice, contentId, signWith: stranger.signing });
    let refreshes = 0;
    const error = await refusal(verifyLicenseForDevice(token, options({ refreshAuthorityKeys: async () => (refreshes++, authority.jwks) })));
    assert.equal(error.reason, 'unknown_key');
    assert.equal(refreshes, 1);
  });

  it('does not refresh keys for a token claiming another issuer', async () => {
    const other = await createTestAuthority('https://other.example/t/shop');
    const token = await issueTestLicense(other, { device: forDevice, contentId });
    let refreshes = 0;
    await refusal(verifyLicenseForDevice(token, options({ refreshAuthorityKeys: async () => (refreshes++, authority.jwks) })));
    assert.equal(refreshes, 0);
  });

  it("never verifies a signature with the authority's encryption key", async () => {
    const token = await issueTestLicense(authority, {
      device: forDevice,
      contentId,
      signWith: { ...authority.encryption, privateJwk: { ...authority.encryption.privateJwk, kid: authority.encryption.kid } },
    });
    assert.equal((await refusal(verifyLicenseForDevice(token, options()))).reason, 'unknown_key');
  });

  it('refuses to play once the maximum number of plays is reached, and counts plays left before', async () => {
    const token = await issueTestLicense(authority, { device: forDevice, contentId, overrides: { rights: { play: true, maxPlays: 3 } } });
    assert.equal((await verifyLicenseForDevice(token, options({ playCount: 2 }))).playsLeft, 1);
    const error = await refusal(verifyLicenseForDevice(token, options({ playCount: 3 })));
    assert.equal(error.code, 'play_not_allowed');
    assert.equal(error.reason, 'play_limit_reached');
    // Storing a license is not playing it: the play count does not matter then.
    await verifyLicenseForDevice(token, options({ playCount: 3, purpose: 'store' }));
  });

  it('refuses to play after the right to play ended, or without the right to play', async () => {
    const ended = await issueTestLicense(authority, { device: forDevice, contentId, overrides: { rights: { play: true, notAfter: nowSeconds() - 1 } } });
    assert.equal((await refusal(verifyLicenseForDevice(ended, options()))).reason, 'rights_expired');
    const noPlay = await issueTestLicense(authority, { device: forDevice, contentId, overrides: { rights: { play: false } } });
    assert.equal((await refusal(verifyLicenseForDevice(noPlay, options()))).reason, 'not_playable');
  });

  it('refuses a token of another type (a copy certificate is not a license)', async () => {
    const token = await issueTestLicense(authority, { device: forDevice, contentId });
    const [, payload, signature] = token.split('.');
    const header = Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'tessera-copy-cert+jwt', kid: authority.signing.kid })).toString('base64url');
    assert.equal((await refusal(verifyLicenseForDevice(`${header}.${payload}.${signature}`, options()))).reason, 'malformed');
  });
});
