import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { and, eq, sql } from 'drizzle-orm';
import {
  decodeJwsUnverified,
  ENTITY_CONFIGURATION_PATH,
  ENTITY_CONFIGURATION_TTL_SECONDS,
  FEDERATION_ENDPOINT_PATH,
  FEDERATION_MEDIA_TYPE,
  generateEcKeyPair,
  PROTOCOL_VERSION,
  signJws,
  TOKEN_TYPES,
  type EnvelopeClaims,
  type GeneratedKeyPair,
  type PublicEcJwk,
} from '@tessera/protocol';
import type supertest from 'supertest';
import { verifyEnvelope } from '../../src/federation/envelope.ts';
import { federationNonces } from '../../src/storage/schema.ts';
import { startHarness, TestDevice, testEngine, type Harness } from '../support/harness.ts';

/*
 * SPEC §2.4 and §10.3: a server that meets a token whose kid it does not hold refetches the
 * issuer's configuration once — accepted only when signed by a key it already trusts — and
 * verifies once more; a kid still unknown is refused. Tokens naming made-up keys refetch at most
 * once per peer every 10 s. The peer here is a stand-in whose keys the test controls and whose
 * configuration fetches it counts.
 */

const PROBLEM_MEDIA_TYPE = 'application/problem+json';

interface FakePeer {
  issuer: string;
  /** How many times its entity configuration was fetched. */
  fetches: number;
  /** The key that signs its configuration, named active. */
  signing: GeneratedKeyPair;
  /** Signing keys it publishes besides the active one (announced `next`). */
  announced: GeneratedKeyPair[];
  envelope(key: GeneratedKeyPair, audience: string): Promise<{ token: string; jti: string }>;
}

const published = (k: GeneratedKeyPair, use: 'sig' | 'enc'): PublicEcJwk => ({
  kty: 'EC',
  crv: 'P-256',
  x: k.publicJwk.x,
  y: k.publicJwk.y,
  kid: k.kid,
  use,
  alg: use === 'sig' ? 'ES256' : 'ECDH-ES+A256KW',
});

describe(`a peer's keys are refetched when its tokens name a key this server does not hold (${testEngine()})`, () => {
  let h: Harness;
  let borealis: { id: string; slug: string; issuer: string };
  let admin: supertest.Agent;
  const servers: Server[] = [];

  before(async () => {
    h = await startHarness({ peerTimeoutMs: 2_000 });
    borealis = await h.authority({ slug: 'borealis' });
    await h.admin('owner@borealis.test', 'owner password', [{ authorityId: borealis.id, role: 'owner' }]);
    admin = await h.adminAgent('owner@borealis.test', 'owner password');
  });
  after(async () => {
    for (const s of servers) s.close();
    await h.close();
  });

  async function fakePeer(name: string): Promise<FakePeer> {
    const http = createServer();
    servers.push(http);
    http.listen(0, '127.0.0.1');
    await once(http, 'listening');
    const issuer = `http://127.0.0.1:${(http.address() as AddressInfo).port}/t/${name}`;
    const encryption = await generateEcKeyPair('enc');
    const peer: FakePeer = {
      issuer,
      fetches: 0,
      signing: await generateEcKeyPair('sig'),
      announced: [],
      async envelope(key, audience) {
        const iat = Math.floor(Date.now() / 1000);
        const jti = `t${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;
        const claims: EnvelopeClaims = { iss: issuer, aud: audience, iat, exp: iat + 60, jti, ver: PROTOCOL_VERSION, msg: 'ping', body: {} };
        return { token: await signJws(claims, { typ: TOKEN_TYPES.federationEnvelope, key: key.privateJwk, kid: key.kid }), jti };
      },
    };
    http.on('request', (req, res) => {
      if (req.method !== 'GET' || req.url !== `/t/${name}${ENTITY_CONFIGURATION_PATH}`) {
        res.writeHead(404).end();
        return;
      }
      peer.fetches++;
      const iat = Math.floor(Date.now() / 1000);
      const claims = {
        iss: issuer,
        sub: issuer,
        iat,
        exp: iat + ENTITY_CONFIGURATION_TTL_SECONDS,
        name,
        operator: null,
        jwks: { keys: [published(peer.signing, 'sig'), ...peer.announced.map((k) => published(k, 'sig')), published(encryption, 'enc')] },
        activeKeys: { sig: peer.signing.kid, enc: encryption.kid },
        endpoints: { federation: `${issuer}${FEDERATION_ENDPOINT_PATH}`, jwks: `${issuer}/jwks.json`, devices: `${issuer}/devices` },
        versions: [PROTOCOL_VERSION],
      };
      void signJws(claims, { typ: TOKEN_TYPES.entityConfiguration, key: peer.signing.privateJwk, kid: peer.signing.kid }).then((token) => {
        res.writeHead(200, { 'content-type': 'application/tessera-entity+jwt' }).end(token);
      });
    });
    const added = await admin.post(`/admin/authorities/${borealis.slug}/peers`).send({ issuer, thumbprint: peer.signing.kid });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    assert.equal(peer.fetches, 1, 'peering fetched the configuration once');
    return peer;
  }

  async function post(token: string): Promise<{ status: number; contentType: string; text: string }> {
    const res = await fetch(`${borealis.issuer}/federation`, { method: 'POST', headers: { 'content-type': FEDERATION_MEDIA_TYPE }, body: token });
    return { status: res.status, contentType: res.headers.get('content-type') ?? '', text: await res.text() };
  }

  async function trustedKids(peer: FakePeer): Promise<string[]> {
    const list = await admin.get(`/admin/authorities/${borealis.slug}/peers`).expect(200);
    const row = list.body.items.find((p: { issuer: string }) => p.issuer === peer.issuer) as { trustedKeys: { kid: string; use: string }[] };
    return row.trustedKeys
      .filter((k) => k.use === 'sig')
      .map((k) => k.kid)
      .sort();
  }

  function expectRefusal(answer: { status: number; contentType: string; text: string }, status: number, code: string): void {
    assert.ok(answer.contentType.startsWith(PROBLEM_MEDIA_TYPE), `an unsigned problem document, got ${answer.contentType}: ${answer.text}`);
    assert.equal(answer.status, status, answer.text);
    assert.equal((JSON.parse(answer.text) as { code: string }).code, code, answer.text);
  }

  test('an envelope signed with a key the receiver does not hold yet is accepted after exactly one refetch of the peer configuration', async () => {
    const peer = await fakePeer('lyra');
    const next = await generateEcKeyPair('sig');
    peer.announced.push(next);
    assert.deepEqual(await trustedKids(peer), [peer.signing.kid], 'before: only the pinned key is trusted');

    const { token, jti } = await peer.envelope(next, borealis.issuer);
    const answer = await post(token);
    assert.equal(answer.status, 200, answer.text);
    assert.ok(answer.contentType.startsWith(FEDERATION_MEDIA_TYPE), `a signed answer, got ${answer.contentType}: ${answer.text}`);
    const pong = decodeJwsUnverified(answer.text).payload;
    assert.equal(pong.msg, 'pong');
    assert.equal(pong.re, jti, 'the answer is bound to the envelope');
    assert.equal(peer.fetches, 2, 'one refetch, and no second one for the key not being the active one');
    assert.deepEqual(await trustedKids(peer), [peer.signing.kid, next.kid].sort(), 'the announced key is trusted now');

    // Known now: the next envelope signed with it needs no refetch.
    assert.equal((await post((await peer.envelope(next, borealis.issuer)).token)).status, 200);
    assert.equal(peer.fetches, 2, 'no refetch for a key already held');
  });

  test('a kid still unknown after the refetch is refused as envelope_invalid, and the trusted keys stay as they were', async () => {
    const peer = await fakePeer('vega');
    const stranger = await generateEcKeyPair('sig');
    expectRefusal(await post((await peer.envelope(stranger, borealis.issuer)).token), 401, 'envelope_invalid');
    assert.equal(peer.fetches, 2, 'the configuration was fetched once more before refusing');
    assert.deepEqual(await trustedKids(peer), [peer.signing.kid]);
    // The peer's own key still works.
    assert.equal((await post((await peer.envelope(peer.signing, borealis.issuer)).token)).status, 200);
  });

  test('envelopes naming made-up keys refetch the configuration at most once per peer every 10 s, however many arrive', async () => {
    const peer = await fakePeer('deneb');
    for (let i = 0; i < 6; i++)
      expectRefusal(await post((await peer.envelope(await generateEcKeyPair('sig'), borealis.issuer)).token), 401, 'envelope_invalid');
    assert.equal(peer.fetches, 2, 'six unknown kids, one refetch');
    const burst = await Promise.all(Array.from({ length: 4 }, async () => post((await peer.envelope(await generateEcKeyPair('sig'), borealis.issuer)).token)));
    for (const answer of burst) expectRefusal(answer, 401, 'envelope_invalid');
    assert.equal(peer.fetches, 2, 'concurrent unknown kids inside the window refetch nothing');

    // The limit is a window in the database, not a one-time switch: once it has passed, the next unknown kid refetches again, once.
    await h.server.ctx.db
      .update(federationNonces)
      .set({ expiresAt: sql`now() - interval '1 second'` })
      .where(and(eq(federationNonces.authorityId, borealis.id), eq(federationNonces.issuer, peer.issuer)));
    for (let i = 0; i < 3; i++)
      expectRefusal(await post((await peer.envelope(await generateEcKeyPair('sig'), borealis.issuer)).token), 401, 'envelope_invalid');
    assert.equal(peer.fetches, 3, 'one more refetch in the new window');
  });

  test("an envelope signed by a trusted key other than the peer's active one makes the receiver learn the peer's current configuration", async () => {
    const peer = await fakePeer('altair');
    const next = await generateEcKeyPair('sig');
    peer.announced.push(next);
    await admin
      .post(
        `/admin/authorities/${borealis.slug}/peers/${(await admin.get(`/admin/authorities/${borealis.slug}/peers`).expect(200)).body.items.find((p: { issuer: string }) => p.issuer === peer.issuer).id}/refresh`,
      )
      .expect(200);
    assert.equal(peer.fetches, 2);
    // The peer rotates: its next key signs the configuration and its envelopes, and it announces a fresh one.
    const old = peer.signing;
    const fresh = await generateEcKeyPair('sig');
    peer.signing = next;
    peer.announced = [old, fresh];
    assert.equal((await post((await peer.envelope(next, borealis.issuer)).token)).status, 200);
    assert.equal(peer.fetches, 3, 'the rotation was noticed and followed with one refetch');
    assert.deepEqual(await trustedKids(peer), [old.kid, next.kid, fresh.kid].sort(), 'the freshly announced key is trusted before it ever signs');
  });

  test('a link assertion signed with a key not held yet is accepted after one refetch, as an envelope is', async () => {
    const peer = await fakePeer('sirius');
    const next = await generateEcKeyPair('sig');
    peer.announced.push(next);
    const alice = await h.user(borealis.id, 'alice', 'wonderland');
    const device = await TestDevice.create(h, borealis.slug);
    assert.equal((await device.register(alice.username, alice.password, 'tablet')).status, 201);
    const iat = Math.floor(Date.now() / 1000);
    const claims = {
      iss: peer.issuer,
      aud: borealis.issuer,
      sub: `user_alice@${peer.issuer}`,
      iat,
      exp: iat + 300,
      jti: `l${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`,
    };
    const assertion = await signJws(claims, { typ: TOKEN_TYPES.linkAssertion, key: next.privateJwk, kid: next.kid });
    const presented = await device.call('POST', '/account-links', { assertion });
    assert.equal(presented.status, 201, JSON.stringify(presented.body));
    assert.equal(presented.body.peerUser, claims.sub);
    assert.equal(peer.fetches, 2, 'one refetch');
    const stranger = await generateEcKeyPair('sig');
    const forged = await signJws({ ...claims, jti: `${claims.jti}x` }, { typ: TOKEN_TYPES.linkAssertion, key: stranger.privateJwk, kid: stranger.kid });
    const refused = await device.call('POST', '/account-links', { assertion: forged });
    assert.equal(refused.status, 400, JSON.stringify(refused.body));
    assert.equal(refused.body.code, 'link_assertion_invalid');
    assert.equal(peer.fetches, 2, 'inside the window, no second refetch');
  });

  test('envelope verification is pure over the key set it is given', async () => {
    const peer = await fakePeer('rigel');
    const other = await generateEcKeyPair('sig');
    const { token } = await peer.envelope(other, borealis.issuer);
    const expected = { audience: borealis.issuer, skewSeconds: 60 };
    await assert.rejects(
      verifyEnvelope(token, { keys: [published(peer.signing, 'sig')] }, expected),
      { code: 'envelope_invalid' },
      'a key set without the kid refuses',
    );
    const claims = await verifyEnvelope(token, { keys: [published(peer.signing, 'sig'), published(other, 'sig')] }, expected);
    assert.equal(claims.iss, peer.issuer);
    await assert.rejects(
      verifyEnvelope(token, { keys: [published(other, 'enc')] }, expected),
      { code: 'envelope_invalid' },
      'an encryption key never verifies a signature',
    );
    await assert.rejects(
      verifyEnvelope(token, { keys: [published(other, 'sig')] }, { ...expected, now: Date.now() + 3_600_000 }),
      { code: 'envelope_expired' },
      'its time window is checked against the time given',
    );
    assert.equal(peer.fetches, 1, 'nothing was fetched');
  });
});
