import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { and, eq, sql } from 'drizzle-orm';
import {
  clientCertificateClaimsSchema,
  generateEcKeyPair,
  jwkThumbprint,
  TOKEN_TYPES,
  userGlobalId,
  verifyJws,
  type RegisterDeviceResponse,
} from '@tessera/protocol';
import { authorities, clients, deviceProofNonces, users } from '../../src/storage/schema.ts';
import { expectProblem, startHarness, TestDevice, testEngine, type Harness } from '../support/harness.ts';
import { registrationBody, registrationRequest, signRegistrationProof } from './registration-fixtures.ts';

describe('device registration', () => {
  let h: Harness;
  let aurora: { id: string; slug: string; issuer: string };
  const password = 'correct horse battery';

  const clientRow = async (clientId: string) =>
    (
      await h.server.ctx.db
        .select()
        .from(clients)
        .where(and(eq(clients.authorityId, aurora.id), eq(clients.id, clientId)))
    )[0];
  const clientsOf = (userId: string) =>
    h.server.ctx.db
      .select()
      .from(clients)
      .where(and(eq(clients.authorityId, aurora.id), eq(clients.userId, userId)));

  before(async () => {
    h = await startHarness();
    aurora = await h.authority({ slug: 'aurora' });
  });
  after(() => h.close());

  test('a registered device receives its client ID, leaf ID, a client certificate binding its key, and the authority keys', async () => {
    const alice = await h.user(aurora.id, 'alice', password);
    const device = await TestDevice.create(h, 'aurora');
    const res = await device.register('alice', password, 'Living-room TV');
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const body = res.body as RegisterDeviceResponse;
    assert.match(body.clientId, /^cli_/);
    assert.equal(typeof body.leafId, 'number');
    assert.equal(body.authority, aurora.issuer);
    assert.deepEqual(body.user, { id: alice.id, username: 'alice', globalId: userGlobalId(alice.id, aurora.issuer) });
    assert.equal(body.label, 'Living-room TV');
    assert.ok(!Number.isNaN(Date.parse(body.registeredAt)), `the registration time is a date: ${body.registeredAt}`);

    const jwks = (await h.request().get('/t/aurora/jwks.json').expect(200)).body;
    assert.deepEqual(body.authorityKeys, jwks, 'the keys returned at registration are the published ones (claim 10)');

    const { payload, header } = await verifyJws(body.clientCertificate, {
      typ: TOKEN_TYPES.clientCertificate,
      schema: clientCertificateClaimsSchema,
      problem: 'proof_invalid',
      resolveKey: (hdr) => body.authorityKeys.keys.find((k) => k.kid === hdr.kid && k.use === 'sig') ?? null,
    });
    assert.equal(header.typ, 'tessera-client+jwt');
    assert.equal(payload.iss, aurora.issuer);
    assert.equal(payload.sub, body.clientId);
    assert.equal(payload.uid, alice.id);
    assert.equal(payload.leaf, body.leafId);
    assert.equal(await jwkThumbprint(payload.cnf.jwk), await jwkThumbprint(device.key.publicJwk), 'the certificate binds the device key');
    assert.ok(Math.abs(payload.iat - Date.now() / 1000) < 60, `the certificate is issued now: iat ${payload.iat}`);

    const row = await clientRow(body.clientId);
    assert.ok(row, 'the client is stored');
    assert.equal(row.userId, alice.id);
    assert.equal(row.leafId, body.leafId);
    assert.equal(row.certificate, body.clientCertificate);
    assert.equal(row.thumbprint, await jwkThumbprint(device.key.publicJwk));
    assert.deepEqual({ x: row.publicJwk.x, y: row.publicJwk.y }, { x: device.key.publicJwk.x, y: device.key.publicJwk.y });
    assert.equal(row.status, 'active');
    assert.equal(row.label, 'Living-room TV');
    assert.equal(row.revokedAt, null);
  });

  test('leaf IDs are distinct, increasing and never handed out again', async () => {
    await h.user(aurora.id, 'leafy', password);
    const leaves: number[] = [];
    for (let i = 0; i < 3; i++) {
      const device = await TestDevice.create(h, 'aurora');
      const res = await device.register('leafy', password);
      assert.equal(res.status, 201);
      leaves.push(res.body.leafId);
      // A revoked device keeps its leaf: the next device gets a fresh one.
      if (i === 0) (await device.call('DELETE', `/devices/${device.clientId}`)).status === 200 || assert.fail('deactivation failed');
    }
    assert.ok(leaves[0]! < leaves[1]! && leaves[1]! < leaves[2]!, `leaves ${leaves.join(',')} increase`);
    const [authority] = await h.server.ctx.db.select().from(authorities).where(eq(authorities.id, aurora.id));
    assert.ok(authority!.nextLeafId > leaves[2]!, `the next leaf ID is past every one handed out: ${authority!.nextLeafId} > ${leaves[2]}`);
  });

  test('a wrong password and an unknown user both get invalid_credentials, and nothing is stored', async () => {
    const bob = await h.user(aurora.id, 'bob', password);
    const wrong = expectProblem(await (await TestDevice.create(h, 'aurora')).register('bob', 'not the password'), 401, 'invalid_credentials');
    const unknown = expectProblem(await (await TestDevice.create(h, 'aurora')).register('nobody', password), 401, 'invalid_credentials');
    assert.equal(wrong.detail, unknown.detail, 'the answer does not tell which usernames exist');
    assert.equal((await clientsOf(bob.id)).length, 0);
  });

  test('the username is matched regardless of case', async () => {
    await h.user(aurora.id, 'Carol', password);
    assert.equal((await (await TestDevice.create(h, 'aurora')).register('carol', password)).status, 201);
  });

  test('a suspended user cannot register a device', async () => {
    const dave = await h.user(aurora.id, 'dave', password);
    await h.server.ctx.db
      .update(users)
      .set({ status: 'suspended' })
      .where(and(eq(users.authorityId, aurora.id), eq(users.id, dave.id)));
    expectProblem(await (await TestDevice.create(h, 'aurora')).register('dave', password), 403, 'user_suspended');
    assert.equal((await clientsOf(dave.id)).length, 0);
  });

  test('a proof signed by another key than the one being registered is refused', async () => {
    const erin = await h.user(aurora.id, 'erin', password);
    const key = await generateEcKeyPair('sig');
    const impostor = await generateEcKeyPair('sig');
    // The proof carries its own (different) key in its header.
    expectProblem(await registrationRequest(h, 'aurora', registrationBody('erin', password, key), { proofKey: impostor }), 401, 'proof_invalid');
    // The proof names the registered key but is signed by another one.
    const body = registrationBody('erin', password, key);
    const forged = await signRegistrationProof(h, 'aurora', body, { ...impostor, publicJwk: key.publicJwk });
    expectProblem(await registrationRequest(h, 'aurora', body, { proof: forged }), 401, 'proof_invalid');
    assert.equal((await clientsOf(erin.id)).length, 0);
  });

  test('a registration without a proof is refused', async () => {
    await h.user(aurora.id, 'frank', password);
    const key = await generateEcKeyPair('sig');
    expectProblem(await registrationRequest(h, 'aurora', registrationBody('frank', password, key), { proof: null }), 401, 'proof_missing');
  });

  test('a device proof of a registered device (client ID, no key) cannot register', async () => {
    await h.user(aurora.id, 'gina', password);
    const device = await TestDevice.create(h, 'aurora');
    assert.equal((await device.register('gina', password)).status, 201);
    const key = await generateEcKeyPair('sig');
    const body = registrationBody('gina', password, key);
    const proof = await device.proofFor('POST', '/devices', body);
    expectProblem(await registrationRequest(h, 'aurora', body, { proof }), 401, 'proof_invalid');
  });

  test('a replayed registration request is refused', async () => {
    await h.user(aurora.id, 'hank', password);
    const key = await generateEcKeyPair('sig');
    const body = registrationBody('hank', password, key);
    const proof = await signRegistrationProof(h, 'aurora', body, key);
    assert.equal((await registrationRequest(h, 'aurora', body, { proof })).status, 201);
    expectProblem(await registrationRequest(h, 'aurora', body, { proof }), 401, 'proof_replayed');
    const nonces = await h.server.ctx.db.select().from(deviceProofNonces).where(eq(deviceProofNonces.authorityId, aurora.id));
    assert.ok(nonces.length > 0, 'registration proofs are remembered in the shared nonce store');
  });

  test('a registration proof made for another URL or body is refused', async () => {
    await h.user(aurora.id, 'iris', password);
    const key = await generateEcKeyPair('sig');
    const body = registrationBody('iris', password, key);
    const otherBody = await signRegistrationProof(h, 'aurora', registrationBody('iris', password, key, { label: 'x' }), key);
    expectProblem(await registrationRequest(h, 'aurora', body, { proof: otherBody }), 401, 'proof_mismatch');
    const otherUrl = await signRegistrationProof(h, 'elsewhere', body, key);
    expectProblem(await registrationRequest(h, 'aurora', body, { proof: otherUrl }), 401, 'proof_mismatch');
  });

  test('the same key cannot be registered twice', async () => {
    await h.user(aurora.id, 'jack', password);
    await h.user(aurora.id, 'kate', password);
    const device = await TestDevice.create(h, 'aurora');
    assert.equal((await device.register('jack', password)).status, 201);
    expectProblem(await device.register('jack', password), 409, 'key_already_registered');
    expectProblem(await device.register('kate', password), 409, 'key_already_registered');
  });

  test('malformed, unknown-field and oversized bodies get their problems', async () => {
    await h.user(aurora.id, 'liam', password);
    const key = await generateEcKeyPair('sig');
    expectProblem(await registrationRequest(h, 'aurora', '{"credentials": ', { proofKey: key }), 400, 'malformed_request');
    expectProblem(await registrationRequest(h, 'aurora', registrationBody('liam', password, key, { admin: true }), { proofKey: key }), 400, 'invalid_request');
    expectProblem(
      await registrationRequest(h, 'aurora', registrationBody('liam', password, { ...key, publicJwk: { ...key.publicJwk, d: 'secret' } as never }), {
        proofKey: key,
      }),
      400,
      'invalid_request',
    );
    const huge = registrationBody('liam', password, key, { label: 'x'.repeat(70 * 1024) });
    expectProblem(await registrationRequest(h, 'aurora', huge, { proofKey: key }), 413, 'payload_too_large');
    expectProblem(await h.request().post('/t/aurora/devices').set('Content-Type', 'text/plain').send('hello'), 415, 'unsupported_media_type');
  });

  test('an unknown authority is refused', async () => {
    const key = await generateEcKeyPair('sig');
    expectProblem(await registrationRequest(h, 'nowhere', registrationBody('liam', password, key), { proofKey: key }), 404, 'authority_unknown');
  });
});

describe('the per-user device limit', () => {
  let h: Harness;
  let aurora: { id: string; slug: string; issuer: string };
  const password = 'correct horse battery';
  const activeDevicesOf = async (userId: string) =>
    (
      await h.server.ctx.db
        .select()
        .from(clients)
        .where(and(eq(clients.authorityId, aurora.id), eq(clients.userId, userId)))
    ).filter((c) => c.status === 'active');

  before(async () => {
    h = await startHarness();
    aurora = await h.authority({ slug: 'aurora' });
  });
  after(() => h.close());

  /**
   * On PostgreSQL, holds the authority row (the leaf counter) while the racers run, so all four
   * are inside their transactions at once before any can commit: without the user lock they
   * would all count 11 devices. PGlite runs one transaction at a time, so there it just races.
   */
  const raceAgainstHeldLeafCounter = async <T>(race: () => Promise<T>): Promise<T> => {
    if (testEngine() !== 'postgres') return race();
    let result: Promise<T> | undefined;
    await h.server.ctx.db.transaction(async (tx) => {
      await tx.select().from(authorities).where(eq(authorities.id, aurora.id)).for('update');
      result = race();
      result.catch(() => {});
      const deadline = Date.now() + 5_000;
      while (Date.now() < deadline) {
        const waiting = (await h.server.ctx.db.execute(
          sql`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
        )) as unknown as { rows: { n: number }[] };
        if (waiting.rows[0]!.n >= 4) break;
        await new Promise((r) => setTimeout(r, 20));
      }
    });
    return result!;
  };

  const registerMany = async (username: string, n: number) => {
    const devices: TestDevice[] = [];
    for (let i = 0; i < n; i++) {
      const device = await TestDevice.create(h, 'aurora');
      const res = await device.register(username, password);
      assert.equal(res.status, 201, JSON.stringify(res.body));
      devices.push(device);
    }
    return devices;
  };

  test('the 13th device of a user is refused and nothing is written', async () => {
    const mona = await h.user(aurora.id, 'mona', password);
    const devices = await registerMany('mona', 12);
    const [before13] = await h.server.ctx.db.select().from(authorities).where(eq(authorities.id, aurora.id));
    expectProblem(await (await TestDevice.create(h, 'aurora')).register('mona', password), 409, 'device_limit_reached');
    assert.equal((await activeDevicesOf(mona.id)).length, 12);
    const [after13] = await h.server.ctx.db.select().from(authorities).where(eq(authorities.id, aurora.id));
    assert.equal(after13!.nextLeafId, before13!.nextLeafId, 'no leaf is consumed by a refused registration');

    // Only active devices count: deactivating one frees a slot.
    assert.equal((await devices[0]!.call('DELETE', `/devices/${devices[0]!.clientId}`)).status, 200);
    assert.equal((await (await TestDevice.create(h, 'aurora')).register('mona', password)).status, 201);
    expectProblem(await (await TestDevice.create(h, 'aurora')).register('mona', password), 409, 'device_limit_reached');
  });

  test('when four registrations race for the last slot exactly one wins', async () => {
    const nora = await h.user(aurora.id, 'nora', password);
    await registerMany('nora', 11);
    const racers = await Promise.all([1, 2, 3, 4].map(() => TestDevice.create(h, 'aurora')));
    const answers = await raceAgainstHeldLeafCounter(() => Promise.all(racers.map((d) => d.register('nora', password))));
    const statuses = answers.map((r) => r.status).sort();
    assert.deepEqual(statuses, [201, 409, 409, 409], JSON.stringify(answers.map((r) => r.body.code ?? r.body.clientId)));
    for (const r of answers.filter((a) => a.status === 409)) expectProblem(r, 409, 'device_limit_reached');
    assert.equal((await activeDevicesOf(nora.id)).length, 12);
  });

  test('the limit is the authority’s setting', async () => {
    const small = await h.authority({ slug: 'small', deviceLimit: 2 });
    await h.user(small.id, 'olga', password);
    for (let i = 0; i < 2; i++) assert.equal((await (await TestDevice.create(h, 'small')).register('olga', password)).status, 201);
    expectProblem(await (await TestDevice.create(h, 'small')).register('olga', password), 409, 'device_limit_reached');
  });
});
