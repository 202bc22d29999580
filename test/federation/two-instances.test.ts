import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { and, eq } from 'drizzle-orm';
import { ledgerEntries, licenses, moves } from '../../servers/license-server/src/storage/schema.ts';
import { freePort } from '../support/server-process.ts';
import {
  AURORA,
  BOREALIS,
  engine,
  eventually,
  HttpDevice,
  linkAlice,
  peerWith,
  prepareSite,
  ServerNode,
  Storage,
  uploadContent,
  type Site,
} from './support/federation-processes.ts';

/*
 * DESIGN §10: an operator scales by adding processes behind a load balancer; nothing one
 * instance needs lives in another's memory. Two processes of aurora on one PostgreSQL
 * database (same public URL, same master key) receive a hundred simultaneous requests to
 * move one license to borealis: exactly one move happens, and the stored rows prove it.
 */

const skip =
  engine() === 'pglite'
    ? 'two server processes cannot share one embedded PGlite database; this runs on PostgreSQL (node scripts/test.mjs test --postgres)'
    : false;
const REQUESTS = 100;

describe('two instances of one server over one PostgreSQL database', () => {
  let storageA: Storage;
  let storageB: Storage;
  let A: Site;
  let B: Site;
  let second: ServerNode;

  before(async () => {
    if (skip) return;
    [storageA, storageB] = await Promise.all([Storage.create('aurora'), Storage.create('borealis')]);
    const [first, nodeB] = await Promise.all([ServerNode.create(storageA), ServerNode.create(storageB)]);
    [A, B] = await Promise.all([prepareSite(AURORA, first), prepareSite(BOREALIS, nodeB)]);
    second = new ServerNode(storageA, await freePort(), first.publicUrl);
    await second.start();
    await peerWith(A, B);
    await peerWith(B, A);
    await linkAlice(A, B);
  });
  after(async () => {
    await Promise.all([A?.node.stop('SIGKILL'), second?.stop('SIGKILL'), B?.node.stop('SIGKILL')]);
    await Promise.all([storageA?.destroy(), storageB?.destroy()]);
  });

  test(`of ${REQUESTS} concurrent requests to move one license, split across both instances, exactly one gets a certificate`, { skip }, async () => {
    const [phone, tablet] = await Promise.all([
      HttpDevice.register(A.issuer, 'alice', 'wonderland', 'phone'),
      HttpDevice.register(B.issuer, 'alice', 'wonderland', 'tablet'),
    ]);
    const contentId = await uploadContent(A, 'one license, many requests');
    const bought = await phone.call('POST', '/licenses', { contentId }, second.address);
    assert.equal(bought.status, 201, JSON.stringify(bought.body));
    const licenseId = bought.body.licenseId as string;

    const instances = [A.node.address, second.address];
    const results = await Promise.all(
      Array.from({ length: REQUESTS }, async (_, i) => {
        const via = instances[i % 2]!;
        return { via, ...(await phone.call('POST', '/moves', { licenseId, destination: { clientId: tablet.clientId, authority: B.issuer } }, via)) };
      }),
    );
    const summary = JSON.stringify(results.map((r) => [r.status, r.body?.code ?? r.body?.state]));
    // The winner gets its certificate at once (201), or — if borealis is slow under this load — a
    // reserved move (202) that the recovery loop completes; every other request is refused.
    const winners = results.filter((r) => r.status === 201 || r.status === 202);
    assert.equal(winners.length, 1, summary);
    for (const r of results.filter((x) => x !== winners[0])) {
      assert.equal(r.status, 409, summary);
      assert.equal(r.body.code, 'license_not_active');
    }
    for (const via of instances)
      assert.ok(
        results.some((r) => r.via === via && r.status === 409),
        `${via} refused some of the requests itself`,
      );
    const moveId = winners[0]!.body.moveId as string;
    const completed = await eventually('the move to complete', async () => {
      const seen = await phone.call('GET', `/moves/${moveId}`);
      return seen.body.state === 'completed' ? seen.body : undefined;
    });
    assert.ok(completed.certificate, 'the completed move carries its copy certificate');

    const dbA = await storageA.open();
    const dbB = await storageB.open();
    try {
      const movesA = await dbA.db.select().from(moves).where(eq(moves.srcLicenseId, licenseId));
      assert.deepEqual(
        movesA.map((m) => [m.id, m.role, m.state]),
        [[moveId, 'source', 'completed']],
        'one move on record at aurora',
      );
      const sourceLicense = await dbA.db.select().from(licenses).where(eq(licenses.id, licenseId));
      assert.equal(sourceLicense[0]!.state, 'moved');
      const charges = await dbA.db
        .select()
        .from(ledgerEntries)
        .where(and(eq(ledgerEntries.contentId, contentId), eq(ledgerEntries.kind, 'move')));
      assert.deepEqual(
        charges.map((e) => [e.moveId, e.amount]),
        [[moveId, 99]],
        'one move charge at aurora',
      );

      const movesB = await dbB.db.select().from(moves).where(eq(moves.contentId, contentId));
      assert.deepEqual(
        movesB.map((m) => [m.id, m.role]),
        [[moveId, 'destination']],
        'one certificate signed at borealis',
      );
      const destination = await dbB.db.select().from(licenses).where(eq(licenses.contentId, contentId));
      assert.deepEqual(
        destination.map((l) => [l.id, l.state, l.clientId]),
        [[completed.destination.licenseId, 'active', tablet.clientId]],
        'one destination license at borealis',
      );
      const fees = await dbB.db.select().from(ledgerEntries).where(eq(ledgerEntries.contentId, contentId));
      assert.deepEqual(
        fees.map((e) => [e.kind, e.moveId]),
        [['federation_fee', moveId]],
      );
    } finally {
      await Promise.all([dbA.close(), dbB.close()]);
    }
  });
});
