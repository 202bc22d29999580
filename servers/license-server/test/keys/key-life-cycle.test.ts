import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { and, eq } from 'drizzle-orm';
import supertest from 'supertest';
import type { TesseraProblem } from '@tessera/protocol';
import { PUBLISHED_KEY_LIMIT, retireAuthorityKey, rotateAuthorityKeys } from '../../src/keys/manage-keys.ts';
import { authorityKeys } from '../../src/storage/schema.ts';
import { expectProblem, startHarness, testEngine, type Harness } from '../support/harness.ts';
import { assertOneActiveAndOneNextPerUse, auditEntries, kidsOf, publishedKids, storedKeys, TEST_ACTOR } from './key-fixtures.ts';

type Authority = { id: string; slug: string; issuer: string };

describe('authority key life cycle: next → active → retired → revoked', () => {
  let h: Harness;
  let aurora: Authority;
  let borealis: Authority;
  let owner: supertest.Agent;
  let admin: supertest.Agent;
  let viewer: supertest.Agent;
  let borealisOwner: supertest.Agent;

  const rotate = (agent: supertest.Agent, body: object = { use: 'both' }, slug = 'aurora') => agent.post(`/admin/authorities/${slug}/keys/rotate`).send(body);

  before(async () => {
    h = await startHarness();
    aurora = await h.authority({ slug: 'aurora' });
    borealis = await h.authority({ slug: 'borealis' });
    await h.admin('olga@aurora.test', 'owner password 1', [{ authorityId: aurora.id, role: 'owner' }]);
    await h.admin('adam@aurora.test', 'admin password 1', [{ authorityId: aurora.id, role: 'admin' }]);
    await h.admin('vera@aurora.test', 'viewer password 1', [{ authorityId: aurora.id, role: 'viewer' }]);
    await h.admin('bo@borealis.test', 'owner password 2', [{ authorityId: borealis.id, role: 'owner' }]);
    owner = await h.adminAgent('olga@aurora.test', 'owner password 1');
    admin = await h.adminAgent('adam@aurora.test', 'admin password 1');
    viewer = await h.adminAgent('vera@aurora.test', 'viewer password 1');
    borealisOwner = await h.adminAgent('bo@borealis.test', 'owner password 2');
  });
  after(() => h.close());

  test('a new authority has an active and a next key for each use, and publishes all four', async () => {
    const keys = await assertOneActiveAndOneNextPerUse(h, borealis.id);
    assert.deepEqual(await publishedKids(h, 'borealis'), [keys.sig.active, keys.sig.next, keys.enc.active, keys.enc.next].sort());
    const listed = await borealisOwner.get('/admin/authorities/borealis/keys').expect(200);
    assert.deepEqual(
      listed.body.items.map((k: { use: string; status: string }) => `${k.use}:${k.status}`),
      ['sig:active', 'sig:next', 'enc:active', 'enc:next'],
      'listed signing keys first, then by state',
    );
  });

  test('a rotation promotes each next key, retires each active one and publishes a fresh next key', async () => {
    const before = await assertOneActiveAndOneNextPerUse(h, aurora.id);
    const res = await rotate(owner);
    assert.equal(res.status, 200, JSON.stringify(res.body));

    const after = await assertOneActiveAndOneNextPerUse(h, aurora.id);
    const rows = await storedKeys(h, aurora.id);
    for (const use of ['sig', 'enc'] as const) {
      assert.equal(after[use].active, before[use].next, `the next ${use} key became active`);
      assert.deepEqual(kidsOf(rows, use, 'retired'), [before[use].active], `the active ${use} key was retired`);
      assert.ok(![before[use].active, before[use].next].includes(after[use].next), `a fresh next ${use} key was made`);
      const promoted = rows.find((r) => r.kid === after[use].active)!;
      const retired = rows.find((r) => r.kid === before[use].active)!;
      assert.ok(promoted.activatedAt && retired.retiredAt && retired.activatedAt, `the promoted and retired ${use} keys record when they changed state`);
      assert.equal(promoted.activatedAt.getTime(), retired.retiredAt.getTime(), 'one instant for both halves of the change');
    }
    // The answer is the key list as stored, and the new keys are published at once.
    const byKid = new Map(res.body.items.map((k: { kid: string; status: string }) => [k.kid, k.status]));
    assert.equal(byKid.get(after.sig.active), 'active');
    assert.equal(byKid.get(before.sig.active), 'retired');
    assert.equal(byKid.get(after.sig.next), 'next');
    assert.deepEqual(await publishedKids(h, 'aurora'), rows.map((r) => r.kid).sort(), 'next, active and retired keys are all published');
  });

  test('rotating one use leaves the other as it was; without a body both rotate', async () => {
    const before = await assertOneActiveAndOneNextPerUse(h, aurora.id);
    assert.equal((await rotate(owner, { use: 'sig' })).status, 200);
    const afterSig = await assertOneActiveAndOneNextPerUse(h, aurora.id);
    assert.equal(afterSig.sig.active, before.sig.next);
    assert.deepEqual(afterSig.enc, before.enc, 'the encryption keys did not move');

    assert.equal((await rotate(owner, { use: 'enc' })).status, 200);
    const afterEnc = await assertOneActiveAndOneNextPerUse(h, aurora.id);
    assert.deepEqual(afterEnc.sig, afterSig.sig, 'the signing keys did not move');
    assert.equal(afterEnc.enc.active, before.enc.next);

    assert.equal((await owner.post('/admin/authorities/aurora/keys/rotate').set('Content-Type', 'application/json').send('{}')).status, 200);
    const afterBoth = await assertOneActiveAndOneNextPerUse(h, aurora.id);
    assert.equal(afterBoth.sig.active, afterEnc.sig.next);
    assert.equal(afterBoth.enc.active, afterEnc.enc.next);
    expectProblem(await rotate(owner, { use: 'all' }), 400, 'invalid_request');
  });

  test(`five concurrent rotations run one after the other (${testEngine()}): each promotes the key the previous one announced`, async () => {
    const before = await assertOneActiveAndOneNextPerUse(h, aurora.id);
    const retiredBefore = kidsOf(await storedKeys(h, aurora.id), 'sig', 'retired').length;
    const auditedBefore = (await auditEntries(h, aurora.id, ['keys.rotate'])).length;
    // Two app instances on one database, as behind a load balancer.
    const second = await h.secondInstance();
    const ownerOnSecond = supertest.agent(second.url);
    assert.equal((await ownerOnSecond.post('/admin/session').send({ email: 'olga@aurora.test', password: 'owner password 1' })).status, 200);
    const answers = await Promise.all([rotate(owner), rotate(ownerOnSecond), rotate(owner), rotate(ownerOnSecond), rotate(owner)]);
    for (const res of answers) assert.equal(res.status, 200, JSON.stringify(res.body));

    await assertOneActiveAndOneNextPerUse(h, aurora.id);
    const rows = await storedKeys(h, aurora.id);
    assert.equal(kidsOf(rows, 'sig', 'retired').length, retiredBefore + 5, 'five signing keys retired: no rotation was lost');
    const rotations = (await auditEntries(h, aurora.id, ['keys.rotate']))
      .slice(auditedBefore)
      .map((e) => (e.details as { rotations: { use: string; activated: string; next: string }[] }).rotations);
    assert.equal(rotations.length, 5);
    for (const use of ['sig', 'enc'] as const) {
      // Follow the chain: every rotation promoted the next key the previous one had published.
      const steps = rotations.map((r) => r.find((x) => x.use === use)!);
      let expected = before[use].next;
      for (let i = 0; i < 5; i++) {
        const step = steps.find((s) => s.activated === expected);
        assert.ok(step, `some rotation promoted ${expected}`);
        expected = step.next;
      }
      assert.equal(expected, kidsOf(rows, use, 'next')[0], 'the chain ends at the next key stored now');
    }
  });

  test('retiring the active key of a use is a rotation of that use; retiring a next or retired key is key_state_invalid', async () => {
    const before = await assertOneActiveAndOneNextPerUse(h, aurora.id);
    const res = await owner.post(`/admin/authorities/aurora/keys/${before.sig.active}/retire`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.kid, before.sig.active);
    assert.equal(res.body.status, 'retired');
    const after = await assertOneActiveAndOneNextPerUse(h, aurora.id);
    assert.equal(after.sig.active, before.sig.next, 'the next key took over');
    assert.deepEqual(after.enc, before.enc);

    expectProblem(await owner.post(`/admin/authorities/aurora/keys/${after.sig.next}/retire`), 409, 'key_state_invalid');
    expectProblem(await owner.post(`/admin/authorities/aurora/keys/${before.sig.active}/retire`), 409, 'key_state_invalid');
    await assertOneActiveAndOneNextPerUse(h, aurora.id);
  });

  test('revoking a retired key withdraws it from the key set; revoking it again changes nothing', async () => {
    const retired = kidsOf(await storedKeys(h, aurora.id), 'sig', 'retired')[0]!;
    assert.ok((await publishedKids(h, 'aurora')).includes(retired), 'the retired key is still published before it is revoked');
    const res = await owner.post(`/admin/authorities/aurora/keys/${retired}/revoke`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.status, 'revoked');
    const [row] = await h.server.ctx.db
      .select()
      .from(authorityKeys)
      .where(and(eq(authorityKeys.authorityId, aurora.id), eq(authorityKeys.kid, retired)));
    assert.equal(row!.status, 'revoked');
    assert.ok(row!.revokedAt, 'the stored key records when it was revoked');
    assert.ok(!(await publishedKids(h, 'aurora')).includes(retired), 'a revoked key is not published');
    await assertOneActiveAndOneNextPerUse(h, aurora.id);

    const again = await owner.post(`/admin/authorities/aurora/keys/${retired}/revoke`);
    assert.equal(again.status, 200);
    assert.equal(again.body.status, 'revoked');
    const audits = (await auditEntries(h, aurora.id, ['key.revoke'])).filter((e) => e.target === retired);
    assert.equal(audits.length, 1, 'the second revocation changed nothing and was not recorded as a change');
  });

  test('revoking a next key withdraws it and publishes a fresh next key in its place', async () => {
    const before = await assertOneActiveAndOneNextPerUse(h, aurora.id);
    const res = await owner.post(`/admin/authorities/aurora/keys/${before.enc.next}/revoke`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.status, 'revoked');
    const after = await assertOneActiveAndOneNextPerUse(h, aurora.id);
    assert.notEqual(after.enc.next, before.enc.next);
    assert.equal(after.enc.active, before.enc.active);
    const published = await publishedKids(h, 'aurora');
    assert.ok(!published.includes(before.enc.next), 'the revoked next key is no longer published');
    assert.ok(published.includes(after.enc.next), 'the fresh next key is published');
    // The next rotation promotes the replacement, never the revoked key.
    assert.equal((await rotate(owner, { use: 'enc' })).status, 200);
    assert.equal((await assertOneActiveAndOneNextPerUse(h, aurora.id)).enc.active, after.enc.next);
  });

  test('the active key cannot be revoked, and an unknown or foreign kid is key_unknown', async () => {
    const keys = await assertOneActiveAndOneNextPerUse(h, aurora.id);
    expectProblem(await owner.post(`/admin/authorities/aurora/keys/${keys.sig.active}/revoke`), 409, 'key_state_invalid');
    expectProblem(await owner.post(`/admin/authorities/aurora/keys/${keys.enc.active}/revoke`), 409, 'key_state_invalid');
    const unknown = 'A'.repeat(43);
    expectProblem(await owner.post(`/admin/authorities/aurora/keys/${unknown}/revoke`), 404, 'key_unknown');
    expectProblem(await owner.post(`/admin/authorities/aurora/keys/${unknown}/retire`), 404, 'key_unknown');
    const borealisKeys = await assertOneActiveAndOneNextPerUse(h, borealis.id);
    expectProblem(await owner.post(`/admin/authorities/aurora/keys/${borealisKeys.sig.next}/revoke`), 404, 'key_unknown');
    expectProblem(await owner.post('/admin/authorities/aurora/keys/not-a-kid/revoke'), 400, 'invalid_request');
    assert.deepEqual(await assertOneActiveAndOneNextPerUse(h, aurora.id), keys);
    assert.deepEqual(await assertOneActiveAndOneNextPerUse(h, borealis.id), borealisKeys);
  });

  test('only an owner changes keys: admins and viewers may list them but are forbidden to rotate, retire or revoke', async () => {
    const keys = await assertOneActiveAndOneNextPerUse(h, aurora.id);
    for (const agent of [admin, viewer]) {
      assert.equal((await agent.get('/admin/authorities/aurora/keys')).status, 200);
      expectProblem(await rotate(agent), 403, 'forbidden');
      expectProblem(await agent.post(`/admin/authorities/aurora/keys/${keys.sig.active}/retire`), 403, 'forbidden');
      const retired = kidsOf(await storedKeys(h, aurora.id), 'sig', 'retired')[0]!;
      expectProblem(await agent.post(`/admin/authorities/aurora/keys/${retired}/revoke`), 403, 'forbidden');
    }
    expectProblem(await h.request().post('/admin/authorities/aurora/keys/rotate').send({ use: 'both' }), 401, 'unauthenticated');
    assert.deepEqual(await assertOneActiveAndOneNextPerUse(h, aurora.id), keys);
  });

  test("another authority's owner cannot rotate this authority's keys, nor learn that it exists", async () => {
    const keys = await assertOneActiveAndOneNextPerUse(h, aurora.id);
    expectProblem(await rotate(borealisOwner), 404, 'authority_unknown');
    expectProblem(await borealisOwner.get('/admin/authorities/aurora/keys'), 404, 'authority_unknown');
    expectProblem(await borealisOwner.post(`/admin/authorities/aurora/keys/${keys.sig.active}/retire`), 404, 'authority_unknown');
    assert.deepEqual(await assertOneActiveAndOneNextPerUse(h, aurora.id), keys);
  });

  test('every key change is audited with its actor and the kids it moved, and never a private key', async () => {
    const entries = await auditEntries(h, aurora.id, ['keys.rotate', 'key.retire', 'key.revoke']);
    assert.ok(
      entries.some((e) => e.action === 'keys.rotate' && e.actor === 'olga@aurora.test' && e.target === aurora.id),
      'the rotation is audited with its actor and the authority',
    );
    assert.ok(
      entries.some((e) => e.action === 'key.retire' && e.actor === 'olga@aurora.test'),
      'the retirement is audited with its actor',
    );
    assert.ok(
      entries.some((e) => e.action === 'key.revoke' && (e.details as { was: string }).was === 'retired'),
      'revoking a retired key is audited as such',
    );
    assert.ok(
      entries.some(
        (e) =>
          e.action === 'key.revoke' && (e.details as { was: string; replacedBy: string }).was === 'next' && (e.details as { replacedBy: string }).replacedBy,
      ),
      'revoking a next key is audited with the key that replaced it',
    );
    const sealed = (await storedKeys(h, aurora.id)).map((k) => k.privateJwkSealed);
    for (const e of entries) {
      const text = JSON.stringify(e.details);
      assert.ok(!/"d"\s*:/.test(text), 'no private JWK member');
      for (const s of sealed) assert.ok(!text.includes(s), 'no sealed private key');
    }
    // The audit log shows through the admin API as well.
    const listed = await viewer.get('/admin/authorities/aurora/audit').query({ action: 'keys.rotate' }).expect(200);
    assert.ok(listed.body.items.length >= 1, `the admin audit API lists the rotation: ${listed.body.items.length} entries`);
  });

  test('an authority created before next keys existed gets them announced at its first rotation, its active keys unchanged', async () => {
    const legacy = await h.authority({ slug: 'legacy' });
    await h.server.ctx.db.delete(authorityKeys).where(and(eq(authorityKeys.authorityId, legacy.id), eq(authorityKeys.status, 'next')));
    h.server.ctx.keyring.invalidate(legacy.id);
    const rows = await storedKeys(h, legacy.id);
    const active = { sig: kidsOf(rows, 'sig', 'active')[0]!, enc: kidsOf(rows, 'enc', 'active')[0]! };
    const ref = await h.server.ctx.authorities.bySlug('legacy');
    await assert.rejects(
      retireAuthorityKey(h.server.ctx, ref, TEST_ACTOR, active.sig),
      (e: TesseraProblem) => e.code === 'key_state_invalid',
      'no next key could take over',
    );

    const { rotations } = await rotateAuthorityKeys(h.server.ctx, ref, TEST_ACTOR, 'both');
    assert.deepEqual(
      rotations.map((r) => [r.use, r.activated, r.retired]),
      [
        ['sig', null, null],
        ['enc', null, null],
      ],
    );
    const announced = await assertOneActiveAndOneNextPerUse(h, legacy.id);
    assert.equal(announced.sig.active, active.sig, 'a key nobody has seen as next is never activated');
    assert.equal(announced.enc.active, active.enc);

    await rotateAuthorityKeys(h.server.ctx, ref, TEST_ACTOR, 'both');
    const rotated = await assertOneActiveAndOneNextPerUse(h, legacy.id);
    assert.equal(rotated.sig.active, announced.sig.next);
    assert.equal(rotated.enc.active, announced.enc.next);
  });

  test(`a key set holds at most ${PUBLISHED_KEY_LIMIT} keys: a rotation beyond is refused until retired keys are revoked`, async () => {
    const full = await h.authority({ slug: 'full' });
    const ref = await h.server.ctx.authorities.bySlug('full');
    while ((await storedKeys(h, full.id)).length + 2 <= PUBLISHED_KEY_LIMIT) await rotateAuthorityKeys(h.server.ctx, ref, TEST_ACTOR, 'both');
    await h.admin('fay@full.test', 'owner password 3', [{ authorityId: full.id, role: 'owner' }]);
    const fullOwner = await h.adminAgent('fay@full.test', 'owner password 3');
    const keysBefore = await assertOneActiveAndOneNextPerUse(h, full.id);
    expectProblem(await rotate(fullOwner, { use: 'both' }, 'full'), 409, 'key_state_invalid');
    assert.deepEqual(await assertOneActiveAndOneNextPerUse(h, full.id), keysBefore, 'the refused rotation changed nothing');
    assert.equal((await publishedKids(h, 'full')).length, PUBLISHED_KEY_LIMIT, 'a full key set is still served');
    assert.equal((await h.request().get('/t/full/.well-known/tessera-authority')).status, 200);

    const oldest = (await storedKeys(h, full.id)).filter((k) => k.status === 'retired').sort((a, b) => a.retiredAt!.getTime() - b.retiredAt!.getTime());
    for (const k of oldest.slice(0, 2)) assert.equal((await fullOwner.post(`/admin/authorities/full/keys/${k.kid}/revoke`)).status, 200);
    assert.equal((await rotate(fullOwner, { use: 'both' }, 'full')).status, 200);
    await assertOneActiveAndOneNextPerUse(h, full.id);
  });
});
