import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { and, eq, isNull } from 'drizzle-orm';
import type supertest from 'supertest';
import { auditLog, invoices, ledgerEntries } from '../../src/storage/schema.ts';
import { expectProblem, startHarness, type Harness } from '../support/harness.ts';
import { insertCharge } from './billing-fixtures.ts';

const PW = 'a long admin password';

const text = (req: supertest.Test) =>
  req.buffer(true).parse((r, cb) => {
    let data = '';
    r.setEncoding('utf8');
    r.on('data', (c: string) => (data += c));
    r.on('end', () => cb(null, data));
  });

describe('invoices', () => {
  let h: Harness;
  let a: { id: string; slug: string };
  let billing: supertest.Agent;
  let alice: { id: string };
  let bob: { id: string };
  before(async () => {
    h = await startHarness();
    a = await h.authority({ slug: 'aurora' });
    await h.admin('bill@aurora.example', PW, [{ authorityId: a.id, role: 'billing' }]);
    billing = await h.adminAgent('bill@aurora.example', PW);
    alice = await h.user(a.id, 'alice');
    bob = await h.user(a.id, 'bob');
    const c = 'cnt_film';
    await insertCharge(h, a.id, { userId: alice.id, contentId: c, amount: 799, at: '2026-10-01T00:00:00Z' });
    await insertCharge(h, a.id, { kind: 'move', userId: alice.id, contentId: c, amount: 99, at: '2026-10-31T23:59:59Z' });
    await insertCharge(h, a.id, { userId: bob.id, contentId: c, amount: 500, at: '2026-10-10T10:00:00Z' });
    // Not billed to a user, or outside the period: not on October's invoices.
    await insertCharge(h, a.id, {
      kind: 'federation_fee',
      userId: null,
      contentId: c,
      amount: 25,
      at: '2026-10-12T00:00:00Z',
      counterparty: 'https://peer.example/t/p',
    });
    await insertCharge(h, a.id, { userId: bob.id, contentId: c, amount: 300, at: '2026-11-01T00:00:00Z' });
  });
  after(() => h.close());

  test('issuing a month gives one invoice per user with the right totals, and links the entries', async () => {
    const res = await billing.post('/admin/authorities/aurora/invoices').send({ period: '2026-10' }).expect(201);
    assert.equal(res.body.period, '2026-10');
    const byUser = Object.fromEntries(res.body.issued.map((i: { username: string }) => [i.username, i]));
    assert.equal(res.body.issued.length, 2);
    assert.equal(byUser.alice.total, 898);
    assert.equal(byUser.alice.lines, 2);
    assert.equal(byUser.bob.total, 500);
    assert.equal(byUser.bob.lines, 1);
    assert.deepEqual(res.body.issued.map((i: { number: string }) => i.number).sort(), ['AURORA-202610-0001', 'AURORA-202610-0002']);
    assert.equal(byUser.alice.status, 'issued');
    assert.equal(byUser.alice.currency, 'EUR');

    const linked = await h.server.ctx.db.select().from(ledgerEntries).where(eq(ledgerEntries.invoiceId, byUser.alice.id));
    assert.equal(linked.length, 2);
    const open = await h.server.ctx.db
      .select()
      .from(ledgerEntries)
      .where(and(eq(ledgerEntries.authorityId, a.id), isNull(ledgerEntries.invoiceId)));
    assert.deepEqual(open.map((e) => e.amount).sort(), [25, 300], 'the federation fee and November stay uninvoiced');

    const detail = await billing.get(`/admin/authorities/aurora/invoices/${byUser.alice.id}`).expect(200);
    assert.equal(detail.body.entries.length, 2);
    assert.deepEqual(detail.body.entries.map((e: { amount: number }) => e.amount).sort(), [799, 99].sort());
    const audits = await h.server.ctx.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.authorityId, a.id), eq(auditLog.action, 'invoice.issued')));
    assert.equal(audits.length, 2);
  });

  test('issuing the same month again issues nothing new', async () => {
    const again = await billing.post('/admin/authorities/aurora/invoices').send({ period: '2026-10' }).expect(201);
    assert.deepEqual(again.body.issued, []);
    assert.equal((await h.server.ctx.db.select().from(invoices).where(eq(invoices.authorityId, a.id))).length, 2);
  });

  test("a late charge for an invoiced month rolls forward onto the user's next month's invoice", async () => {
    const late = await insertCharge(h, a.id, { userId: alice.id, contentId: 'cnt_film', amount: 111, at: '2026-10-30T00:00:00Z' });
    const october = await billing.post('/admin/authorities/aurora/invoices').send({ period: '2026-10' }).expect(201);
    assert.deepEqual(october.body.issued, [], 'alice already has her October invoice');
    const november = await billing.post('/admin/authorities/aurora/invoices').send({ period: '2026-11' }).expect(201);
    const byUser = Object.fromEntries(november.body.issued.map((i: { username: string }) => [i.username, i]));
    assert.equal(byUser.alice.total, 111);
    assert.equal(byUser.bob.total, 300);
    const [entry] = await h.server.ctx.db.select().from(ledgerEntries).where(eq(ledgerEntries.id, late));
    assert.equal(entry!.invoiceId, byUser.alice.id);
  });

  test('two concurrent runs for one month never invoice twice', async () => {
    const carol = await h.user(a.id, 'carol');
    for (let i = 0; i < 5; i++) await insertCharge(h, a.id, { userId: carol.id, contentId: 'cnt_film', amount: 10 + i, at: `2026-12-0${i + 1}T00:00:00Z` });
    await insertCharge(h, a.id, { userId: bob.id, contentId: 'cnt_film', amount: 7, at: '2026-12-24T00:00:00Z' });
    const second = await h.adminAgent('bill@aurora.example', PW);
    const runs = await Promise.all([
      billing.post('/admin/authorities/aurora/invoices').send({ period: '2026-12' }),
      second.post('/admin/authorities/aurora/invoices').send({ period: '2026-12' }),
      billing.post('/admin/authorities/aurora/invoices').send({ period: '2026-12' }),
    ]);
    for (const r of runs) assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(
      runs.reduce((n, r) => n + r.body.issued.length, 0),
      2,
    );
    const december = await h.server.ctx.db
      .select()
      .from(invoices)
      .where(and(eq(invoices.authorityId, a.id), eq(invoices.period, '2026-12')));
    assert.equal(december.length, 2);
    assert.equal(december.find((i) => i.userId === carol.id)!.total, 60);
    assert.equal(december.find((i) => i.userId === carol.id)!.lines, 5);
  });

  test('invoices are listed newest first and filtered by period and user', async () => {
    const all = await billing.get('/admin/authorities/aurora/invoices').expect(200);
    assert.equal(all.body.items.length, 6);
    const oct = await billing.get('/admin/authorities/aurora/invoices?period=2026-10').expect(200);
    assert.equal(oct.body.items.length, 2);
    const bobs = await billing.get(`/admin/authorities/aurora/invoices?userId=${bob.id}`).expect(200);
    assert.deepEqual(bobs.body.items.map((i: { period: string }) => i.period).sort(), ['2026-10', '2026-11', '2026-12']);
    const page = await billing.get('/admin/authorities/aurora/invoices?limit=4').expect(200);
    assert.equal(page.body.items.length, 4);
    const rest = await billing.get(`/admin/authorities/aurora/invoices?limit=4&cursor=${page.body.nextCursor}`).expect(200);
    assert.equal(rest.body.items.length, 2);
    assert.equal(rest.body.nextCursor, null);
  });

  test('an invoice is marked paid or void once; a void invoice keeps its entries; changes are audited', async () => {
    const [inv] = await h.server.ctx.db
      .select()
      .from(invoices)
      .where(and(eq(invoices.authorityId, a.id), eq(invoices.userId, bob.id), eq(invoices.period, '2026-10')));
    const paid = await billing.patch(`/admin/authorities/aurora/invoices/${inv!.id}`).send({ status: 'paid' }).expect(200);
    assert.equal(paid.body.status, 'paid');
    expectProblem(await billing.patch(`/admin/authorities/aurora/invoices/${inv!.id}`).send({ status: 'void' }), 409, 'conflict');

    const [other] = await h.server.ctx.db
      .select()
      .from(invoices)
      .where(and(eq(invoices.authorityId, a.id), eq(invoices.userId, alice.id), eq(invoices.period, '2026-10')));
    await billing.patch(`/admin/authorities/aurora/invoices/${other!.id}`).send({ status: 'void' }).expect(200);
    const detail = await billing.get(`/admin/authorities/aurora/invoices/${other!.id}`).expect(200);
    assert.equal(detail.body.status, 'void');
    assert.equal(detail.body.entries.length, 2);
    expectProblem(await billing.patch(`/admin/authorities/aurora/invoices/${other!.id}`).send({ status: 'paid' }), 409, 'conflict');
    const audit = await billing.get('/admin/authorities/aurora/audit?action=invoice.void').expect(200);
    assert.equal(audit.body.items.length, 1);
    assert.equal(audit.body.items[0].target, other!.id);
    expectProblem(await billing.get('/admin/authorities/aurora/invoices/inv_doesnotexist0000000'), 404, 'not_found');
  });

  test('invoices export as CSV', async () => {
    const res = await text(billing.get('/admin/authorities/aurora/invoices.csv?period=2026-10')).expect(200);
    assert.equal(res.headers['content-type'], 'text/csv; charset=utf-8');
    assert.match(String(res.headers['content-disposition']), /attachment; filename="aurora-invoices-2026-10.csv"/);
    const lines = (res.body as string).trim().split('\r\n');
    assert.equal(lines[0], '"id","number","user_id","username","period","total_minor_units","currency","lines","status","issued_at"');
    assert.equal(lines.length, 3);
    assert.ok(
      lines.some((l) => l.includes('"AURORA-202610-0001"')),
      'the CSV holds the invoice numbered AURORA-202610-0001',
    );
  });

  test("another authority's invoice is unknown here", async () => {
    const b = await h.authority({ slug: 'borealis' });
    const dora = await h.user(b.id, 'dora');
    await insertCharge(h, b.id, { userId: dora.id, contentId: 'cnt_x', amount: 5, at: '2026-10-02T00:00:00Z' });
    await h.admin('owner@borealis.example', PW, [{ authorityId: b.id, role: 'owner' }]);
    const ownerB = await h.adminAgent('owner@borealis.example', PW);
    const issued = await ownerB.post('/admin/authorities/borealis/invoices').send({ period: '2026-10' }).expect(201);
    assert.equal(issued.body.issued[0].number, 'BOREALIS-202610-0001');
    expectProblem(await billing.get(`/admin/authorities/aurora/invoices/${issued.body.issued[0].id}`), 404, 'not_found');
    expectProblem(await billing.patch(`/admin/authorities/aurora/invoices/${issued.body.issued[0].id}`).send({ status: 'paid' }), 404, 'not_found');
  });
});
