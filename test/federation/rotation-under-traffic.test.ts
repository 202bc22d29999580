import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { and, eq } from 'drizzle-orm';
import { decodeJwsUnverified, jwksSchema, unwrapContentKey, type Jwks } from '@tessera/protocol';
import { verifyCopyCertificateForDevice } from '@tessera/client';
import { licenses, moves } from '../../servers/license-server/src/storage/schema.ts';
import { addContent } from '../../servers/license-server/test/licenses/license-fixtures.ts';
import { testEngine, type TestDevice } from '../../servers/license-server/test/support/harness.ts';
import { link, registered, startFederation, type Federation, type Side } from '../../servers/license-server/test/federation/federation-fixtures.ts';
import { announceNextKeys, keysOf, rotateKeys, rotationPath } from '../../servers/license-server/test/federation/support/key-rotation.ts';

/*
 * DESIGN §3: "rotation never breaks a device or a peer in flight". Aurora and borealis move
 * contents between alice's devices without pause while each rotates its keys twice: every
 * request signed, every content key wrapped and every certificate checked straddles a change
 * of keys somewhere. No move may fail or be left waiting, and each destination device must
 * accept its certificate with the keys borealis publishes.
 */

const LANES = 3;
const MOVES_PER_LANE = 10;
const TOTAL = LANES * MOVES_PER_LANE;
/** After how many completed moves each rotation happens: both sides, twice, in the middle of the traffic. */
const ROTATIONS: { after: number; side: 'a' | 'b' }[] = [
  { after: 5, side: 'b' },
  { after: 9, side: 'a' },
  { after: 14, side: 'b' },
  { after: 19, side: 'a' },
];

interface Moved {
  lane: number;
  contentId: string;
  contentKey: Buffer;
  status: number;
  state: string;
  moveId: string;
  certificate: string;
  destinationLicenseId: string;
  certificateKid: string;
}

describe(`key rotation under cross-authority move traffic (${testEngine()})`, () => {
  let f: Federation;
  let phones: TestDevice[];
  let tablets: TestDevice[];

  before(async () => {
    f = await startFederation();
    phones = [];
    tablets = [];
    for (let i = 0; i < LANES; i++) {
      phones.push(await registered(f.a, `phone ${i}`));
      tablets.push(await registered(f.b, `tablet ${i}`));
    }
    await link(phones[0]!, f.a, tablets[0]!, f.b);
    if ((await rotationPath(f.a)) === 'keyring') {
      // Without the admin route: announce next keys and let each peer learn them first, as the route's life cycle does.
      await Promise.all([announceNextKeys(f.a), announceNextKeys(f.b)]);
      for (const [from, to] of [
        [f.a, f.b],
        [f.b, f.a],
      ] as const) {
        const peer = (await from.admin.get(`/admin/authorities/${from.authority.slug}/peers`).expect(200)).body.items.find(
          (p: { issuer: string }) => p.issuer === to.authority.issuer,
        );
        await from.admin.post(`/admin/authorities/${from.authority.slug}/peers/${peer.id}/refresh`).expect(200);
      }
    }
  });
  after(() => f.close());

  /** What alice's tablet does with a certificate: verifies it with borealis's keys (refetched when it meets a new kid). */
  async function acceptOnTablet(tablet: TestDevice, certificate: string, contentKey: Buffer): Promise<void> {
    const fetchJwks = async (): Promise<Jwks> => jwksSchema.parse((await f.b.h.request().get('/t/borealis/jwks.json').expect(200)).body);
    const verified = await verifyCopyCertificateForDevice(certificate, {
      issuer: f.b.authority.issuer,
      authorityKeys: tablet.registration!.authorityKeys,
      refreshAuthorityKeys: fetchJwks,
      clientId: tablet.clientId,
    });
    const key = await unwrapContentKey(verified.license.claims.key, tablet.key.privateJwk);
    assert.ok(Buffer.from(key).equals(contentKey), 'the content key reached the tablet intact');
  }

  test(`${TOTAL} moves from ${LANES} devices while aurora and borealis each rotate their keys twice: none fails, every certificate verifies on its device`, async () => {
    const initial = { a: await keysOf(f.a), b: await keysOf(f.b) };
    const done: Moved[] = [];
    const failures: string[] = [];
    let stop = false;

    async function lane(i: number): Promise<void> {
      const phone = phones[i]!;
      const tablet = tablets[i]!;
      for (let n = 0; n < MOVES_PER_LANE && !stop; n++) {
        const content = await addContent(f.a.h, f.a.authority.id);
        const bought = await phone.call('POST', '/licenses', { contentId: content.id });
        assert.equal(bought.status, 201, JSON.stringify(bought.body));
        const res = await phone.call('POST', '/moves', {
          licenseId: bought.body.licenseId,
          destination: { clientId: tablet.clientId, authority: f.b.authority.issuer },
        });
        if (res.status !== 201 || res.body.state !== 'completed') {
          const [row] = res.body.moveId
            ? await f.a.h.server.ctx.db
                .select()
                .from(moves)
                .where(and(eq(moves.authorityId, f.a.authority.id), eq(moves.id, res.body.moveId)))
            : [];
          failures.push(`lane ${i} move ${n}: ${res.status} ${res.body.state ?? res.body.code} ${row?.lastError ?? res.body.detail ?? ''}`);
          continue;
        }
        try {
          await acceptOnTablet(tablet, res.body.certificate, content.key);
        } catch (error) {
          failures.push(`lane ${i} move ${n}: the tablet refused its certificate: ${(error as Error).message}`);
        }
        done.push({
          lane: i,
          contentId: content.id,
          contentKey: content.key,
          status: res.status,
          state: res.body.state,
          moveId: res.body.moveId,
          certificate: res.body.certificate,
          destinationLicenseId: res.body.destination.licenseId,
          certificateKid: String(decodeJwsUnverified(res.body.certificate).header.kid),
        });
      }
    }

    async function rotations(): Promise<void> {
      for (const r of ROTATIONS) {
        while (done.length + failures.length < r.after && !stop) await new Promise((res) => setTimeout(res, 10));
        if (stop) return;
        await rotateKeys(r.side === 'a' ? f.a : f.b);
      }
    }

    await Promise.all([
      ...Array.from({ length: LANES }, (_, i) =>
        lane(i).catch((error: unknown) => {
          stop = true;
          throw error;
        }),
      ),
      rotations(),
    ]);
    assert.deepEqual(failures, [], 'no move failed and every certificate verified');
    assert.equal(done.length, TOTAL);

    // The rotations really happened in the middle of the traffic: borealis signed with several keys.
    const final = { a: await keysOf(f.a), b: await keysOf(f.b) };
    for (const side of ['a', 'b'] as const) {
      assert.equal(final[side].sig.retired?.length ?? 0, (initial[side].sig.retired?.length ?? 0) + 2, `${side} rotated its signing key twice`);
      assert.equal(final[side].enc.retired?.length ?? 0, (initial[side].enc.retired?.length ?? 0) + 2, `${side} rotated its encryption key twice`);
    }
    const kids = new Set(done.map((m) => m.certificateKid));
    assert.equal(kids.size, 3, `certificates signed by borealis's three successive keys: ${[...kids].join(', ')}`);

    // Both databases: every move completed once, one active license at borealis and the source's moved.
    const atA = await f.a.h.server.ctx.db.select().from(moves).where(eq(moves.authorityId, f.a.authority.id));
    const atB = await f.b.h.server.ctx.db.select().from(moves).where(eq(moves.authorityId, f.b.authority.id));
    for (const m of done) {
      const src = atA.filter((x) => x.contentId === m.contentId);
      assert.deepEqual(
        src.map((x) => [x.id, x.state]),
        [[m.moveId, 'completed']],
      );
      assert.deepEqual(
        atB.filter((x) => x.contentId === m.contentId).map((x) => [x.id, x.role, x.state]),
        [[m.moveId, 'destination', 'completed']],
      );
      const usable = async (s: Side) =>
        (
          await s.h.server.ctx.db
            .select()
            .from(licenses)
            .where(and(eq(licenses.authorityId, s.authority.id), eq(licenses.contentId, m.contentId), eq(licenses.state, 'active')))
        ).map((l) => l.id);
      assert.deepEqual(await usable(f.a), []);
      assert.deepEqual(await usable(f.b), [m.destinationLicenseId]);
    }
    assert.deepEqual(
      atA.filter((x) => x.state !== 'completed').map((x) => [x.id, x.state, x.lastError]),
      [],
      'nothing left reserved or aborted',
    );
  });
});
