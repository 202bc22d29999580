import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { and, eq } from 'drizzle-orm';
import type supertest from 'supertest';
import { auditLog, authorities, prices } from '../../src/storage/schema.ts';
import { expectProblem, startHarness, type Harness } from '../support/harness.ts';
import { insertCharge, insertContent } from './billing-fixtures.ts';

const PW = 'a long admin password';

/** Parses RFC 4180 CSV (quoted fields, doubled quotes, CRLF). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(field), (field = '');
    else if (c === '\n') row.push(field), rows.push(row), (row = []), (field = '');
    else if (c !== '\r') field += c;
  }
  return rows;
}

describe('prices and the ledger', () => {
  let h: Harness;
  let a: { id: string; slug: string };
  let billing: supertest.Agent;
  let alice: { id: string };
  let bob: { id: string };
  let film: string;
  before(async () => {
    h = await startHarness();
    a = await h.authority({ slug: 'aurora', prices: { license: 499, move: 99 } });
    const other = await h.authority({ slug: 'borealis', prices: { license: 1 } });
    await h.admin('bill@aurora.example', PW, [{ authorityId: a.id, role: 'billing' }]);
    billing = await h.adminAgent('bill@aurora.example', PW);
    alice = await h.user(a.id, 'alice');
    bob = await h.user(a.id, '+bob');
    film = await insertContent(h, a.id, 'Film, "the" one', { licensePrice: 799 });
    await insertContent(h, a.id, 'Plain');
    // Entries of another authority never show up.
    const carol = await h.user(other.id, 'carol');
    await insertCharge(h, other.id, { userId: carol.id, contentId: 'cnt_other', amount: 1, at: '2026-10-05T10:00:00Z' });
  });
  after(() => h.close());

  test('the price list shows the prices, the currency and the per-content overrides', async () => {
    const res = await billing.get('/admin/authorities/aurora/prices').expect(200);
    assert.deepEqual(res.body, {
      currency: 'EUR',
      license: 499,
      move: 99,
      federationFee: null,
      overrides: [{ contentId: film, title: 'Film, "the" one', license: 799, move: null }],
    });
  });

  test('billing changes prices: a number sets a price, null removes it, the currency goes to the authority; it is audited', async () => {
    const res = await billing.patch('/admin/authorities/aurora/prices').send({ license: 599, move: null, federationFee: 25, currency: 'CHF' }).expect(200);
    assert.equal(res.body.license, 599);
    assert.equal(res.body.move, null);
    assert.equal(res.body.federationFee, 25);
    assert.equal(res.body.currency, 'CHF');
    const rows = await h.server.ctx.db.select().from(prices).where(eq(prices.authorityId, a.id));
    assert.deepEqual(rows.map((r) => `${r.kind}=${r.amount}`).sort(), ['federation_fee=25', 'license=599']);
    const [authority] = await h.server.ctx.db.select().from(authorities).where(eq(authorities.id, a.id));
    assert.equal(authority!.currency, 'CHF');
    const [audit] = await h.server.ctx.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.authorityId, a.id), eq(auditLog.action, 'prices.updated')));
    assert.equal(audit!.actor, 'bill@aurora.example');
    assert.deepEqual(audit!.details, {
      before: { currency: 'EUR', license: 499, move: 99, federationFee: null },
      after: { currency: 'CHF', license: 599, move: null, federationFee: 25 },
    });
    const list = await billing.get('/admin/authorities/aurora/audit?action=prices.updated').expect(200);
    assert.equal(list.body.items.length, 1);
    await billing.patch('/admin/authorities/aurora/prices').send({ currency: 'EUR' }).expect(200);
  });

  test('an unknown field or a negative price is refused as invalid_request', async () => {
    expectProblem(await billing.patch('/admin/authorities/aurora/prices').send({ license: -1 }), 400, 'invalid_request');
    expectProblem(await billing.patch('/admin/authorities/aurora/prices').send({ discount: 5 }), 400, 'invalid_request');
  });

  test('the ledger lists entries newest first with usernames, filters by kind, user and UTC month, and pages with a cursor', async () => {
    const ids = {
      oct1: await insertCharge(h, a.id, { userId: alice.id, contentId: film, amount: 799, at: '2026-10-01T00:00:00Z' }),
      oct2: await insertCharge(h, a.id, { kind: 'move', userId: alice.id, contentId: film, amount: 99, at: '2026-10-31T23:59:59.999Z' }),
      oct3: await insertCharge(h, a.id, { userId: bob.id, contentId: film, amount: 799, at: '2026-10-15T12:00:00Z' }),
      nov1: await insertCharge(h, a.id, { userId: bob.id, contentId: film, amount: 499, at: '2026-11-01T00:00:00Z' }),
      fee: await insertCharge(h, a.id, {
        kind: 'federation_fee',
        userId: null,
        contentId: film,
        amount: 25,
        at: '2026-10-20T08:00:00Z',
        counterparty: 'https://peer.example/t/x',
      }),
    };
    const all = await billing.get('/admin/authorities/aurora/ledger').expect(200);
    assert.deepEqual(
      all.body.items.map((e: { id: string }) => e.id),
      [ids.nov1, ids.oct2, ids.fee, ids.oct3, ids.oct1],
    );
    assert.equal(all.body.items[1].username, 'alice');
    assert.equal(all.body.items[2].username, null);
    assert.equal(all.body.items[2].counterparty, 'https://peer.example/t/x');
    assert.equal(all.body.nextCursor, null);

    const october = await billing.get('/admin/authorities/aurora/ledger?period=2026-10').expect(200);
    assert.deepEqual(
      october.body.items.map((e: { id: string }) => e.id),
      [ids.oct2, ids.fee, ids.oct3, ids.oct1],
    );
    const moves = await billing.get('/admin/authorities/aurora/ledger?kind=move').expect(200);
    assert.deepEqual(
      moves.body.items.map((e: { id: string }) => e.id),
      [ids.oct2],
    );
    const bobs = await billing.get(`/admin/authorities/aurora/ledger?userId=${bob.id}`).expect(200);
    assert.deepEqual(
      bobs.body.items.map((e: { id: string }) => e.id),
      [ids.nov1, ids.oct3],
    );

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: supertest.Response = await billing.get(`/admin/authorities/aurora/ledger?limit=2${cursor ? `&cursor=${cursor}` : ''}`).expect(200);
      assert.ok(page.body.items.length <= 2, `a page holds at most the limit of 2: ${page.body.items.length}`);
      seen.push(...page.body.items.map((e: { id: string }) => e.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    assert.deepEqual(seen, [ids.nov1, ids.oct2, ids.fee, ids.oct3, ids.oct1]);
    expectProblem(await billing.get('/admin/authorities/aurora/ledger?cursor=garbage'), 400, 'invalid_request');
    expectProblem(await billing.get('/admin/authorities/aurora/ledger?period=2026-13'), 400, 'invalid_request');
  });

  test('the ledger exports as CSV: a download with a header row, every field quoted, quotes doubled, formulas defused', async () => {
    const res = await billing
      .get('/admin/authorities/aurora/ledger.csv?period=2026-10')
      .buffer(true)
      .parse((r, cb) => {
        let data = '';
        r.setEncoding('utf8');
        r.on('data', (c: string) => (data += c));
        r.on('end', () => cb(null, data));
      })
      .expect(200);
    assert.equal(res.headers['content-type'], 'text/csv; charset=utf-8');
    assert.match(String(res.headers['content-disposition']), /^attachment; filename="aurora-ledger-2026-10.csv"$/);
    const text = res.body as string;
    const rows = parseCsv(text);
    assert.deepEqual(rows[0], [
      'id',
      'created_at',
      'kind',
      'user_id',
      'username',
      'counterparty',
      'content_id',
      'license_id',
      'move_id',
      'amount_minor_units',
      'currency',
      'invoice_id',
    ]);
    assert.equal(rows.length, 5);
    const bobRow = rows.find((r) => r[3] === bob.id)!;
    assert.equal(bobRow[4], "'+bob", 'a username that a spreadsheet would run as a formula is prefixed');
    assert.equal(bobRow[9], '799');
    assert.ok(text.split('\r\n')[1]!.startsWith('"led_'), 'every field is quoted');
  });

  test('the CSV export streams every row of a ledger larger than one internal page', async () => {
    const { ledgerEntries } = await import('../../src/storage/schema.ts');
    const { newId } = await import('@tessera/protocol');
    const base = Date.parse('2026-09-01T00:00:00Z');
    const rows = Array.from({ length: 2100 }, (_, i) => ({
      authorityId: a.id,
      id: newId('ledgerEntry'),
      kind: 'license' as const,
      userId: alice.id,
      contentId: film,
      amount: 1,
      currency: 'EUR',
      // Many rows share one millisecond: the keyset cursor must not skip them.
      createdAt: new Date(base + Math.floor(i / 7)),
    }));
    for (let i = 0; i < rows.length; i += 500) await h.server.ctx.db.insert(ledgerEntries).values(rows.slice(i, i + 500));
    const res = await billing
      .get('/admin/authorities/aurora/ledger.csv?period=2026-09')
      .buffer(true)
      .parse((r, cb) => {
        let data = '';
        r.setEncoding('utf8');
        r.on('data', (c: string) => (data += c));
        r.on('end', () => cb(null, data));
      })
      .expect(200);
    const parsed = parseCsv(res.body as string);
    assert.equal(parsed.length, 2101);
    assert.equal(new Set(parsed.slice(1).map((r) => r[0])).size, 2100);
  });
});
