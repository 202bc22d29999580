import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { and, eq } from 'drizzle-orm';
import { schema } from '@tessera/license-server';
import { auroraDemo, seedDemoAuthority } from '../../servers/license-server/src/demo/seed-demo.ts';
import { startHarness, type Harness } from '../../servers/license-server/test/support/harness.ts';
import { device } from '../support/cli.ts';

/**
 * The README walkthrough, command for command, with the real `tessera-device` binary against
 * a real license server seeded exactly as `npm start` seeds it.
 */
describe('README walkthrough: two devices of alice', () => {
  let h: Harness;
  let issuer: string;
  let phone: string;
  let tablet: string;
  const small = { ...auroraDemo, contents: auroraDemo.contents.map((c) => ({ ...c, size: Math.min(c.size, 200_000) })) };

  before(async () => {
    h = await startHarness();
    await seedDemoAuthority(h.server.ctx, h.url, small);
    issuer = `${h.url}/t/aurora`;
    phone = path.join(h.dataDir, 'demo-phone');
    tablet = path.join(h.dataDir, 'demo-tablet');
  });
  after(() => h.close());

  test('both devices register with alice’s password and get distinct client and leaf IDs', async () => {
    const p = await device([
      '--home',
      phone,
      'register',
      '--authority',
      issuer,
      '--username',
      'alice',
      '--password',
      'wonderland',
      '--label',
      'phone',
      '--json',
    ]);
    assert.equal(p.code, 0, p.stderr);
    const t = await device([
      '--home',
      tablet,
      'register',
      '--authority',
      issuer,
      '--username',
      'alice',
      '--password',
      'wonderland',
      '--label',
      'tablet',
      '--json',
    ]);
    assert.equal(t.code, 0, t.stderr);
    assert.equal(p.json().authority, issuer);
    assert.notEqual(p.json().clientId, t.json().clientId);
    assert.notEqual(p.json().leafId, t.json().leafId);
    const who = await device(['--home', tablet, 'whoami', '--json']);
    assert.equal(who.json().user, 'alice');
  });

  test('the catalogue lists the three seeded contents with their readable IDs', async () => {
    const res = await device(['--home', phone, 'catalog', '--json']);
    assert.equal(res.code, 0, res.stderr);
    const ids = res
      .json()
      .map((c: { id: string }) => c.id)
      .sort();
    assert.deepEqual(ids, ['cnt_field-notes', 'cnt_northern-lights', 'cnt_songs-of-the-fjord']);
  });

  test('the phone acquires and plays the field notes; the sale is in the ledger at 2.99 EUR', async () => {
    const acquired = await device(['--home', phone, 'acquire', 'cnt_field-notes', '--json']);
    assert.equal(acquired.code, 0, acquired.stderr);
    const out = path.join(h.dataDir, 'field-notes-phone.txt');
    const played = await device(['--home', phone, 'play', 'cnt_field-notes', '--out', out]);
    assert.equal(played.code, 0, played.stderr);
    assert.equal(await readFile(out, 'utf8'), auroraDemo.contents[2]!.text);
    const ledger = await h.server.ctx.db.select().from(schema.ledgerEntries).where(eq(schema.ledgerEntries.kind, 'license'));
    assert.equal(ledger.length, 1);
    assert.equal(ledger[0]!.amount, 299);
    assert.equal(ledger[0]!.currency, 'EUR');
  });

  test('the phone moves the content to the tablet by its label, which plays it; the phone is refused', async () => {
    const bundle = path.join(h.dataDir, 'field-notes.bundle');
    const moved = await device(['--home', phone, 'move', 'cnt_field-notes', '--to', 'tablet', '--bundle', bundle, '--json']);
    assert.equal(moved.code, 0, moved.stderr);
    const received = await device(['--home', tablet, 'receive', bundle, '--json']);
    assert.equal(received.code, 0, received.stderr);
    const out = path.join(h.dataDir, 'field-notes-tablet.txt');
    const played = await device(['--home', tablet, 'play', 'cnt_field-notes', '--out', out]);
    assert.equal(played.code, 0, played.stderr);
    assert.equal(await readFile(out, 'utf8'), auroraDemo.contents[2]!.text);

    const refused = await device(['--home', phone, 'play', 'cnt_field-notes', '--out', path.join(h.dataDir, 'again.txt')]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^error: /);

    const db = h.server.ctx.db;
    const moves = await db.select().from(schema.moves);
    assert.equal(moves.length, 1);
    assert.ok(['completed', 'delivered'].includes(moves[0]!.state), `the move completed or was delivered: ${moves[0]!.state}`);
    const lic = await db.select().from(schema.licenses).where(eq(schema.licenses.contentId, 'cnt_field-notes'));
    assert.deepEqual(lic.map((l) => l.state).sort(), ['active', 'moved']);
    const moveCharge = await db
      .select()
      .from(schema.ledgerEntries)
      .where(and(eq(schema.ledgerEntries.kind, 'move'), eq(schema.ledgerEntries.moveId, moves[0]!.id)));
    assert.equal(moveCharge.length, 1);
    assert.equal(moveCharge[0]!.amount, 99);
  });

  test('buying again on the phone is a new sale, not a revival of the moved license', async () => {
    const res = await device(['--home', phone, 'license', 'cnt_field-notes', '--json']);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.json().charged.amount, 299);
  });
});
