import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { and, eq } from 'drizzle-orm';
import {
  copyCertificateResponseSchema,
  decodeJwsUnverified,
  ENVELOPE_MAX_LIFETIME_SECONDS,
  FEDERATION_MEDIA_TYPE,
  PROTOCOL_VERSION,
  signJws,
  TOKEN_TYPES,
  wrapContentKey,
  type CopyCertificateRequest,
  type EnvelopeClaims,
} from '@tessera/protocol';
import type { AuthorityRef } from '../../src/authorities/authority-directory.ts';
import { openEnvelope, sealEnvelope } from '../../src/federation/envelope.ts';
import { findPeerByIssuer, trustedKeysOf } from '../../src/federation/peers.ts';
import type { StoredCopyRequest } from '../../src/moves/cross-authority-move.ts';
import { ledgerEntries, licenses, moves } from '../../src/storage/schema.ts';
import { addContent, type TestContent } from '../licenses/license-fixtures.ts';
import { testEngine, type TestDevice } from '../support/harness.ts';
import { link, registered, startFederation, type Federation, type Side } from './federation-fixtures.ts';

/*
 * The federation endpoint as a hostile network sees it (DESIGN §5, §7): every envelope that is
 * not a fresh, signed, well-addressed message from an active peer is refused with a plain
 * problem document — the caller is not authenticated, so nothing it could act on is signed —
 * while a peer's request the endpoint cannot serve gets a signed refusal bound to it.
 * Nothing here may ever answer with a 5xx.
 */

const PROBLEM_MEDIA_TYPE = 'application/problem+json';

interface Answer {
  status: number;
  contentType: string;
  text: string;
}

describe(`the federation endpoint (${testEngine()})`, () => {
  let f: Federation;
  let aurora: AuthorityRef;
  let phone: TestDevice;
  let tablet: TestDevice;
  let endpoint: string;

  before(async () => {
    f = await startFederation();
    aurora = await f.a.h.server.ctx.authorities.bySlug('aurora');
    phone = await registered(f.a, 'phone');
    tablet = await registered(f.b, 'tablet');
    await link(phone, f.a, tablet, f.b);
    endpoint = `${f.b.authority.issuer}/federation`;
  });
  after(() => f.close());

  async function post(body: string | Buffer, contentType: string = FEDERATION_MEDIA_TYPE): Promise<Answer> {
    const res = await fetch(endpoint, { method: 'POST', headers: { 'content-type': contentType }, body });
    return { status: res.status, contentType: res.headers.get('content-type') ?? '', text: await res.text() };
  }

  /** An unsigned refusal: problem+json with the stable code, never a 5xx. */
  function expectRefusal(answer: Answer, status: number, code: string): void {
    assert.ok(answer.status < 500, `never a 5xx: ${answer.status} ${answer.text}`);
    assert.ok(answer.contentType.startsWith(PROBLEM_MEDIA_TYPE), `expected problem+json, got ${answer.contentType}: ${answer.text}`);
    const doc = JSON.parse(answer.text) as { code: string; type: string; status: number };
    assert.equal(doc.code, code, answer.text);
    assert.equal(doc.type, `urn:tessera:problem:${code}`);
    assert.equal(answer.status, status, answer.text);
    assert.equal(doc.status, status);
  }

  /** A signed answer, opened as aurora opens it: signed by borealis, addressed to aurora, bound to the request. */
  async function expectSigned(answer: Answer, requestJti: string): Promise<EnvelopeClaims> {
    assert.ok(answer.status < 500, `never a 5xx: ${answer.status} ${answer.text}`);
    assert.ok(answer.contentType.startsWith(FEDERATION_MEDIA_TYPE), `expected a signed envelope, got ${answer.contentType}: ${answer.text}`);
    const { claims } = await openEnvelope(f.a.h.server.ctx, aurora, answer.text, { expectIssuer: f.b.authority.issuer, replayCheck: false });
    assert.equal(claims.iss, f.b.authority.issuer);
    assert.equal(claims.aud, aurora.issuer);
    assert.equal(claims.re, requestJti, 'the answer names the request it answers');
    return claims;
  }

  /** An envelope signed with aurora's real key, with claims the test chooses. */
  async function forged(claims: Partial<EnvelopeClaims>): Promise<string> {
    const key = await f.a.h.server.ctx.keyring.signingKey(aurora.id);
    const iat = Math.floor(Date.now() / 1000);
    const base: EnvelopeClaims = {
      iss: aurora.issuer,
      aud: f.b.authority.issuer,
      iat,
      exp: iat + 60,
      jti: `t${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`,
      ver: PROTOCOL_VERSION,
      msg: 'ping',
      body: {},
    };
    return signJws({ ...base, ...claims }, { typ: TOKEN_TYPES.federationEnvelope, key: key.key, kid: key.kid });
  }

  const seal = (msg: string, body: object, audience = f.b.authority.issuer, from: AuthorityRef = aurora) =>
    sealEnvelope(f.a.h.server.ctx, from, audience, msg, body);

  test('a valid ping gets a pong signed by the callee, addressed to the caller and bound to the ping', async () => {
    const { token, jti } = await seal('ping', {});
    const answer = await post(token);
    assert.equal(answer.status, 200, answer.text);
    const claims = await expectSigned(answer, jti);
    assert.equal(claims.msg, 'pong');
    assert.equal(claims.ver, PROTOCOL_VERSION);
    assert.deepEqual(claims.body, { versions: [PROTOCOL_VERSION] });
  });

  test('an envelope this server seals lives as long as SPEC §10.4 says this implementation uses, within its bound', async () => {
    const spec = readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../federation-protocol/SPEC.md'), 'utf8');
    const stated = /`0 < exp − iat ≤ (\d+)` \(this implementation uses (\d+)\)/.exec(spec);
    assert.ok(stated, 'SPEC §10.4 states the bound of an envelope lifetime and the lifetime this server uses');
    assert.equal(Number(stated[1]), ENVELOPE_MAX_LIFETIME_SECONDS, 'the protocol package enforces the bound SPEC states');
    const claims = decodeJwsUnverified((await seal('ping', {})).token).payload;
    assert.equal(Number(claims.exp) - Number(claims.iat), Number(stated[2]), 'the lifetime SPEC names');
  });

  test('an envelope received twice is refused the second time as replayed', async () => {
    const { token, jti } = await seal('ping', {});
    await expectSigned(await post(token), jti);
    expectRefusal(await post(token), 401, 'envelope_replayed');
  });

  test('an envelope whose payload or signature was altered does not verify', async () => {
    const { token } = await seal('ping', {});
    const [header, payload, signature] = token.split('.') as [string, string, string];
    // The payload re-encoded with one claim changed, under the original signature.
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as EnvelopeClaims;
    const altered = Buffer.from(JSON.stringify({ ...claims, msg: 'ping', body: { extra: 1 } })).toString('base64url');
    expectRefusal(await post(`${header}.${altered}.${signature}`), 401, 'envelope_invalid');
    // One byte of the signature flipped.
    const sig = Buffer.from(signature, 'base64url');
    sig[10] = sig[10]! ^ 0x01;
    expectRefusal(await post(`${header}.${payload}.${sig.toString('base64url')}`), 401, 'envelope_invalid');
    // The untouched envelope is still good: the refusals did not burn its jti.
    assert.equal((await post(token)).status, 200);
  });

  test('an envelope addressed to another authority is refused as misaddressed', async () => {
    const { token } = await seal('ping', {}, aurora.issuer);
    expectRefusal(await post(token), 401, 'envelope_misaddressed');
  });

  test('an envelope outside its time window (expired, or dated in the future beyond the skew) is refused', async () => {
    const now = Math.floor(Date.now() / 1000);
    expectRefusal(await post(await forged({ iat: now - 400, exp: now - 340 })), 401, 'envelope_expired');
    expectRefusal(await post(await forged({ iat: now + 400, exp: now + 460 })), 401, 'envelope_expired');
    // Within the accepted skew, it is fine.
    assert.equal((await post(await forged({ iat: now - 90, exp: now - 30 }))).status, 200);
  });

  test('an envelope from an authority that is not a peer is refused as untrusted', async () => {
    // Cygnus lives on aurora's server with its own keys, but borealis never peered with it.
    const cygnus = await f.a.h.authority({ slug: 'cygnus' });
    const { token } = await seal('ping', {}, f.b.authority.issuer, cygnus);
    expectRefusal(await post(token), 403, 'peer_untrusted');
  });

  test("a suspended peer's envelopes are refused until it is resumed", async () => {
    const peers = await f.b.admin.get('/admin/authorities/borealis/peers').expect(200);
    const peerId = peers.body.items.find((p: { issuer: string }) => p.issuer === aurora.issuer).id as string;
    await f.b.admin.post(`/admin/authorities/borealis/peers/${peerId}/suspend`).expect(200);
    try {
      expectRefusal(await post((await seal('ping', {})).token), 403, 'peer_suspended');
    } finally {
      await f.b.admin.post(`/admin/authorities/borealis/peers/${peerId}/resume`).expect(200);
    }
    assert.equal((await post((await seal('ping', {})).token)).status, 200);
  });

  test('an unknown protocol version is refused with unsupported_version', async () => {
    expectRefusal(await post(await forged({ ver: 'tessera/9' })), 400, 'unsupported_version');
  });

  test('an unknown message type from a peer gets a signed unsupported_message refusal', async () => {
    const { token, jti } = await seal('inventory.request', { everything: true });
    const answer = await post(token);
    assert.equal(answer.status, 400, answer.text);
    const claims = await expectSigned(answer, jti);
    assert.equal(claims.msg, 'problem');
    assert.equal(claims.body.code, 'unsupported_message');
    assert.match(String(claims.body.detail), /inventory\.request/);
  });

  test('a body of another media type is refused with unsupported_media_type', async () => {
    const { token } = await seal('ping', {});
    expectRefusal(await post(token, 'text/plain'), 415, 'unsupported_media_type');
    expectRefusal(await post(JSON.stringify({ envelope: token }), 'application/json'), 415, 'unsupported_media_type');
  });

  test('an oversized body is refused with payload_too_large', async () => {
    expectRefusal(await post(Buffer.alloc(200 * 1024, 'a')), 413, 'payload_too_large');
  });

  test('a body that is not a compact JWS is refused as an invalid envelope', async () => {
    expectRefusal(await post('not a jws at all'), 401, 'envelope_invalid');
    expectRefusal(await post('one.two'), 401, 'envelope_invalid');
    expectRefusal(await post(`${Buffer.from('{"alg":"ES256"}').toString('base64url')}.bm90IGpzb24.c2ln`), 401, 'envelope_invalid');
    expectRefusal(await post(''), 401, 'envelope_invalid');
    // A JWS of another type, signed by a trusted key, is not an envelope either.
    const key = await f.a.h.server.ctx.keyring.signingKey(aurora.id);
    const now = Math.floor(Date.now() / 1000);
    const wrongType = await signJws(
      { iss: aurora.issuer, aud: f.b.authority.issuer, iat: now, exp: now + 60, jti: 'abcdefghijklmnopqrstuv', ver: PROTOCOL_VERSION, msg: 'ping', body: {} },
      { typ: TOKEN_TYPES.linkAssertion, key: key.key, kid: key.kid },
    );
    expectRefusal(await post(wrongType), 401, 'envelope_invalid');
  });

  describe('copy-certificate.request is idempotent on the move ID', () => {
    let content: TestContent;
    let moveId: string;
    let stored: StoredCopyRequest;
    let first: { certificate: string; destinationLicenseId: string };

    const destinationRows = async (s: Side) =>
      s.h.server.ctx.db
        .select()
        .from(licenses)
        .where(and(eq(licenses.authorityId, s.authority.id), eq(licenses.contentId, content.id)));
    const feesAtB = async () =>
      f.b.h.server.ctx.db
        .select()
        .from(ledgerEntries)
        .where(and(eq(ledgerEntries.authorityId, f.b.authority.id), eq(ledgerEntries.moveId, moveId), eq(ledgerEntries.kind, 'federation_fee')));

    /** The request as aurora's recovery loop would send it again: the stored request, the key wrapped afresh. */
    async function request(changes: Partial<CopyCertificateRequest> = {}): Promise<CopyCertificateRequest> {
      const peer = await findPeerByIssuer(f.a.h.server.ctx.db, aurora.id, f.b.authority.issuer);
      const keys = trustedKeysOf(peer!);
      const enc = keys.keys.find((k) => k.kid === keys.activeKeys?.enc)!;
      return { ...stored, contentKey: await wrapContentKey(content.key, enc, enc.kid), ...changes };
    }

    before(async () => {
      content = await addContent(f.a.h, f.a.authority.id);
      const bought = await phone.call('POST', '/licenses', { contentId: content.id });
      assert.equal(bought.status, 201, JSON.stringify(bought.body));
      const moved = await phone.call('POST', '/moves', {
        licenseId: bought.body.licenseId,
        destination: { clientId: tablet.clientId, authority: f.b.authority.issuer },
      });
      assert.equal(moved.status, 201, JSON.stringify(moved.body));
      moveId = moved.body.moveId;
      const [row] = await f.a.h.server.ctx.db
        .select()
        .from(moves)
        .where(and(eq(moves.authorityId, aurora.id), eq(moves.id, moveId)));
      stored = row!.request as unknown as StoredCopyRequest;
      first = { certificate: moved.body.certificate, destinationLicenseId: moved.body.destination.licenseId };
    });

    test('the same request under a new envelope gets the same certificate, and nothing is issued or billed twice', async () => {
      const { token, jti } = await seal('copy-certificate.request', await request());
      const answer = await post(token);
      assert.equal(answer.status, 200, answer.text);
      const claims = await expectSigned(answer, jti);
      assert.equal(claims.msg, 'copy-certificate.response');
      const body = copyCertificateResponseSchema.parse(claims.body);
      assert.equal(body.moveId, moveId);
      assert.equal(body.certificate, first.certificate);
      assert.equal(body.destinationLicenseId, first.destinationLicenseId);
      assert.deepEqual(body.fee, { amount: 25, currency: 'EUR' });

      const atB = await destinationRows(f.b);
      assert.equal(atB.length, 1, 'one destination license');
      assert.equal(atB[0]!.id, first.destinationLicenseId);
      assert.equal(atB[0]!.state, 'active');
      assert.equal((await feesAtB()).length, 1, 'one federation fee');
      const [atA] = await destinationRows(f.a);
      assert.equal(atA!.state, 'moved');
    });

    test('the same move ID with another request gets a signed idempotency_key_reused refusal, and nothing changes', async () => {
      const other = await registered(f.b, 'reader');
      const { token, jti } = await seal('copy-certificate.request', await request({ destination: { clientId: other.clientId } }));
      const answer = await post(token);
      assert.equal(answer.status, 422, answer.text);
      const claims = await expectSigned(answer, jti);
      assert.equal(claims.msg, 'problem');
      assert.equal(claims.body.code, 'idempotency_key_reused');
      assert.equal(claims.body.moveId, moveId);

      const atB = await destinationRows(f.b);
      assert.deepEqual(
        atB.map((l) => [l.id, l.clientId, l.state]),
        [[first.destinationLicenseId, tablet.clientId, 'active']],
      );
      assert.equal((await feesAtB()).length, 1);
      const [move] = await f.b.h.server.ctx.db
        .select()
        .from(moves)
        .where(and(eq(moves.authorityId, f.b.authority.id), eq(moves.id, moveId)));
      assert.equal(move!.dstClientId, tablet.clientId);
      assert.equal(move!.certificate, first.certificate);
    });
  });
});
