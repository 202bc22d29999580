import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { and, eq } from 'drizzle-orm';
import { copyCertificateClaimsSchema, decodeJwsUnverified, jwksSchema, TOKEN_TYPES, verifyJws } from '@tessera/protocol';
import { ledgerEntries, licenses, moves } from '../../src/storage/schema.ts';
import { recoverReservedMoves } from '../../src/moves/cross-authority-move.ts';
import { addContent } from '../licenses/license-fixtures.ts';
import { expectProblem, testEngine, type TestDevice } from '../support/harness.ts';
import { link, registered, startFederation, type Federation, type Side } from './federation-fixtures.ts';

const licenseRow = async (s: Side, id: string) =>
  (
    await s.h.server.ctx.db
      .select()
      .from(licenses)
      .where(and(eq(licenses.authorityId, s.authority.id), eq(licenses.id, id)))
  )[0];
const moveRow = async (s: Side, id: string) =>
  (
    await s.h.server.ctx.db
      .select()
      .from(moves)
      .where(and(eq(moves.authorityId, s.authority.id), eq(moves.id, id)))
  )[0];
const ledgerOf = async (s: Side, moveId: string) =>
  (
    await s.h.server.ctx.db
      .select()
      .from(ledgerEntries)
      .where(and(eq(ledgerEntries.authorityId, s.authority.id), eq(ledgerEntries.moveId, moveId)))
  )
    .map((e) => ({ kind: e.kind, amount: e.amount, counterparty: e.counterparty }))
    .sort((x, y) => x.kind.localeCompare(y.kind));
/** Usable licenses for a content across both authorities: active ones (a `moving` one is held, not usable). */
const usable = async (f: Federation, contentId: string) => {
  const count = async (s: Side) =>
    (
      await s.h.server.ctx.db
        .select()
        .from(licenses)
        .where(and(eq(licenses.authorityId, s.authority.id), eq(licenses.contentId, contentId), eq(licenses.state, 'active')))
    ).length;
  return (await count(f.a)) + (await count(f.b));
};

describe('a cross-authority move (DESIGN §6, claim 3)', () => {
  let f: Federation;
  let phone: TestDevice;
  let tablet: TestDevice;

  before(async () => {
    f = await startFederation();
    phone = await registered(f.a, 'phone');
    tablet = await registered(f.b, 'tablet');
    await link(phone, f.a, tablet, f.b);
  });
  after(() => f.close());

  async function buy() {
    const content = await addContent(f.a.h, f.a.authority.id);
    const bought = await phone.call('POST', '/licenses', { contentId: content.id });
    assert.equal(bought.status, 201, JSON.stringify(bought.body));
    return { contentId: content.id, licenseId: bought.body.licenseId as string };
  }
  const moveTo = (licenseId: string, destination: TestDevice = tablet) =>
    phone.call('POST', '/moves', { licenseId, destination: { clientId: destination.clientId, authority: f.b.authority.issuer } });

  test('the certificate is signed by the destination authority and carries the destination license; both sides record it and bill it', async () => {
    const { contentId, licenseId } = await buy();
    const res = await moveTo(licenseId);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.state, 'completed');
    assert.deepEqual(res.body.charged, { amount: 99, currency: 'EUR' });

    const jwks = jwksSchema.parse((await f.b.h.request().get('/t/borealis/jwks.json').expect(200)).body);
    const { payload: cert } = await verifyJws(res.body.certificate, {
      typ: TOKEN_TYPES.copyCertificate,
      schema: copyCertificateClaimsSchema,
      problem: 'invalid_request',
      resolveKey: (h) => jwks.keys.find((k) => k.kid === h.kid) ?? null,
    });
    assert.equal(cert.iss, f.b.authority.issuer, 'signed by the authority of the destination device');
    assert.deepEqual(cert.src, { iss: f.a.authority.issuer, sub: phone.clientId, lic: licenseId });
    assert.deepEqual(cert.dst, { iss: f.b.authority.issuer, sub: tablet.clientId });
    assert.equal(decodeJwsUnverified(cert.license).payload.sub, tablet.clientId);

    assert.equal((await licenseRow(f.a, licenseId))!.state, 'moved');
    const dst = await licenseRow(f.b, res.body.destination.licenseId);
    assert.equal(dst!.state, 'active');
    assert.equal(dst!.clientId, tablet.clientId);
    assert.equal((await moveRow(f.a, res.body.moveId))!.state, 'completed');
    assert.equal((await moveRow(f.b, res.body.moveId))!.role, 'destination');
    assert.deepEqual(await ledgerOf(f.a, res.body.moveId), [
      { kind: 'move', amount: 99, counterparty: null },
      { kind: 'peer_fee', amount: 25, counterparty: f.b.authority.issuer },
    ]);
    assert.deepEqual(await ledgerOf(f.b, res.body.moveId), [{ kind: 'federation_fee', amount: 25, counterparty: f.a.authority.issuer }]);
    assert.equal(await usable(f, contentId), 1, 'exactly one usable license once the move has ended');
    // Revenue is what each side earns: aurora the sale and the move, not the fee it owes; borealis its fee.
    assert.equal((await f.a.admin.get('/admin/authorities/aurora/stats').expect(200)).body.totals.revenue, 299 + 99);
    assert.equal((await f.b.admin.get('/admin/authorities/borealis/stats').expect(200)).body.totals.revenue, 25);

    // The destination device sees its license; the source's is gone.
    const status = await tablet.call('GET', `/licenses/${res.body.destination.licenseId}`);
    assert.equal(status.status, 200);
    assert.equal(status.body.state, 'active');
    const again = await moveTo(licenseId);
    expectProblem(again, 409, 'license_not_active');
  });

  test('the settlement shows what each side owes the other, from both sides', async () => {
    const period = new Date().toISOString().slice(0, 7);
    const atA = await f.a.admin.get('/admin/authorities/aurora/settlement').query({ period }).expect(200);
    const atB = await f.b.admin.get('/admin/authorities/borealis/settlement').query({ period }).expect(200);
    const lineA = atA.body.items.find((l: { peerIssuer: string }) => l.peerIssuer === f.b.authority.issuer);
    const lineB = atB.body.items.find((l: { peerIssuer: string }) => l.peerIssuer === f.a.authority.issuer);
    assert.ok(lineA && lineB, 'each authority has a settlement line for the other');
    assert.equal(lineA.payable.amount, lineB.receivable.amount);
    assert.equal(lineA.payable.count, lineB.receivable.count);
    assert.equal(lineA.net, -lineA.payable.amount);
    const csv = await f.b.admin.get('/admin/authorities/borealis/settlement.csv').query({ period }).expect(200);
    assert.match(csv.text, /receivable/);
  });

  test('a destination whose user has not linked the source account refuses; the license is the source’s again', async () => {
    const stranger = await f.b.h.user(f.b.authority.id, 'mallory', 'mallory password');
    const device = await (await import('../support/harness.ts')).TestDevice.create(f.b.h, 'borealis');
    assert.equal((await device.register(stranger.username, stranger.password)).status, 201);
    const { contentId, licenseId } = await buy();
    const res = await moveTo(licenseId, device);
    expectProblem(res, 403, 'account_not_linked');
    assert.equal((await licenseRow(f.a, licenseId))!.state, 'active');
    const [aborted] = await f.a.h.server.ctx.db
      .select()
      .from(moves)
      .where(and(eq(moves.authorityId, f.a.authority.id), eq(moves.srcLicenseId, licenseId)));
    assert.equal(aborted!.state, 'aborted');
    assert.equal(aborted!.refusalCode, 'account_not_linked');
    assert.equal(await usable(f, contentId), 1);
    assert.deepEqual(await ledgerOf(f.a, aborted!.id), [], 'a refused move is not billed');
  });

  test('an unknown destination authority is refused before anything is reserved', async () => {
    const { licenseId } = await buy();
    const res = await phone.call('POST', '/moves', { licenseId, destination: { clientId: tablet.clientId, authority: 'http://127.0.0.1:9/t/nowhere' } });
    expectProblem(res, 404, 'peer_unknown');
    assert.equal((await licenseRow(f.a, licenseId))!.state, 'active');
  });

  test('when the destination does not answer the move stays reserved, and the recovery loop completes it once it is back', async () => {
    const { contentId, licenseId } = await buy();
    // Borealis stops answering: its port refuses connections.
    const b = f.b.h.http;
    const port = (b.address() as { port: number }).port;
    b.closeAllConnections();
    await new Promise<void>((r) => b.close(() => r()));
    const res = await moveTo(licenseId);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.equal(res.body.state, 'reserved');
    assert.equal(res.body.certificate, null);
    assert.equal((await licenseRow(f.a, licenseId))!.state, 'moving');
    assert.equal(await usable(f, contentId), 0, 'while reserved, no license is usable');

    b.listen(port, '127.0.0.1');
    await new Promise((r) => b.once('listening', r));
    // Due at once, as if its retry time had come.
    await f.a.h.server.ctx.db
      .update(moves)
      .set({ nextAttemptAt: new Date(0) })
      .where(and(eq(moves.authorityId, f.a.authority.id), eq(moves.id, res.body.moveId)));
    assert.equal(await recoverReservedMoves(f.a.h.server.ctx), 1);
    const polled = await phone.call('GET', `/moves/${res.body.moveId}`);
    assert.equal(polled.status, 200);
    assert.equal(polled.body.state, 'completed');
    assert.ok(polled.body.certificate, 'the completed move answers with its copy certificate');
    assert.equal(await usable(f, contentId), 1);
  });

  test(`of concurrent requests to move one license across authorities, exactly one happens (${testEngine()})`, async () => {
    const { contentId, licenseId } = await buy();
    const results = await Promise.all(Array.from({ length: 12 }, () => moveTo(licenseId)));
    const won = results.filter((r) => r.status === 201);
    assert.equal(won.length, 1, JSON.stringify(results.map((r) => [r.status, r.body.code])));
    for (const r of results.filter((x) => x.status !== 201)) assert.equal(r.body.code, 'license_not_active');
    const dstLicenses = await f.b.h.server.ctx.db
      .select()
      .from(licenses)
      .where(and(eq(licenses.authorityId, f.b.authority.id), eq(licenses.contentId, contentId)));
    assert.equal(dstLicenses.length, 1);
    assert.equal(await usable(f, contentId), 1);
  });
});
