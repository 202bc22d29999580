import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { decodeJwsUnverified, newId, signJws, TOKEN_TYPES, unwrapContentKey } from '@tessera/protocol';
import { checkOutgoingCopyCertificate, DeviceError, verifyCopyCertificateForDevice, type CopyCertificateVerificationOptions } from '../src/index.ts';
import { createTestAuthority, createTestDevice, issueTestCopyCertificate, nowSeconds, tamperPayload, tamperSignature } from './support/tokens.ts';

const ISSUER = 'https://licenses.example/t/store';
const SOURCE_ISSUER = 'https://elsewhere.example/t/music';
const authority = await createTestAuthority(ISSUER);
const destination = await createTestDevice();
const contentId = newId('content');
const toDestination = { clientId: destination.clientId, publicJwk: destination.keys.publicJwk };

const options = (extra: Partial<CopyCertificateVerificationOptions> = {}): CopyCertificateVerificationOptions => ({
  issuer: ISSUER,
  authorityKeys: authority.jwks,
  clientId: destination.clientId,
  ...extra,
});

async function refusal(promise: Promise<unknown>): Promise<DeviceError> {
  const error = await promise.then(
    () => assert.fail('the copy certificate was accepted'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof DeviceError, `expected a DeviceError, got ${String(error)}`);
  assert.equal(error.code, 'copy_certificate_invalid');
  return error;
}

describe('verifying a copy certificate on the destination device', () => {
  it("accepts a certificate signed by the device's own authority, addressed to it, and yields the license it carries", async () => {
    const contentKey = randomBytes(32);
    const source = { iss: SOURCE_ISSUER, sub: newId('client'), lic: newId('license') };
    const { certificate, moveId } = await issueTestCopyCertificate(authority, { destination: toDestination, contentId, contentKey, source });
    const verified = await verifyCopyCertificateForDevice(certificate, options());
    assert.equal(verified.claims.move, moveId);
    assert.deepEqual(verified.claims.src, source);
    assert.equal(verified.license.claims.sub, destination.clientId);
    assert.equal(verified.license.claims.cid, contentId);
    assert.deepEqual(verified.license.claims.origin, { type: 'move', move: moveId });
    assert.deepEqual(await unwrapContentKey(verified.license.claims.key, destination.keys.privateJwk), new Uint8Array(contentKey));
  });

  it('refuses a certificate addressed to another device', async () => {
    const other = await createTestDevice();
    const { certificate } = await issueTestCopyCertificate(authority, {
      destination: { clientId: other.clientId, publicJwk: other.keys.publicJwk },
      contentId,
    });
    assert.equal((await refusal(verifyCopyCertificateForDevice(certificate, options()))).reason, 'wrong_device');
  });

  it('refuses a certificate addressed to a device of the same ID at another authority', async () => {
    const { certificate } = await issueTestCopyCertificate(authority, {
      destination: toDestination,
      contentId,
      overrides: { dst: { iss: 'https://other.example/t/shop', sub: destination.clientId } },
    });
    assert.equal((await refusal(verifyCopyCertificateForDevice(certificate, options()))).reason, 'wrong_device');
  });

  it('refuses an expired certificate', async () => {
    const { certificate } = await issueTestCopyCertificate(authority, {
      destination: toDestination,
      contentId,
      overrides: { iat: nowSeconds() - 7200, exp: nowSeconds() - 3600 },
    });
    assert.equal((await refusal(verifyCopyCertificateForDevice(certificate, options()))).reason, 'expired');
  });

  it("refuses a certificate signed with another authority's key (claim 3: only the destination's authority signs)", async () => {
    const other = await createTestAuthority('https://other.example/t/shop');
    // Claims this authority as issuer, but the signature is the other one's.
    const forged = await issueTestCopyCertificate(authority, { destination: toDestination, contentId, signWith: other.signing });
    assert.equal((await refusal(verifyCopyCertificateForDevice(forged.certificate, options()))).reason, 'unknown_key');
    // Honestly issued by the other authority: not the one this device registered with.
    const foreign = await issueTestCopyCertificate(other, { destination: toDestination, contentId });
    assert.equal((await refusal(verifyCopyCertificateForDevice(foreign.certificate, options()))).reason, 'wrong_issuer');
  });

  it('refuses a certificate whose signature was tampered with', async () => {
    const { certificate } = await issueTestCopyCertificate(authority, { destination: toDestination, contentId });
    assert.equal((await refusal(verifyCopyCertificateForDevice(tamperSignature(certificate), options()))).reason, 'signature');
  });

  it('refuses a certificate whose claims were edited after signing (a later expiry)', async () => {
    const { certificate } = await issueTestCopyCertificate(authority, { destination: toDestination, contentId });
    const edited = tamperPayload(certificate, (claims) => {
      claims.exp = nowSeconds() + 10 * 365 * 86400;
    });
    assert.equal((await refusal(verifyCopyCertificateForDevice(edited, options()))).reason, 'signature');
  });

  it('refuses a certificate whose embedded license is for another content', async () => {
    const { certificate } = await issueTestCopyCertificate(authority, { destination: toDestination, contentId, licenseOverrides: { cid: newId('content') } });
    assert.equal((await refusal(verifyCopyCertificateForDevice(certificate, options()))).reason, 'wrong_content');
  });

  it('refuses a certificate whose embedded license is for another device', async () => {
    const { certificate } = await issueTestCopyCertificate(authority, { destination: toDestination, contentId, licenseOverrides: { sub: newId('client') } });
    assert.equal((await refusal(verifyCopyCertificateForDevice(certificate, options()))).reason, 'wrong_device');
  });

  it('refuses a certificate whose embedded license was not issued by this move', async () => {
    const { certificate } = await issueTestCopyCertificate(authority, {
      destination: toDestination,
      contentId,
      licenseOverrides: { origin: { type: 'move', move: newId('move') } },
    });
    assert.equal((await refusal(verifyCopyCertificateForDevice(certificate, options()))).reason, 'wrong_move');
    const purchased = await issueTestCopyCertificate(authority, { destination: toDestination, contentId, licenseOverrides: { origin: { type: 'purchase' } } });
    assert.equal((await refusal(verifyCopyCertificateForDevice(purchased.certificate, options()))).reason, 'wrong_move');
  });

  it('refuses a certificate whose embedded license was tampered with', async () => {
    const { certificate, license } = await issueTestCopyCertificate(authority, { destination: toDestination, contentId });
    // A genuine certificate signature around a license whose signature is broken.
    const claims = decodeJwsUnverified(certificate).payload;
    const resigned = await signJws({ ...claims, license: tamperSignature(license) }, { typ: TOKEN_TYPES.copyCertificate, key: authority.signing.privateJwk });
    assert.equal((await refusal(verifyCopyCertificateForDevice(resigned, options()))).reason, 'signature');
  });

  it('refreshes the authority keys once for a certificate and its license signed with a rotated-in key', async () => {
    const rotated = await createTestAuthority(ISSUER);
    const rotatedAuthority = { ...authority, signing: rotated.signing };
    const { certificate } = await issueTestCopyCertificate(rotatedAuthority, { destination: toDestination, contentId });
    let refreshes = 0;
    const verified = await verifyCopyCertificateForDevice(
      certificate,
      options({ refreshAuthorityKeys: async () => (refreshes++, { keys: [...authority.jwks.keys, ...rotated.jwks.keys] }) }),
    );
    assert.equal(verified.kid, rotated.signing.kid);
    assert.equal(verified.license.kid, rotated.signing.kid);
    assert.equal(refreshes, 1);
  });
});

describe("the source device's check of the certificate it is handed", () => {
  const source = { iss: ISSUER, sub: newId('client'), lic: newId('license') };

  it('accepts the certificate of this very move, verified with the destination authority keys', async () => {
    const { certificate, moveId } = await issueTestCopyCertificate(authority, { destination: toDestination, contentId, source });
    const checked = await checkOutgoingCopyCertificate(
      certificate,
      { moveId, contentId, source, destination: { iss: ISSUER, sub: destination.clientId } },
      { authorityKeys: authority.jwks },
    );
    assert.equal(checked.signatureVerified, true);
  });

  it('checks the structure only when the destination authority keys are not at hand', async () => {
    const { certificate, moveId } = await issueTestCopyCertificate(authority, { destination: toDestination, contentId, source });
    const checked = await checkOutgoingCopyCertificate(
      certificate,
      { moveId, contentId, source, destination: { iss: ISSUER, sub: destination.clientId } },
      null,
    );
    assert.equal(checked.signatureVerified, false);
  });

  it('refuses a certificate for another license, destination or move', async () => {
    const { certificate, moveId } = await issueTestCopyCertificate(authority, { destination: toDestination, contentId, source });
    const expected = { moveId, contentId, source, destination: { iss: ISSUER, sub: destination.clientId } };
    const keys = { authorityKeys: authority.jwks };
    assert.equal(
      (await refusal(checkOutgoingCopyCertificate(certificate, { ...expected, source: { ...source, lic: newId('license') } }, keys))).reason,
      'wrong_device',
    );
    assert.equal(
      (await refusal(checkOutgoingCopyCertificate(certificate, { ...expected, destination: { iss: ISSUER, sub: newId('client') } }, keys))).reason,
      'wrong_device',
    );
    assert.equal((await refusal(checkOutgoingCopyCertificate(certificate, { ...expected, moveId: newId('move') }, null))).reason, 'wrong_move');
    assert.equal((await refusal(checkOutgoingCopyCertificate(tamperSignature(certificate), expected, keys))).reason, 'signature');
  });

  it("refuses a certificate not signed by the destination's authority", async () => {
    const { certificate, moveId } = await issueTestCopyCertificate(authority, { destination: toDestination, contentId, source });
    const error = await refusal(
      checkOutgoingCopyCertificate(
        certificate,
        { moveId, contentId, source, destination: { iss: 'https://other.example/t/shop', sub: destination.clientId } },
        null,
      ),
    );
    assert.equal(error.reason, 'wrong_issuer');
  });
});
