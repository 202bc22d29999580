import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { and, eq, inArray } from 'drizzle-orm';
import { copyCertificateClaimsSchema, jwksSchema, TOKEN_TYPES, verifyJws } from '@tessera/protocol';
import { ledgerEntries, licenses, moves } from '../../servers/license-server/src/storage/schema.ts';
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
 * DESIGN §6, step 5: a cross-authority move survives `kill -9` of either server at the worst
 * moments. Each server is a real `tessera-server` process whose crash point (TESSERA_CRASH_AT)
 * kills it with SIGKILL at an exact place; afterwards both are started again without it, and
 * the recovery loop must bring every move to an end: the license moved exactly once, billed
 * once, and at no observed moment usable on both sides.
 */

type Victim = 'aurora' | 'borealis';

interface Outcome {
  point: string;
  contentId: string;
  licenseId: string;
  moveId: string;
  destinationLicenseId: string;
}

describe(`cross-authority moves survive kill -9 of either server (${engine()})`, () => {
  let storageA: Storage;
  let storageB: Storage;
  let A: Site;
  let B: Site;
  let phone: HttpDevice;
  let tablet: HttpDevice;
  const outcomes: Outcome[] = [];

  before(async () => {
    [storageA, storageB] = await Promise.all([Storage.create('aurora'), Storage.create('borealis')]);
    const [nodeA, nodeB] = await Promise.all([ServerNode.create(storageA), ServerNode.create(storageB)]);
    [A, B] = await Promise.all([prepareSite(AURORA, nodeA), prepareSite(BOREALIS, nodeB)]);
    await peerWith(A, B);
    await peerWith(B, A);
    await linkAlice(A, B);
    [phone, tablet] = await Promise.all([
      HttpDevice.register(A.issuer, 'alice', 'wonderland', 'phone'),
      HttpDevice.register(B.issuer, 'alice', 'wonderland', 'tablet'),
    ]);
  });
  after(async () => {
    await Promise.all([A?.node.stop('SIGKILL'), B?.node.stop('SIGKILL')]);
    await Promise.all([storageA?.destroy(), storageB?.destroy()]);
  });

  const site = (victim: Victim) => (victim === 'aurora' ? A : B);

  /** Active licenses for a content on each side: through the admin API while the server runs, else straight from its database. */
  async function activeLicenses(s: Site, contentId: string): Promise<number> {
    if (s.node.running) {
      const page = await s.admin.get(`/admin/authorities/${s.spec.slug}/licenses?contentId=${contentId}&state=active`);
      return page.items.length;
    }
    if (engine() === 'pglite') return 0; // its data directory is the crashed server's until it restarts; observed again then
    const database = await s.node.storage.open();
    try {
      return (
        await database.db
          .select()
          .from(licenses)
          .where(and(eq(licenses.contentId, contentId), eq(licenses.state, 'active')))
      ).length;
    } finally {
      await database.close();
    }
  }

  /** The invariant of DESIGN §6: never both the source's and the destination's license usable. */
  async function neverBoth(contentId: string, when: string): Promise<number> {
    const [a, b] = [await activeLicenses(A, contentId), await activeLicenses(B, contentId)];
    assert.ok(a + b <= 1, `${when}: ${a} active at aurora and ${b} at borealis`);
    return a + b;
  }

  async function restartBoth(): Promise<void> {
    await Promise.all([A.node.stop(), B.node.stop()]);
    await Promise.all([A.node.start(), B.node.start()]);
  }

  /**
   * Buys a content on the phone, arms `point` on `victim`, asks for the move to the tablet and
   * checks the victim died by SIGKILL; then restarts both servers without it and waits for
   * the move to end. Returns what the devices and the admin APIs show.
   */
  async function crashDuringMove(point: string, victim: Victim): Promise<Outcome> {
    const contentId = await uploadContent(A, `content for ${point}`);
    const bought = await phone.call('POST', '/licenses', { contentId });
    assert.equal(bought.status, 201, JSON.stringify(bought.body));
    const licenseId = bought.body.licenseId as string;

    await site(victim).node.stop();
    await site(victim).node.start({ crashAt: point });
    const asked = await phone.call('POST', '/moves', { licenseId, destination: { clientId: tablet.clientId, authority: B.issuer } });
    const died = await site(victim).node.exited();
    assert.equal(died.signal, 'SIGKILL', `${victim} was killed at ${point}`);
    if (victim === 'borealis') {
      // Aurora got no answer: the move is reserved and the license held, neither side's usable.
      assert.equal(asked.status, 202, JSON.stringify(asked.body));
      assert.equal(asked.body.state, 'reserved');
      assert.equal(asked.body.certificate, null);
      const status = await phone.call('GET', `/licenses/${licenseId}`);
      assert.equal(status.body.state, 'moving');
    } else {
      assert.equal(asked.status, 0, `aurora died before answering the phone: ${JSON.stringify(asked.body)}`);
    }
    const usable = await neverBoth(contentId, `after ${victim} died at ${point}`);
    // Before borealis has signed, the license is held at aurora and nothing is usable; after, only borealis's is.
    if (point === 'destination.before-answer' || point === 'source.after-reserve') assert.equal(usable, 0, 'while the move is unsettled, no license is usable');

    await restartBoth();
    await neverBoth(contentId, 'right after the restarts');
    const move = await eventually(`the move of ${point} to end`, async () => {
      await neverBoth(contentId, 'while recovering');
      const page = await A.admin.get(`/admin/authorities/aurora/moves?contentId=${contentId}`);
      assert.ok(page.items.length <= 1, 'one move for the license');
      const m = page.items[0];
      return m && (m.state === 'completed' || m.state === 'aborted') ? m : undefined;
    });
    assert.equal(move.state, 'completed', `the move of ${point} completed`);
    assert.equal(move.signedBy, B.issuer);

    // What the devices see: the phone's move with its certificate, the tablet's license.
    const seen = await phone.call('GET', `/moves/${move.id}`);
    assert.equal(seen.status, 200, JSON.stringify(seen.body));
    assert.equal(seen.body.state, 'completed');
    assert.ok(seen.body.certificate, 'the phone can hand the certificate over');
    const jwks = jwksSchema.parse(await (await fetch(`${B.issuer}/jwks.json`)).json());
    const { payload: cert } = await verifyJws(seen.body.certificate, {
      typ: TOKEN_TYPES.copyCertificate,
      schema: copyCertificateClaimsSchema,
      problem: 'invalid_request',
      resolveKey: (h) => jwks.keys.find((k) => k.kid === h.kid) ?? null,
    });
    assert.equal(cert.move, move.id);
    assert.deepEqual(cert.dst, { iss: B.issuer, sub: tablet.clientId });
    const destinationLicenseId = seen.body.destination.licenseId as string;
    assert.equal((await phone.call('GET', `/licenses/${licenseId}`)).body.state, 'moved');
    const held = await tablet.call('GET', `/licenses/${destinationLicenseId}`);
    assert.equal(held.status, 200, JSON.stringify(held.body));
    assert.equal(held.body.state, 'active');

    // What the operators see: the move at both, one charge at aurora, one fee at borealis.
    const atB = await B.admin.get(`/admin/authorities/borealis/moves/${move.id}`);
    assert.equal(atB.role, 'destination');
    assert.equal(atB.state, 'completed');
    assert.equal(atB.destination.licenseId, destinationLicenseId);
    const ledgerA = (await A.admin.get('/admin/authorities/aurora/ledger?limit=200')).items.filter((e: { moveId: string | null }) => e.moveId === move.id);
    assert.deepEqual(ledgerA.map((e: { kind: string; amount: number }) => [e.kind, e.amount]).sort(), [
      ['move', 99],
      ['peer_fee', 25],
    ]);
    const ledgerB = (await B.admin.get('/admin/authorities/borealis/ledger?limit=200')).items.filter((e: { moveId: string | null }) => e.moveId === move.id);
    assert.deepEqual(
      ledgerB.map((e: { kind: string; amount: number }) => [e.kind, e.amount]),
      [['federation_fee', 25]],
    );
    assert.equal(await neverBoth(contentId, 'once the move has ended'), 1, 'exactly one usable license once the move has ended');

    const outcome = { point, contentId, licenseId, moveId: move.id as string, destinationLicenseId };
    outcomes.push(outcome);
    return outcome;
  }

  test('borealis killed when the request arrives, before it does anything: the move completes after the restarts', async () => {
    await crashDuringMove('destination.before-answer', 'borealis');
  });

  test('borealis killed after committing the certificate, before aurora has the answer: the retry gets the same certificate', async () => {
    await crashDuringMove('destination.after-commit', 'borealis');
  });

  test('aurora killed right after reserving the license: its recovery loop completes the move after the restart', async () => {
    await crashDuringMove('source.after-reserve', 'aurora');
  });

  test("aurora killed after borealis answered, before settling: borealis's recorded answer completes the move", async () => {
    await crashDuringMove('source.after-answer', 'aurora');
  });

  test('both databases hold exactly one usable license per moved content, each move completed at aurora and signed at borealis, billed once', async () => {
    assert.equal(outcomes.length, 4, 'every scenario ran');
    await Promise.all([A.node.stop(), B.node.stop()]);
    const [dbA, dbB] = await Promise.all([storageA.open(), storageB.open()]);
    try {
      const contentIds = outcomes.map((o) => o.contentId);
      const moveIds = outcomes.map((o) => o.moveId);
      const licA = await dbA.db.select().from(licenses).where(inArray(licenses.contentId, contentIds));
      const licB = await dbB.db.select().from(licenses).where(inArray(licenses.contentId, contentIds));
      const movesA = await dbA.db.select().from(moves).where(inArray(moves.contentId, contentIds));
      const movesB = await dbB.db.select().from(moves).where(inArray(moves.contentId, contentIds));
      const ledgerA = await dbA.db.select().from(ledgerEntries).where(inArray(ledgerEntries.moveId, moveIds));
      const ledgerB = await dbB.db.select().from(ledgerEntries).where(inArray(ledgerEntries.moveId, moveIds));
      for (const o of outcomes) {
        const mine = (rows: (typeof licA)[number][]) => rows.filter((l) => l.contentId === o.contentId);
        assert.deepEqual(
          mine(licA).map((l) => [l.id, l.state]),
          [[o.licenseId, 'moved']],
          `${o.point}: the source license is moved`,
        );
        assert.deepEqual(
          mine(licB).map((l) => [l.id, l.state, l.clientId]),
          [[o.destinationLicenseId, 'active', tablet.clientId]],
          `${o.point}: one destination license`,
        );
        const srcMoves = movesA.filter((m) => m.contentId === o.contentId);
        assert.deepEqual(
          srcMoves.map((m) => [m.id, m.role, m.state, m.dstLicenseId]),
          [[o.moveId, 'source', 'completed', o.destinationLicenseId]],
          `${o.point}: completed at aurora`,
        );
        const dstMoves = movesB.filter((m) => m.contentId === o.contentId);
        assert.deepEqual(
          dstMoves.map((m) => [m.id, m.role, m.state]),
          [[o.moveId, 'destination', 'completed']],
          `${o.point}: present at borealis`,
        );
        assert.equal(srcMoves[0]!.certificate, dstMoves[0]!.certificate, `${o.point}: aurora keeps the certificate borealis signed`);
        const chargesA = ledgerA.filter((e) => e.moveId === o.moveId);
        assert.equal(chargesA.filter((e) => e.kind === 'move').length, 1, `${o.point}: one move charge at aurora`);
        assert.equal(chargesA.find((e) => e.kind === 'move')!.amount, 99);
        assert.equal(chargesA.filter((e) => e.kind === 'peer_fee').length, 1, `${o.point}: one peer fee owed at aurora`);
        assert.ok(
          ledgerB.filter((e) => e.moveId === o.moveId && e.kind === 'federation_fee').length <= 1,
          `${o.point}: at most one federation fee at borealis`,
        );
        assert.equal(ledgerB.filter((e) => e.moveId === o.moveId).length, 1, `${o.point}: borealis booked its fee`);
      }
    } finally {
      await Promise.all([dbA.close(), dbB.close()]);
    }
  });
});
