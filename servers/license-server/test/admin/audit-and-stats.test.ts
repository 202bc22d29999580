import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { newId } from '@tessera/protocol';
import { sql } from 'drizzle-orm';
import type supertest from 'supertest';
import { clients, licenses, moves } from '../../src/storage/schema.ts';
import { insertCharge, insertContent } from '../billing/billing-fixtures.ts';
import { startHarness, type Harness } from '../support/harness.ts';

const PW = 'a long admin password';
const DAY = 24 * 3600 * 1000;
const dayOf = (d: Date) => d.toISOString().slice(0, 10);

describe('audit log and overview', () => {
  let h: Harness;
  let a: { id: string; slug: string; issuer: string };
  let owner: supertest.Agent;
  const now = new Date();
  const yesterday = new Date(now.getTime() - DAY);
  const longAgo = new Date(now.getTime() - 90 * DAY);

  before(async () => {
    h = await startHarness();
    a = await h.authority({ slug: 'aurora' });
    const b = await h.authority({ slug: 'borealis' });
    await h.admin('owner@aurora.example', PW, [{ authorityId: a.id, role: 'owner' }]);
    owner = await h.adminAgent('owner@aurora.example', PW);
    const db = h.server.ctx.db;

    const alice = await h.user(a.id, 'alice');
    const bob = await h.user(a.id, 'bob');
    await h.user(b.id, 'someone-else');
    const film = await insertContent(h, a.id, 'Film');
    const song = await insertContent(h, a.id, 'Song');
    let leaf = 0;
    const device = async (userId: string, at: Date, status: 'active' | 'revoked' = 'active') => {
      const id = newId('client');
      await db.insert(clients).values({
        authorityId: a.id,
        id,
        userId,
        leafId: leaf++,
        publicJwk: { kty: 'EC', crv: 'P-256', x: id, y: id },
        thumbprint: id,
        certificate: 'x.y.z',
        status,
        registeredAt: at,
      });
      return id;
    };
    const d1 = await device(alice.id, now);
    const d2 = await device(alice.id, yesterday);
    await device(bob.id, longAgo, 'revoked');
    const license = async (clientId: string, contentId: string, at: Date, state: 'active' | 'moved' = 'active') =>
      db.insert(licenses).values({
        authorityId: a.id,
        id: newId('license'),
        contentId,
        clientId,
        userId: alice.id,
        rights: { play: true },
        state,
        originType: 'purchase',
        token: 'x.y.z',
        issuedAt: at,
      });
    await license(d1, film, now);
    await license(d2, film, yesterday, 'moved');
    await license(d2, song, longAgo);
    const move = (state: 'completed' | 'aborted', dst: string, at: Date) =>
      db.insert(moves).values({
        authorityId: a.id,
        id: newId('move'),
        role: 'source',
        state,
        contentId: film,
        userId: alice.id,
        srcIssuer: a.issuer,
        srcClientId: d2,
        srcLicenseId: 'lic_x',
        dstIssuer: dst,
        dstClientId: d1,
        createdAt: at,
      });
    await move('completed', a.issuer, yesterday);
    await move('completed', 'https://peer.example/t/p', now);
    await move('aborted', 'https://peer.example/t/p', now);
    await insertCharge(h, a.id, { userId: alice.id, contentId: film, amount: 500, at: now.toISOString() });
    await insertCharge(h, a.id, { userId: alice.id, contentId: film, amount: 99, at: yesterday.toISOString(), kind: 'move' });
    await insertCharge(h, a.id, { userId: alice.id, contentId: song, amount: 700, at: longAgo.toISOString() });
    await insertCharge(h, a.id, { userId: alice.id, contentId: song, amount: 1, at: now.toISOString(), currency: 'USD' });
  });
  after(() => h.close());

  test('the audit log lists admin actions newest first, filtered by action and actor, and pages', async () => {
    await owner.patch('/admin/authorities/aurora').send({ name: 'Aurora 1' }).expect(200);
    await owner.patch('/admin/authorities/aurora').send({ name: 'Aurora 2' }).expect(200);
    await owner.patch('/admin/authorities/aurora/prices').send({ license: 10 }).expect(200);
    const all = await owner.get('/admin/authorities/aurora/audit').expect(200);
    assert.deepEqual(
      all.body.items.map((e: { action: string }) => e.action),
      ['prices.updated', 'authority.updated', 'authority.updated'],
    );
    assert.equal(all.body.items[0].actor, 'owner@aurora.example');
    const updates = await owner.get('/admin/authorities/aurora/audit?action=authority.updated&limit=1').expect(200);
    assert.equal(updates.body.items[0].details.after.name, 'Aurora 2');
    const next = await owner.get(`/admin/authorities/aurora/audit?action=authority.updated&limit=1&cursor=${updates.body.nextCursor}`).expect(200);
    assert.equal(next.body.items[0].details.after.name, 'Aurora 1');
    assert.equal(next.body.nextCursor, null);
    const nobody = await owner.get('/admin/authorities/aurora/audit?actor=someone@else.example').expect(200);
    assert.deepEqual(nobody.body.items, []);
  });

  test('the overview numbers equal what the database holds', async () => {
    const res = await owner.get('/admin/authorities/aurora/stats?days=7').expect(200);
    const db = h.server.ctx.db;
    const one = async (q: ReturnType<typeof sql>) => Number(((await db.execute(q)) as unknown as { rows: { n: unknown }[] }).rows[0]!.n);
    const expected = {
      users: await one(sql`select count(*) as n from users where authority_id = ${a.id}`),
      activeDevices: await one(sql`select count(*) as n from clients where authority_id = ${a.id} and status = 'active'`),
      contents: await one(sql`select count(*) as n from contents where authority_id = ${a.id}`),
      activeLicenses: await one(sql`select count(*) as n from licenses where authority_id = ${a.id} and state = 'active'`),
      moves: await one(sql`select count(*) as n from moves where authority_id = ${a.id} and state in ('completed', 'delivered')`),
      revenue: await one(sql`select coalesce(sum(amount), 0) as n from ledger_entries where authority_id = ${a.id} and currency = 'EUR'`),
    };
    assert.deepEqual(res.body.totals, expected);
    assert.deepEqual(expected, { users: 2, activeDevices: 2, contents: 2, activeLicenses: 2, moves: 2, revenue: 1299 });
    assert.equal(res.body.currency, 'EUR');

    assert.equal(res.body.daily.length, 7);
    assert.equal(res.body.daily[6].day, dayOf(now));
    assert.equal(res.body.daily[5].day, dayOf(yesterday));
    assert.deepEqual(res.body.daily[6], { day: dayOf(now), licenses: 1, moves: 1, devices: 1, revenue: 500 });
    assert.deepEqual(res.body.daily[5], { day: dayOf(yesterday), licenses: 1, moves: 1, devices: 1, revenue: 99 });
    for (const d of res.body.daily.slice(0, 5)) assert.deepEqual([d.licenses, d.moves, d.devices, d.revenue], [0, 0, 0, 0]);
    assert.deepEqual(res.body.movesByPeer, [{ peer: 'https://peer.example/t/p', moves: 1 }]);
  });

  test('the overview defaults to 30 days and refuses more than a year', async () => {
    const res = await owner.get('/admin/authorities/aurora/stats').expect(200);
    assert.equal(res.body.daily.length, 30);
    await owner.get('/admin/authorities/aurora/stats?days=367').expect(400);
  });
});
