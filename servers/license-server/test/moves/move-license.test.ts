import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { newId, unwrapContentKey } from '@tessera/protocol';
import { expectProblem, startHarness, type Harness, type TestDevice } from '../support/harness.ts';
import {
  addContent,
  registeredDevice,
  revokeDevice,
  storedRows,
  verifyCopyCertificate,
  verifyLicense,
  type TestContent,
} from '../licenses/license-fixtures.ts';

describe('moving a license between devices of one user (claims 2, 4, 8, 13)', () => {
  let h: Harness;
  let aurora: { id: string; slug: string; issuer: string };
  let borealis: { id: string; slug: string; issuer: string };
  let alice: { id: string; username: string; password: string };
  let phone: TestDevice;
  let tablet: TestDevice;
  let laptop: TestDevice;
  let bobPhone: TestDevice;
  let foreignDevice: TestDevice;

  const buy = async (device: TestDevice, content: TestContent): Promise<string> => {
    const res = await device.call('POST', '/licenses', { contentId: content.id });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.licenseId as string;
  };
  const move = (device: TestDevice, licenseId: string, destination: TestDevice | string, authority?: string) =>
    device.call('POST', '/moves', {
      licenseId,
      destination: { clientId: typeof destination === 'string' ? destination : destination.clientId, ...(authority ? { authority } : {}) },
    });
  const rowsFor = async (contentId: string) => {
    const rows = await storedRows(h, aurora.id);
    const moveIds = new Set(rows.moves.filter((m) => m.contentId === contentId).map((m) => m.id));
    return {
      licenses: rows.licenses.filter((l) => l.contentId === contentId),
      ledger: rows.ledger.filter((e) => e.contentId === contentId),
      moves: rows.moves.filter((m) => m.contentId === contentId),
      events: rows.events.filter((e) => moveIds.has(e.moveId)).sort((a, b) => a.seq - b.seq),
    };
  };

  before(async () => {
    h = await startHarness();
    aurora = await h.authority({ slug: 'aurora', prices: { license: 499, move: 99 } });
    borealis = await h.authority({ slug: 'borealis', prices: { license: 300, move: 50 } });
    alice = await h.user(aurora.id, 'alice');
    const bob = await h.user(aurora.id, 'bob');
    [phone, tablet, laptop, bobPhone, foreignDevice] = await Promise.all([
      registeredDevice(h, 'aurora', alice, 'phone'),
      registeredDevice(h, 'aurora', alice, 'tablet'),
      registeredDevice(h, 'aurora', alice, 'laptop'),
      registeredDevice(h, 'aurora', bob, 'bob phone'),
      registeredDevice(h, 'borealis', await h.user(borealis.id, 'alice')),
    ]);
  });
  after(() => h.close());

  test('a license moves to another device of the same user: the certificate carries the destination’s license', async () => {
    const content = await addContent(h, aurora.id);
    const licenseId = await buy(phone, content);
    const res = await move(phone, licenseId, tablet);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.state, 'completed');
    assert.equal(res.body.contentId, content.id);
    assert.deepEqual(res.body.source, { authority: aurora.issuer, clientId: phone.clientId, licenseId });
    assert.equal(res.body.destination.authority, aurora.issuer);
    assert.equal(res.body.destination.clientId, tablet.clientId);
    assert.deepEqual(res.body.charged, { amount: 99, currency: 'EUR' }, 'billed at the move price, not the license price (claim 8)');

    const cert = await verifyCopyCertificate(h, 'aurora', res.body.certificate);
    assert.equal(cert.iss, aurora.issuer);
    assert.equal(cert.move, res.body.moveId);
    assert.deepEqual(cert.src, { iss: aurora.issuer, sub: phone.clientId, lic: licenseId });
    assert.deepEqual(cert.dst, { iss: aurora.issuer, sub: tablet.clientId });
    assert.equal(cert.cid, content.id);
    assert.equal(cert.uid, `${alice.id}@${aurora.issuer}`);
    assert.equal(cert.exp - cert.iat, h.server.ctx.config.copyCertificateTtlSeconds);

    const license = await verifyLicense(h, 'aurora', cert.license);
    assert.equal(license.sub, tablet.clientId);
    assert.equal(license.jti, res.body.destination.licenseId);
    assert.equal(license.cid, content.id);
    assert.deepEqual(license.origin, { type: 'move', move: res.body.moveId });
    assert.deepEqual(license.rights, { play: true });
    assert.deepEqual(Buffer.from(await unwrapContentKey(license.key, tablet.key.privateJwk)), content.key, 'the destination key unwraps the content key');
    await assert.rejects(unwrapContentKey(license.key, phone.key.privateJwk), 'the source key does not');

    const rows = await rowsFor(content.id);
    const source = rows.licenses.find((l) => l.id === licenseId)!;
    const destination = rows.licenses.find((l) => l.id === res.body.destination.licenseId)!;
    assert.equal(source.state, 'moved');
    assert.equal(destination.state, 'active');
    assert.equal(destination.clientId, tablet.clientId);
    assert.equal(destination.userId, alice.id);
    assert.equal(destination.originType, 'move');
    assert.equal(destination.originMoveId, res.body.moveId);
    assert.equal(destination.token, cert.license);
    assert.equal(rows.moves.length, 1);
    const [m] = rows.moves;
    assert.equal(m!.id, res.body.moveId);
    assert.equal(m!.role, 'both');
    assert.equal(m!.state, 'completed');
    assert.equal(m!.userId, alice.id);
    assert.deepEqual([m!.srcIssuer, m!.srcClientId, m!.srcLicenseId], [aurora.issuer, phone.clientId, licenseId]);
    assert.deepEqual([m!.dstIssuer, m!.dstClientId, m!.dstLicenseId], [aurora.issuer, tablet.clientId, destination.id]);
    assert.equal(m!.certificate, res.body.certificate);
    assert.equal(m!.signedBy, aurora.issuer);
    assert.deepEqual(
      rows.events.map((e) => e.state),
      ['reserved', 'completed'],
    );
    const moveCharges = rows.ledger.filter((e) => e.kind === 'move');
    assert.equal(moveCharges.length, 1);
    assert.equal(moveCharges[0]!.amount, 99);
    assert.equal(moveCharges[0]!.currency, 'EUR');
    assert.equal(moveCharges[0]!.moveId, res.body.moveId);
    assert.equal(moveCharges[0]!.licenseId, licenseId);
    assert.equal(moveCharges[0]!.userId, alice.id);
    assert.deepEqual(
      rows.ledger.filter((e) => e.kind === 'license').map((e) => e.amount),
      [499],
    );

    const status = await phone.call('GET', `/licenses/${licenseId}`);
    assert.equal(status.body.state, 'moved');
    const received = await tablet.call('GET', `/licenses/${destination.id}`);
    assert.deepEqual(received.body.origin, { type: 'move', move: res.body.moveId });
  });

  test("a content's own move price overrides the price list", async () => {
    const content = await addContent(h, aurora.id, { licensePrice: 1000, movePrice: 150 });
    const res = await move(phone, await buy(phone, content), tablet);
    assert.equal(res.status, 201);
    assert.deepEqual(res.body.charged, { amount: 150, currency: 'EUR' });
    const rows = await rowsFor(content.id);
    assert.deepEqual(rows.ledger.map((e) => [e.kind, e.amount]).sort(), [
      ['license', 1000],
      ['move', 150],
    ]);
  });

  test('a license already moved cannot be moved again', async () => {
    const content = await addContent(h, aurora.id);
    const licenseId = await buy(phone, content);
    assert.equal((await move(phone, licenseId, tablet)).status, 201);
    expectProblem(await move(phone, licenseId, laptop), 409, 'license_not_active');
    const rows = await rowsFor(content.id);
    assert.equal(rows.moves.length, 1);
    assert.equal(rows.ledger.filter((e) => e.kind === 'move').length, 1);
    assert.equal(rows.licenses.length, 2);
  });

  test("a move to another user's device is refused", async () => {
    const content = await addContent(h, aurora.id);
    const licenseId = await buy(phone, content);
    expectProblem(await move(phone, licenseId, bobPhone), 403, 'move_destination_not_owned');
    const rows = await rowsFor(content.id);
    assert.equal(rows.licenses.find((l) => l.id === licenseId)!.state, 'active');
    assert.equal(rows.moves.length, 0);
  });

  test('a move to a revoked device is refused', async () => {
    const content = await addContent(h, aurora.id);
    const licenseId = await buy(phone, content);
    const retired = await registeredDevice(h, 'aurora', alice, 'old phone');
    await revokeDevice(h, aurora.id, retired.clientId);
    expectProblem(await move(phone, licenseId, retired), 409, 'move_destination_revoked');
    assert.equal((await rowsFor(content.id)).moves.length, 0);
  });

  test('a move to the device that holds the license is refused', async () => {
    const content = await addContent(h, aurora.id);
    expectProblem(await move(phone, await buy(phone, content), phone), 409, 'move_destination_is_source');
  });

  test("a move to an unknown device, or to another authority's device, is a move to an unknown destination", async () => {
    const content = await addContent(h, aurora.id);
    const licenseId = await buy(phone, content);
    expectProblem(await move(phone, licenseId, newId('client')), 404, 'move_destination_unknown');
    expectProblem(await move(phone, licenseId, foreignDevice), 404, 'move_destination_unknown');
    // Another authority is reached only through peering: without it, nothing is reserved.
    expectProblem(await move(phone, licenseId, foreignDevice, borealis.issuer), 404, 'peer_unknown');
    assert.equal((await rowsFor(content.id)).moves.length, 0);
  });

  test('naming this authority as the destination authority is the same as leaving it out', async () => {
    const content = await addContent(h, aurora.id);
    const res = await move(phone, await buy(phone, content), tablet, aurora.issuer);
    assert.equal(res.status, 201);
  });

  test("a device cannot move another device's license, nor a license that does not exist", async () => {
    const content = await addContent(h, aurora.id);
    const licenseId = await buy(phone, content);
    expectProblem(await move(tablet, licenseId, laptop), 404, 'license_unknown');
    expectProblem(await move(bobPhone, licenseId, bobPhone), 404, 'license_unknown');
    expectProblem(await move(phone, newId('license'), tablet), 404, 'license_unknown');
    const foreign = await addContent(h, borealis.id);
    const foreignLicense = await buy(foreignDevice, foreign);
    expectProblem(await move(phone, foreignLicense, tablet), 404, 'license_unknown');
    assert.equal((await rowsFor(content.id)).licenses.find((l) => l.id === licenseId)!.state, 'active');
  });

  test('a destination that already holds the content cannot receive it again', async () => {
    const content = await addContent(h, aurora.id);
    const licenseId = await buy(phone, content);
    await buy(tablet, content);
    expectProblem(await move(phone, licenseId, tablet), 409, 'move_destination_already_licensed');
    const rows = await rowsFor(content.id);
    assert.equal(rows.moves.length, 0);
    assert.ok(
      rows.licenses.every((l) => l.state === 'active'),
      `both licenses stay active: ${rows.licenses.map((l) => l.state).join(', ')}`,
    );
  });

  test('without a move price the move is refused and nothing changes', async () => {
    const cassiopeia = await h.authority({ slug: 'cassiopeia', prices: { license: 100 } });
    const carol = await h.user(cassiopeia.id, 'carol');
    const [one, two] = await Promise.all([registeredDevice(h, 'cassiopeia', carol), registeredDevice(h, 'cassiopeia', carol)]);
    const content = await addContent(h, cassiopeia.id);
    const licenseId = await buy(one!, content);
    expectProblem(await move(one!, licenseId, two!), 409, 'price_missing');
    const rows = await storedRows(h, cassiopeia.id);
    assert.deepEqual(
      rows.licenses.map((l) => [l.id, l.state]),
      [[licenseId, 'active']],
    );
    assert.equal(rows.moves.length, 0);
    assert.deepEqual(
      rows.ledger.map((e) => e.kind),
      ['license'],
    );
  });

  test('the destination can move the content on: A → B → A makes a new license for A', async () => {
    const content = await addContent(h, aurora.id);
    const first = await buy(phone, content);
    const there = await move(phone, first, tablet);
    assert.equal(there.status, 201);
    const back = await move(tablet, there.body.destination.licenseId, phone);
    assert.equal(back.status, 201, JSON.stringify(back.body));
    assert.notEqual(back.body.destination.licenseId, first);
    const cert = await verifyCopyCertificate(h, 'aurora', back.body.certificate);
    const license = await verifyLicense(h, 'aurora', cert.license);
    assert.equal(license.sub, phone.clientId);
    assert.deepEqual(Buffer.from(await unwrapContentKey(license.key, phone.key.privateJwk)), content.key);
    const rows = await rowsFor(content.id);
    const byId = new Map(rows.licenses.map((l) => [l.id, l.state]));
    assert.equal(byId.get(first), 'moved');
    assert.equal(byId.get(there.body.destination.licenseId), 'moved');
    assert.equal(byId.get(back.body.destination.licenseId), 'active');
    assert.equal(rows.licenses.filter((l) => l.state === 'active').length, 1, 'exactly one live license once the moves ended');
    assert.equal(rows.moves.length, 2);
    assert.deepEqual(
      rows.ledger.filter((e) => e.kind === 'move').map((e) => e.amount),
      [99, 99],
    );
    // The original, moved license stays moved: buying again is a new sale, not a revival.
    expectProblem(await move(phone, first, tablet), 409, 'license_not_active');
  });

  for (const scenario of ['the same destination', 'different destinations'] as const) {
    test(`of 60 concurrent moves of one license to ${scenario}, exactly one happens`, async () => {
      const content = await addContent(h, aurora.id);
      const licenseId = await buy(phone, content);
      const destinations = scenario === 'the same destination' ? [tablet] : [tablet, laptop, await registeredDevice(h, 'aurora', alice, 'tv')];
      const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => move(phone, licenseId, destinations[i % destinations.length]!)));
      const winners = answers.filter((r) => r.status === 201);
      assert.equal(winners.length, 1, `statuses: ${answers.map((r) => r.status).join(',')}`);
      for (const r of answers.filter((a) => a.status !== 201)) expectProblem(r, 409, 'license_not_active');

      const rows = await rowsFor(content.id);
      assert.equal(rows.moves.length, 1);
      assert.equal(rows.moves[0]!.id, winners[0]!.body.moveId);
      const live = rows.licenses.filter((l) => l.state === 'active');
      assert.equal(live.length, 1, 'one live license: the destination’s');
      assert.equal(live[0]!.id, winners[0]!.body.destination.licenseId);
      assert.equal(rows.licenses.find((l) => l.id === licenseId)!.state, 'moved');
      assert.equal(rows.licenses.length, 2);
      assert.equal(rows.ledger.filter((e) => e.kind === 'move').length, 1);
      assert.equal(rows.events.length, 2);
    });
  }

  test('the destination acknowledges the move: delivered, once; nobody else can', async () => {
    const content = await addContent(h, aurora.id);
    const res = await move(phone, await buy(phone, content), tablet);
    const moveId = res.body.moveId as string;
    expectProblem(await phone.call('POST', `/moves/${moveId}/ack`), 404, 'move_unknown');
    expectProblem(await bobPhone.call('POST', `/moves/${moveId}/ack`), 404, 'move_unknown');
    expectProblem(await tablet.call('POST', `/moves/${newId('move')}/ack`), 404, 'move_unknown');
    const ack = await tablet.call('POST', `/moves/${moveId}/ack`);
    assert.equal(ack.status, 200);
    assert.deepEqual(ack.body, { moveId, state: 'delivered' });
    const again = await tablet.call('POST', `/moves/${moveId}/ack`);
    assert.deepEqual(again.body, { moveId, state: 'delivered' });
    const rows = await rowsFor(content.id);
    assert.equal(rows.moves[0]!.state, 'delivered');
    assert.deepEqual(
      rows.events.map((e) => e.state),
      ['reserved', 'completed', 'delivered'],
    );
  });
});
