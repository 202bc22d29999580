import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { and, eq } from 'drizzle-orm';
import { newId, unwrapContentKey } from '@tessera/protocol';
import { effectivePrice } from '../../src/billing/charges.ts';
import { issueLicense } from '../../src/licenses/issue-license.ts';
import { ledgerEntries, licenses, users } from '../../src/storage/schema.ts';
import { expectProblem, startHarness, type Harness, type TestDevice } from '../support/harness.ts';
import { addContent, registeredDevice, revokeDevice, storedRows, verifyLicense } from './license-fixtures.ts';

describe('license supply (claims 1, 6, 7)', () => {
  let h: Harness;
  let aurora: { id: string; slug: string; issuer: string };
  let borealis: { id: string; slug: string; issuer: string };
  let alice: { id: string; username: string; password: string };
  let phone: TestDevice;
  let tablet: TestDevice;

  const rowsFor = async (contentId: string) => {
    const rows = await storedRows(h, aurora.id);
    return { licenses: rows.licenses.filter((l) => l.contentId === contentId), ledger: rows.ledger.filter((e) => e.contentId === contentId) };
  };

  before(async () => {
    h = await startHarness();
    aurora = await h.authority({ slug: 'aurora', currency: 'EUR', prices: { license: 499, move: 99 } });
    borealis = await h.authority({ slug: 'borealis', prices: { license: 300, move: 50 } });
    alice = await h.user(aurora.id, 'alice');
    phone = await registeredDevice(h, 'aurora', alice, 'phone');
    tablet = await registeredDevice(h, 'aurora', alice, 'tablet');
  });
  after(() => h.close());

  test('a device obtains a license: a signed token addressed to it, and the sale recorded with it', async () => {
    const content = await addContent(h, aurora.id);
    const res = await phone.call('POST', '/licenses', { contentId: content.id });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.contentId, content.id);
    assert.equal(res.body.clientId, phone.clientId);
    assert.equal(res.body.state, 'active');
    assert.deepEqual(res.body.origin, { type: 'purchase' });
    assert.deepEqual(res.body.rights, { play: true });
    assert.deepEqual(res.body.charged, { amount: 499, currency: 'EUR' });

    const claims = await verifyLicense(h, 'aurora', res.body.token);
    assert.equal(claims.iss, aurora.issuer);
    assert.equal(claims.jti, res.body.licenseId);
    assert.equal(claims.sub, phone.clientId);
    assert.equal(claims.uid, alice.id);
    assert.equal(claims.cid, content.id);
    assert.deepEqual(claims.origin, { type: 'purchase' });
    assert.ok(claims.nbf <= Math.floor(Date.now() / 1000), `the license is valid from now on: nbf ${claims.nbf}`);
    const key = await unwrapContentKey(claims.key, phone.key.privateJwk);
    assert.deepEqual(Buffer.from(key), content.key, 'the device key unwraps the content key');
    await assert.rejects(unwrapContentKey(claims.key, tablet.key.privateJwk), 'no other device can unwrap it');

    const rows = await rowsFor(content.id);
    assert.equal(rows.licenses.length, 1);
    const [license] = rows.licenses;
    assert.equal(license!.id, res.body.licenseId);
    assert.equal(license!.state, 'active');
    assert.equal(license!.originType, 'purchase');
    assert.equal(license!.userId, alice.id);
    assert.equal(license!.clientId, phone.clientId);
    assert.equal(license!.token, res.body.token);
    assert.equal(rows.ledger.length, 1);
    const [entry] = rows.ledger;
    assert.equal(entry!.kind, 'license');
    assert.equal(entry!.licenseId, license!.id);
    assert.equal(entry!.userId, alice.id);
    assert.equal(entry!.amount, 499);
    assert.equal(entry!.currency, 'EUR');
    assert.equal(entry!.moveId, null);
  });

  test("a content's own license price overrides the price list", async () => {
    const content = await addContent(h, aurora.id, { licensePrice: 250 });
    const res = await phone.call('POST', '/licenses', { contentId: content.id });
    assert.equal(res.status, 201);
    assert.deepEqual(res.body.charged, { amount: 250, currency: 'EUR' });
    const rows = await rowsFor(content.id);
    assert.deepEqual(
      rows.ledger.map((e) => e.amount),
      [250],
    );
  });

  test('asking again returns the license the device already holds, without a second charge', async () => {
    const content = await addContent(h, aurora.id);
    const first = await phone.call('POST', '/licenses', { contentId: content.id });
    assert.equal(first.status, 201);
    const again = await phone.call('POST', '/licenses', { contentId: content.id });
    assert.equal(again.status, 200);
    assert.equal(again.body.licenseId, first.body.licenseId);
    assert.equal(again.body.token, first.body.token);
    assert.equal(again.body.charged, null);
    const rows = await rowsFor(content.id);
    assert.equal(rows.licenses.length, 1);
    assert.equal(rows.ledger.length, 1);
  });

  test('20 concurrent requests of one device for one content make one license and one charge', async () => {
    const content = await addContent(h, aurora.id);
    const answers = await Promise.all(Array.from({ length: 20 }, () => phone.call('POST', '/licenses', { contentId: content.id })));
    const statuses = answers.map((r) => r.status).sort();
    assert.equal(statuses.filter((s) => s === 201).length, 1, `statuses: ${statuses.join(',')}`);
    assert.equal(statuses.filter((s) => s === 200).length, 19);
    assert.equal(new Set(answers.map((r) => r.body.licenseId)).size, 1, 'every request got the same license');
    assert.equal(answers.filter((r) => r.body.charged !== null).length, 1);
    const rows = await rowsFor(content.id);
    assert.equal(rows.licenses.length, 1);
    assert.equal(rows.ledger.length, 1);
  });

  test('each device of a user gets, and pays for, its own license', async () => {
    const content = await addContent(h, aurora.id);
    const onPhone = await phone.call('POST', '/licenses', { contentId: content.id });
    const onTablet = await tablet.call('POST', '/licenses', { contentId: content.id });
    assert.equal(onPhone.status, 201);
    assert.equal(onTablet.status, 201);
    assert.notEqual(onPhone.body.licenseId, onTablet.body.licenseId);
    const claims = await verifyLicense(h, 'aurora', onTablet.body.token);
    assert.equal(claims.sub, tablet.clientId);
    const rows = await rowsFor(content.id);
    assert.equal(rows.licenses.length, 2);
    assert.equal(rows.ledger.length, 2);
  });

  test('an unknown content is refused', async () => {
    expectProblem(await phone.call('POST', '/licenses', { contentId: newId('content') }), 404, 'content_unknown');
  });

  test("another authority's content is unknown here, exactly like a content that does not exist", async () => {
    const foreign = await addContent(h, borealis.id);
    const res = expectProblem(await phone.call('POST', '/licenses', { contentId: foreign.id }), 404, 'content_unknown');
    assert.doesNotMatch(res.detail ?? '', /borealis/);
    assert.equal((await storedRows(h, borealis.id)).licenses.length, 0);
  });

  test('a withdrawn content is refused and nothing is recorded', async () => {
    const content = await addContent(h, aurora.id, { status: 'withdrawn' });
    expectProblem(await phone.call('POST', '/licenses', { contentId: content.id }), 409, 'content_unavailable');
    const rows = await rowsFor(content.id);
    assert.equal(rows.licenses.length, 0);
    assert.equal(rows.ledger.length, 0);
  });

  test('without a price nothing is given away: price_missing, and no rows written', async () => {
    const cassiopeia = await h.authority({ slug: 'cassiopeia' });
    const bob = await h.user(cassiopeia.id, 'bob');
    const device = await registeredDevice(h, 'cassiopeia', bob);
    const content = await addContent(h, cassiopeia.id);
    expectProblem(await device.call('POST', '/licenses', { contentId: content.id }), 409, 'price_missing');
    const rows = await storedRows(h, cassiopeia.id);
    assert.equal(rows.licenses.length, 0);
    assert.equal(rows.ledger.length, 0);
  });

  test('a failure in the middle of a supply leaves none of its rows', async () => {
    const content = await addContent(h, aurora.id);
    // A ledger entry already holds the ID the charge will be given, so the charge fails after
    // the license row was inserted, inside the same transaction.
    const takenId = newId('ledgerEntry');
    await h.server.ctx.db
      .insert(ledgerEntries)
      .values({ authorityId: aurora.id, id: takenId, kind: 'federation_fee', contentId: content.id, amount: 1, currency: 'EUR' });
    const authority = await h.server.ctx.authorities.bySlug('aurora');
    await assert.rejects(issueLicense(h.server.ctx, { authority, clientId: phone.clientId, userId: alice.id }, content.id, { ledgerEntryId: takenId }));
    const rows = await rowsFor(content.id);
    assert.equal(rows.licenses.length, 0, 'the license insert was rolled back with the failed charge');
    assert.deepEqual(
      rows.ledger.map((e) => e.id),
      [takenId],
    );
    // And the device can still buy it afterwards.
    const res = await phone.call('POST', '/licenses', { contentId: content.id });
    assert.equal(res.status, 201);
  });

  test('a device lists its own licenses and reads their state; another device’s license is unknown to it', async () => {
    const content = await addContent(h, aurora.id);
    const bought = await tablet.call('POST', '/licenses', { contentId: content.id });
    assert.equal(bought.status, 201);
    const list = await tablet.call('GET', '/licenses');
    assert.equal(list.status, 200);
    assert.ok(
      list.body.items.every((l: { clientId: string }) => l.clientId === tablet.clientId),
      'the device lists only its own licenses',
    );
    assert.ok(
      list.body.items.some((l: { licenseId: string }) => l.licenseId === bought.body.licenseId),
      'the device lists the license it bought',
    );
    const status = await tablet.call('GET', `/licenses/${bought.body.licenseId}`);
    assert.equal(status.status, 200);
    assert.equal(status.body.state, 'active');
    assert.deepEqual(status.body.origin, { type: 'purchase' });
    expectProblem(await phone.call('GET', `/licenses/${bought.body.licenseId}`), 404, 'license_unknown');
    expectProblem(await tablet.call('GET', `/licenses/${newId('license')}`), 404, 'license_unknown');
    const phoneList = await phone.call('GET', '/licenses');
    assert.ok(!phoneList.body.items.some((l: { licenseId: string }) => l.licenseId === bought.body.licenseId), 'another device does not list the license');
  });

  test('a request with unknown fields or a malformed content ID is refused before anything happens', async () => {
    expectProblem(await phone.call('POST', '/licenses', { contentId: newId('content'), price: 0 }), 400, 'invalid_request');
    expectProblem(await phone.call('POST', '/licenses', { contentId: 'not an id' }), 400, 'invalid_request');
  });

  test('a revoked device and a suspended user get no license', async () => {
    const content = await addContent(h, aurora.id);
    const carol = await h.user(aurora.id, 'carol');
    const revoked = await registeredDevice(h, 'aurora', carol);
    const suspended = await registeredDevice(h, 'aurora', await h.user(aurora.id, 'dave'));
    await revokeDevice(h, aurora.id, revoked.clientId);
    expectProblem(await revoked.call('POST', '/licenses', { contentId: content.id }), 403, 'client_revoked');
    await h.server.ctx.db
      .update(users)
      .set({ status: 'suspended' })
      .where(and(eq(users.authorityId, aurora.id), eq(users.username, 'dave')));
    expectProblem(await suspended.call('POST', '/licenses', { contentId: content.id }), 403, 'user_suspended');
    const rows = await rowsFor(content.id);
    assert.equal(rows.licenses.length, 0);
    assert.equal(rows.ledger.length, 0);
  });

  test('the effective price of a supply: the content override, else the price list, else price_missing', async () => {
    const db = h.server.ctx.db;
    const plain = await addContent(h, aurora.id);
    const special = await addContent(h, aurora.id, { licensePrice: 1200, movePrice: 0 });
    assert.deepEqual(await effectivePrice(db, aurora.id, 'license', plain.id), { amount: 499, currency: 'EUR' });
    assert.deepEqual(await effectivePrice(db, aurora.id, 'move', plain.id), { amount: 99, currency: 'EUR' });
    assert.deepEqual(await effectivePrice(db, aurora.id, 'license', special.id), { amount: 1200, currency: 'EUR' });
    assert.deepEqual(await effectivePrice(db, aurora.id, 'move', special.id), { amount: 0, currency: 'EUR' }, 'a zero override is a price, not a missing one');
    await assert.rejects(effectivePrice(db, aurora.id, 'federation_fee', plain.id), (e: { code?: string }) => e.code === 'price_missing');
    // Another authority's content has no override here: the list price applies.
    const foreign = await addContent(h, borealis.id, { licensePrice: 1 });
    assert.deepEqual(await effectivePrice(db, aurora.id, 'license', foreign.id), { amount: 499, currency: 'EUR' });
  });

  test('a license row never exists without its charge', async () => {
    const rows = await h.server.ctx.db.select({ id: licenses.id, origin: licenses.originType }).from(licenses).where(eq(licenses.authorityId, aurora.id));
    const charges = await h.server.ctx.db
      .select({ licenseId: ledgerEntries.licenseId })
      .from(ledgerEntries)
      .where(and(eq(ledgerEntries.authorityId, aurora.id), eq(ledgerEntries.kind, 'license')));
    const charged = new Set(charges.map((c) => c.licenseId));
    for (const l of rows.filter((r) => r.origin === 'purchase')) assert.ok(charged.has(l.id), `license ${l.id} has its charge`);
    assert.equal(charges.length, rows.filter((r) => r.origin === 'purchase').length);
  });
});
