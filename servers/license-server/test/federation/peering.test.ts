import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { and, eq } from 'drizzle-orm';
import { generateEcKeyPair, jwkThumbprint, LINK_ASSERTION_MAX_LIFETIME_SECONDS, signJws, TOKEN_TYPES, userGlobalId } from '@tessera/protocol';
import type { AuthorityRef } from '../../src/authorities/authority-directory.ts';
import { sealEnvelope } from '../../src/federation/envelope.ts';
import { trustedKeysOf } from '../../src/federation/peers.ts';
import { accountLinks, auditLog, licenses, moves, peers } from '../../src/storage/schema.ts';
import { addContent } from '../licenses/license-fixtures.ts';
import { expectProblem, testEngine, TestDevice } from '../support/harness.ts';
import { link, registered, startFederation, type Federation, type Side } from './federation-fixtures.ts';
import { announceNextKeys, keysOf, rotateKeys, rotationPath } from './support/key-rotation.ts';

/*
 * Peering and account linking as operators and people do them (DESIGN §7): an operator pins a
 * peer by the thumbprint it compared out of band, can suspend and resume it, and follows its
 * key rotations only through configurations signed by a key it already trusts; a person links
 * their accounts with a one-time assertion addressed to exactly one peer.
 */

describe(`peering (${testEngine()})`, () => {
  let f: Federation;
  let cygnus: AuthorityRef;
  let phone: TestDevice;
  let tablet: TestDevice;

  before(async () => {
    f = await startFederation();
    // A third authority on borealis's server that aurora has not peered with yet.
    cygnus = await f.b.h.authority({ slug: 'cygnus' });
    phone = await registered(f.a, 'phone');
    tablet = await registered(f.b, 'tablet');
    await link(phone, f.a, tablet, f.b);
  });
  after(() => f.close());

  const peersAt = (s: Side) => s.h.server.ctx.db.select().from(peers).where(eq(peers.authorityId, s.authority.id));
  const peerRow = async (s: Side, issuer: string) => (await peersAt(s)).find((p) => p.issuer === issuer);
  const auditAt = async (s: Side, action: string) =>
    (
      await s.h.server.ctx.db
        .select()
        .from(auditLog)
        .where(and(eq(auditLog.authorityId, s.authority.id), eq(auditLog.action, action)))
    ).map((r) => ({ actor: r.actor, target: r.target }));
  const licenseState = async (s: Side, id: string) =>
    (
      await s.h.server.ctx.db
        .select()
        .from(licenses)
        .where(and(eq(licenses.authorityId, s.authority.id), eq(licenses.id, id)))
    )[0]?.state;
  const movesOfLicense = (s: Side, licenseId: string) =>
    s.h.server.ctx.db
      .select()
      .from(moves)
      .where(and(eq(moves.authorityId, s.authority.id), eq(moves.srcLicenseId, licenseId)));

  async function buy(device = phone) {
    const content = await addContent(f.a.h, f.a.authority.id);
    const bought = await device.call('POST', '/licenses', { contentId: content.id });
    assert.equal(bought.status, 201, JSON.stringify(bought.body));
    return { contentId: content.id, licenseId: bought.body.licenseId as string };
  }
  const moveTo = (licenseId: string, destination: TestDevice, from = phone) =>
    from.call('POST', '/moves', { licenseId, destination: { clientId: destination.clientId, authority: f.b.authority.issuer } });

  /** Borealis pings aurora: a signed request aurora must verify against the keys it trusts for borealis. */
  async function pingFromBorealis() {
    const borealis = await f.b.h.server.ctx.authorities.bySlug('borealis');
    const { token } = await sealEnvelope(f.b.h.server.ctx, borealis, f.a.authority.issuer, 'ping', {});
    const res = await fetch(`${f.a.authority.issuer}/federation`, { method: 'POST', headers: { 'content-type': 'application/tessera-fed+jwt' }, body: token });
    return { status: res.status, contentType: res.headers.get('content-type') ?? '', text: await res.text() };
  }

  describe('adding a peer', () => {
    test("discovery shows the thumbprint of the key that signs the authority's entity configuration", async () => {
      const res = await f.a.admin.get('/admin/authorities/aurora/peers/discover').query({ issuer: cygnus.issuer });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const signing = await f.b.h.server.ctx.keyring.signingKey(cygnus.id);
      assert.equal(res.body.thumbprint, signing.kid);
      const published = (await f.b.h.server.ctx.keyring.jwks(cygnus.id)).keys.find((k) => k.kid === signing.kid)!;
      assert.equal(res.body.thumbprint, await jwkThumbprint(published), 'the RFC 7638 thumbprint of the published key');
      assert.equal(res.body.issuer, cygnus.issuer);
      assert.deepEqual(res.body.versions, ['tessera/1']);
      assert.equal(await peerRow(f.a, cygnus.issuer), undefined, 'discovering stores nothing');
    });

    test('an issuer is taken in its canonical form; one with a query, a fragment, a user or another scheme is refused before any fetch', async () => {
      const respelled = await f.a.admin.get('/admin/authorities/aurora/peers/discover').query({ issuer: `HTTP://${cygnus.issuer.slice('http://'.length)}/` });
      assert.equal(respelled.status, 200, JSON.stringify(respelled.body));
      assert.equal(respelled.body.issuer, cygnus.issuer, 'the answer names the canonical issuer');
      for (const issuer of [
        `${cygnus.issuer}?x=1`,
        `${cygnus.issuer}#top`,
        cygnus.issuer.replace('http://', 'http://ops:secret@'),
        cygnus.issuer.replace('http://', 'ftp://'),
        'not a url',
      ]) {
        const res = await f.a.admin.get('/admin/authorities/aurora/peers/discover').query({ issuer });
        const problem = expectProblem(res, 400, 'invalid_request') as { errors?: { path: string }[] };
        assert.deepEqual(
          problem.errors?.map((e) => e.path),
          ['issuer'],
          `${issuer} is refused naming the field`,
        );
      }
    });

    test('a thumbprint that does not match the key signing the configuration is refused and nothing is stored', async () => {
      const audited = (await auditAt(f.a, 'peer.added')).length;
      const stranger = await generateEcKeyPair('sig');
      const res = await f.a.admin.post('/admin/authorities/aurora/peers').send({ issuer: cygnus.issuer, thumbprint: stranger.kid });
      expectProblem(res, 409, 'peer_thumbprint_mismatch');
      assert.equal(await peerRow(f.a, cygnus.issuer), undefined);
      assert.equal((await auditAt(f.a, 'peer.added')).length, audited, 'nothing audited as added');
      const listed = await f.a.admin.get('/admin/authorities/aurora/peers').expect(200);
      assert.ok(!listed.body.items.some((p: { issuer: string }) => p.issuer === cygnus.issuer), 'the refused peer is not listed');
    });

    test('the right thumbprint adds the peer once; adding it again is refused as peer_exists', async () => {
      const before = (await auditAt(f.a, 'peer.added')).length;
      const { thumbprint } = (await f.a.admin.get('/admin/authorities/aurora/peers/discover').query({ issuer: cygnus.issuer }).expect(200)).body;
      const added = await f.a.admin.post('/admin/authorities/aurora/peers').send({ issuer: cygnus.issuer, thumbprint });
      assert.equal(added.status, 201, JSON.stringify(added.body));
      assert.equal(added.body.status, 'active');
      assert.equal(added.body.pinnedThumbprint, thumbprint);
      assert.ok(
        added.body.trustedKeys.some((k: { kid: string; use: string }) => k.kid === thumbprint && k.use === 'sig'),
        'the added peer is trusted with the pinned signing key',
      );

      const again = await f.a.admin.post('/admin/authorities/aurora/peers').send({ issuer: cygnus.issuer, thumbprint });
      expectProblem(again, 409, 'peer_exists');
      // The same authority spelled another way is the same peer (SPEC §1.3: one canonical issuer).
      const respelled = `HTTP://${cygnus.issuer.slice('http://'.length)}//`;
      expectProblem(await f.a.admin.post('/admin/authorities/aurora/peers').send({ issuer: respelled, thumbprint }), 409, 'peer_exists');
      assert.equal((await peersAt(f.a)).filter((p) => p.issuer === cygnus.issuer).length, 1);
      const audit = await auditAt(f.a, 'peer.added');
      assert.equal(audit.length, before + 1, 'one audit row for the one peer added');
      assert.deepEqual(audit.at(-1), { actor: 'owner@aurora.test', target: added.body.id });
    });

    test('a viewer sees the peers but cannot add, suspend or refresh one', async () => {
      await f.a.h.admin('viewer@aurora.test', 'viewer password', [{ authorityId: f.a.authority.id, role: 'viewer' }]);
      const viewer = await f.a.h.adminAgent('viewer@aurora.test', 'viewer password');
      const listed = await viewer.get('/admin/authorities/aurora/peers');
      assert.equal(listed.status, 200);
      const borealis = listed.body.items.find((p: { issuer: string }) => p.issuer === f.b.authority.issuer);
      const { thumbprint } = (await f.a.admin.get('/admin/authorities/aurora/peers/discover').query({ issuer: f.b.authority.issuer }).expect(200)).body;
      expectProblem(await viewer.post('/admin/authorities/aurora/peers').send({ issuer: 'http://127.0.0.1:9/t/elsewhere', thumbprint }), 403, 'forbidden');
      expectProblem(await viewer.post(`/admin/authorities/aurora/peers/${borealis.id}/suspend`), 403, 'forbidden');
      expectProblem(await viewer.post(`/admin/authorities/aurora/peers/${borealis.id}/refresh`), 403, 'forbidden');
      assert.equal((await peerRow(f.a, f.b.authority.issuer))!.status, 'active');
      assert.equal(await peerRow(f.a, 'http://127.0.0.1:9/t/elsewhere'), undefined);
      assert.deepEqual(
        (await auditAt(f.a, 'peer.suspended')).filter((r) => r.actor === 'viewer@aurora.test'),
        [],
      );
    });
  });

  describe('suspending a peer', () => {
    test("a suspended peer's envelopes are refused and no move goes to it; nothing is reserved; resumed, it works again", async () => {
      const borealis = (await peerRow(f.a, f.b.authority.issuer))!;
      assert.equal((await pingFromBorealis()).status, 200);

      const suspended = await f.a.admin.post(`/admin/authorities/aurora/peers/${borealis.id}/suspend`);
      assert.equal(suspended.status, 200, JSON.stringify(suspended.body));
      assert.equal(suspended.body.status, 'suspended');

      const refused = await pingFromBorealis();
      assert.equal(refused.status, 403, refused.text);
      assert.ok(refused.contentType.startsWith('application/problem+json'), `the refusal is a problem document: ${refused.contentType}`);
      assert.equal(JSON.parse(refused.text).code, 'peer_suspended');

      const { contentId, licenseId } = await buy();
      expectProblem(await moveTo(licenseId, tablet), 403, 'peer_suspended');
      assert.equal(await licenseState(f.a, licenseId), 'active', 'the license was never reserved');
      assert.deepEqual(await movesOfLicense(f.a, licenseId), [], 'no move on record at the source');
      const atB = await f.b.h.server.ctx.db
        .select()
        .from(moves)
        .where(and(eq(moves.authorityId, f.b.authority.id), eq(moves.contentId, contentId)));
      assert.deepEqual(atB, [], 'the destination was never asked');

      const resumed = await f.a.admin.post(`/admin/authorities/aurora/peers/${borealis.id}/resume`);
      assert.equal(resumed.status, 200, JSON.stringify(resumed.body));
      assert.equal(resumed.body.status, 'active');
      assert.equal((await pingFromBorealis()).status, 200);
      const moved = await moveTo(licenseId, tablet);
      assert.equal(moved.status, 201, JSON.stringify(moved.body));
      assert.equal(moved.body.state, 'completed');
      assert.equal(await licenseState(f.a, licenseId), 'moved');

      assert.deepEqual(await auditAt(f.a, 'peer.suspended'), [{ actor: 'owner@aurora.test', target: borealis.id }]);
      assert.deepEqual(await auditAt(f.a, 'peer.resumed'), [{ actor: 'owner@aurora.test', target: borealis.id }]);
    });
  });

  describe("following a peer's keys", () => {
    test('a rotation at the peer is followed on refresh: its new keys are signed by a key already trusted', async () => {
      const borealis = (await peerRow(f.a, f.b.authority.issuer))!;
      if ((await rotationPath(f.b)) === 'keyring') {
        // Without the admin route, announce the next keys first, as the route's life cycle does.
        await announceNextKeys(f.b);
      }
      // Aurora learns what borealis publishes now (the next keys included) before the rotation.
      const learned = await f.a.admin.post(`/admin/authorities/aurora/peers/${borealis.id}/refresh`);
      assert.equal(learned.status, 200, JSON.stringify(learned.body));
      const before = (await peerRow(f.a, f.b.authority.issuer))!;
      const newSigning = await rotateKeys(f.b);
      assert.notEqual(newSigning, trustedKeysOf(before).activeKeys?.sig);

      const refreshed = await f.a.admin.post(`/admin/authorities/aurora/peers/${borealis.id}/refresh`);
      assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
      assert.equal(refreshed.body.lastOutcome, 'ok');
      const row = (await peerRow(f.a, f.b.authority.issuer))!;
      const trusted = trustedKeysOf(row);
      const published = await keysOf(f.b);
      assert.equal(trusted.activeKeys?.sig, newSigning);
      assert.equal(trusted.activeKeys?.enc, published.enc.active![0]);
      for (const kid of [...(published.sig.next ?? []), ...(published.sig.retired ?? []), newSigning]) {
        assert.ok(
          trusted.keys.some((k) => k.kid === kid),
          `aurora trusts ${kid}`,
        );
      }
      assert.equal(row.pinnedThumbprint, before.pinnedThumbprint, 'the pin is the operator’s, never changed by a refresh');
      assert.ok(
        (await auditAt(f.a, 'peer.refreshed')).some((r) => r.actor === 'owner@aurora.test' && r.target === borealis.id),
        'the refresh is audited with its actor and the peer',
      );

      // Signed with its new key, borealis is heard; a move wrapped to its new encryption key goes through.
      assert.equal((await pingFromBorealis()).status, 200);
      const { licenseId } = await buy();
      const moved = await moveTo(licenseId, tablet);
      assert.equal(moved.status, 201, JSON.stringify(moved.body));
    });

    test('a configuration signed by a key the authority does not trust is refused and the trusted keys stay as they were', async () => {
      const borealis = (await peerRow(f.a, f.b.authority.issuer))!;
      const genuine = borealis.jwks;
      // As if aurora had only ever trusted some other key: borealis's real configuration is then a stranger's.
      const other = await generateEcKeyPair('sig');
      const pinnedElsewhere = { keys: [{ ...other.publicJwk, kid: other.kid, use: 'sig', alg: 'ES256' }], activeKeys: { sig: other.kid, enc: other.kid } };
      await f.a.h.server.ctx.db
        .update(peers)
        .set({ jwks: pinnedElsewhere as typeof genuine })
        .where(and(eq(peers.authorityId, f.a.authority.id), eq(peers.id, borealis.id)));
      try {
        const res = await f.a.admin.post(`/admin/authorities/aurora/peers/${borealis.id}/refresh`);
        expectProblem(res, 409, 'peer_key_untrusted');
        const row = (await peerRow(f.a, f.b.authority.issuer))!;
        assert.deepEqual(row.jwks, pinnedElsewhere, 'nothing of the untrusted configuration was taken');
        assert.equal(row.lastOutcome, 'peer_key_untrusted');
        // Nor is borealis heard: its envelopes are signed by a key aurora does not trust.
        const ping = await pingFromBorealis();
        assert.equal(ping.status, 401, ping.text);
        assert.equal(JSON.parse(ping.text).code, 'envelope_invalid');
      } finally {
        await f.a.h.server.ctx.db
          .update(peers)
          .set({ jwks: genuine })
          .where(and(eq(peers.authorityId, f.a.authority.id), eq(peers.id, borealis.id)));
      }
      assert.equal((await pingFromBorealis()).status, 200);
    });
  });

  describe('account linking', () => {
    let bobA: { id: string; username: string; password: string };
    let bobB: { id: string; username: string; password: string };
    let bobPhone: TestDevice;
    let bobReader: TestDevice;

    before(async () => {
      bobA = await f.a.h.user(f.a.authority.id, 'bob', 'bob password');
      bobB = await f.b.h.user(f.b.authority.id, 'bob', 'bob password');
      bobPhone = await TestDevice.create(f.a.h, 'aurora');
      assert.equal((await bobPhone.register(bobA.username, bobA.password, 'phone')).status, 201);
      bobReader = await TestDevice.create(f.b.h, 'borealis');
      assert.equal((await bobReader.register(bobB.username, bobB.password, 'reader')).status, 201);
    });

    const linksOfBobAtB = () =>
      f.b.h.server.ctx.db
        .select()
        .from(accountLinks)
        .where(and(eq(accountLinks.authorityId, f.b.authority.id), eq(accountLinks.userId, bobB.id)));

    test('an assertion for an authority that is not a peer is refused as peer_unknown', async () => {
      expectProblem(await bobPhone.call('POST', '/account-links/assertions', { audience: 'http://127.0.0.1:9/t/nowhere' }), 404, 'peer_unknown');
    });

    test('an assertion addressed to another authority is refused and links nothing', async () => {
      // Aurora peers with cygnus (added above), so it vouches for bob to cygnus — not to borealis.
      const forCygnus = await bobPhone.call('POST', '/account-links/assertions', { audience: cygnus.issuer });
      assert.equal(forCygnus.status, 201, JSON.stringify(forCygnus.body));
      expectProblem(await bobReader.call('POST', '/account-links', { assertion: forCygnus.body.assertion }), 400, 'link_assertion_invalid');
      assert.deepEqual(await linksOfBobAtB(), []);
    });

    test('an expired assertion is refused and links nothing', async () => {
      const key = await f.a.h.server.ctx.keyring.signingKey(f.a.authority.id);
      const iat = Math.floor(Date.now() / 1000) - LINK_ASSERTION_MAX_LIFETIME_SECONDS - 300;
      const stale = await signJws(
        {
          iss: f.a.authority.issuer,
          aud: f.b.authority.issuer,
          sub: userGlobalId(bobA.id, f.a.authority.issuer),
          iat,
          exp: iat + LINK_ASSERTION_MAX_LIFETIME_SECONDS,
          jti: 'expiredassertion0000001',
        },
        { typ: TOKEN_TYPES.linkAssertion, key: key.key, kid: key.kid },
      );
      const res = expectProblem(await bobReader.call('POST', '/account-links', { assertion: stale }), 400, 'link_assertion_invalid');
      assert.match(res.detail ?? '', /expired/);
      assert.deepEqual(await linksOfBobAtB(), []);
    });

    test('an assertion links once; presented again it is refused as replayed', async () => {
      const assertion = await bobPhone.call('POST', '/account-links/assertions', { audience: f.b.authority.issuer });
      assert.equal(assertion.status, 201, JSON.stringify(assertion.body));
      const linked = await bobReader.call('POST', '/account-links', { assertion: assertion.body.assertion });
      assert.equal(linked.status, 201, JSON.stringify(linked.body));
      assert.equal(linked.body.peerUser, `${bobA.id}@${f.a.authority.issuer}`);
      const replayed = expectProblem(await bobReader.call('POST', '/account-links', { assertion: assertion.body.assertion }), 400, 'link_assertion_invalid');
      assert.match(replayed.detail ?? '', /already used/);
      assert.equal((await linksOfBobAtB()).length, 1);
    });

    test('once the person unlinks, a move to their device is refused as account_not_linked and the license stays at the source', async () => {
      const { licenseId: first } = await buy(bobPhone);
      const moved = await moveTo(first, bobReader, bobPhone);
      assert.equal(moved.status, 201, JSON.stringify(moved.body));

      const [linkRow] = await linksOfBobAtB();
      const listed = await bobReader.call('GET', '/account-links');
      assert.deepEqual(
        listed.body.items.map((l: { linkId: string }) => l.linkId),
        [linkRow!.id],
      );
      const unlinked = await bobReader.call('DELETE', `/account-links/${linkRow!.id}`);
      assert.equal(unlinked.status, 204, JSON.stringify(unlinked.body));
      assert.deepEqual(await linksOfBobAtB(), []);

      const { contentId, licenseId } = await buy(bobPhone);
      expectProblem(await moveTo(licenseId, bobReader, bobPhone), 403, 'account_not_linked');
      assert.equal(await licenseState(f.a, licenseId), 'active');
      const [aborted] = await movesOfLicense(f.a, licenseId);
      assert.equal(aborted!.state, 'aborted');
      assert.equal(aborted!.refusalCode, 'account_not_linked');
      const atB = await f.b.h.server.ctx.db
        .select()
        .from(licenses)
        .where(and(eq(licenses.authorityId, f.b.authority.id), eq(licenses.contentId, contentId)));
      assert.deepEqual(atB, [], 'no license was issued at the destination');
    });
  });
});
