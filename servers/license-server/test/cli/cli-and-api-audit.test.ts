import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import supertest from 'supertest';
import { serverCommand } from '../../../../test/support/server-process.ts';
import { createTesseraServer, type TesseraServer } from '../../src/server.ts';
import { createTestDatabase, testEngine } from '../support/harness.ts';

interface AuditItem {
  actor: string | null;
  action: string;
  target: string | null;
  details: Record<string, unknown> | null;
}

/*
 * `tessera-server` and the admin API change prices and keys through the same domain functions,
 * so an operator reading the audit log sees one action whoever did it: the same name, target
 * and shape of details, told apart only by the actor (`cli` or the administrator's e-mail).
 * Both run against one data directory: the commands first, then the app in this process.
 */
describe(`tessera-server and the admin API record the same audit actions (${testEngine()})`, () => {
  const owner = { email: 'owner@aurora.test', password: 'a long enough password' };
  let dir: string;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let env: NodeJS.ProcessEnv;
  let server: TesseraServer;
  let api: supertest.Agent;

  const ok = async (...args: string[]) => {
    const res = await serverCommand(args, env);
    assert.equal(res.code, 0, `${args.join(' ')} failed: ${res.stderr}`);
    return res.stdout;
  };
  /** The authority's audit entries of one action, newest first, as the console lists them. */
  const audited = async (action: string): Promise<AuditItem[]> => (await api.get('/admin/authorities/aurora/audit').query({ action }).expect(200)).body.items;
  const shape = (details: Record<string, unknown> | null) => Object.keys(details ?? {}).sort();

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-cli-audit-'));
    database = await createTestDatabase();
    env = {
      TESSERA_DATA_DIR: path.join(dir, 'data'),
      TESSERA_MASTER_KEY: randomBytes(32).toString('base64'),
      TESSERA_PUBLIC_URL: 'http://127.0.0.1:4001',
      TESSERA_LOG_LEVEL: 'warn',
      DATABASE_URL: database.url === 'memory://' ? '' : database.url,
    };
    await ok('authority', 'create', '--slug', 'aurora', '--name', 'Aurora Media', '--license-price', '299', '--move-price', '99');
    await ok('admin', 'create', '--email', owner.email, '--password', owner.password, '--authority', 'aurora', '--role', 'owner');
    await ok('prices', 'set', '--authority', 'aurora', '--license-price', '349', '--move-price', 'none');
    await ok('keys', 'rotate', '--authority', 'aurora', '--use', 'sig');
    // The embedded database has one owner at a time: the app opens it once the commands are done.
    server = await createTesseraServer({
      dataDir: env.TESSERA_DATA_DIR!,
      databaseUrl: env.DATABASE_URL || undefined,
      masterKey: env.TESSERA_MASTER_KEY!,
      publicUrl: env.TESSERA_PUBLIC_URL!,
      logLevel: 'silent',
      backgroundJobs: false,
    });
    api = supertest.agent(server.app);
    await api.post('/admin/session').send(owner).expect(200);
  });
  after(async () => {
    await server?.close();
    await database.drop();
    await rm(dir, { recursive: true, force: true });
  });

  test('a price change is prices.updated with the list before and after, from the command line and from the API', async () => {
    const listed = await api.get('/admin/authorities/aurora/prices').expect(200);
    assert.deepEqual([listed.body.license, listed.body.move], [349, null], 'the API reads the prices the command set');
    await api.patch('/admin/authorities/aurora/prices').send({ move: 149 }).expect(200);

    const [byApi, byCli, ...rest] = await audited('prices.updated');
    assert.equal(rest.length, 0, 'one entry each');
    assert.deepEqual([byApi!.actor, byCli!.actor], [owner.email, 'cli']);
    assert.equal(byApi!.target, byCli!.target, 'both name the authority');
    assert.deepEqual(shape(byApi!.details), shape(byCli!.details));
    assert.deepEqual(byCli!.details, {
      before: { currency: 'EUR', license: 299, move: 99, federationFee: null },
      after: { currency: 'EUR', license: 349, move: null, federationFee: null },
    });
    assert.deepEqual(byApi!.details, {
      before: { currency: 'EUR', license: 349, move: null, federationFee: null },
      after: { currency: 'EUR', license: 349, move: 149, federationFee: null },
    });
  });

  test('a key rotation is keys.rotate with the use and what each use did, from the command line and from the API', async () => {
    await api.post('/admin/authorities/aurora/keys/rotate').send({ use: 'sig' }).expect(200);

    const [byApi, byCli, ...rest] = await audited('keys.rotate');
    assert.equal(rest.length, 0, 'one entry each');
    assert.deepEqual([byApi!.actor, byCli!.actor], [owner.email, 'cli']);
    assert.equal(byApi!.target, byCli!.target, 'both name the authority');
    assert.deepEqual(shape(byApi!.details), shape(byCli!.details));
    for (const entry of [byApi!, byCli!]) {
      const details = entry.details as { use: string; rotations: { use: string; activated: string | null; retired: string | null; next: string }[] };
      assert.equal(details.use, 'sig');
      assert.deepEqual(
        details.rotations.map((r) => r.use),
        ['sig'],
      );
      assert.ok(details.rotations[0]!.activated && details.rotations[0]!.retired, `${entry.actor}'s rotation promoted a next key and retired the active one`);
    }
    const cliRotation = (byCli!.details as { rotations: { next: string }[] }).rotations[0]!;
    const apiRotation = (byApi!.details as { rotations: { activated: string }[] }).rotations[0]!;
    assert.equal(apiRotation.activated, cliRotation.next, "the API's rotation promoted the next key the command announced");
  });
});
