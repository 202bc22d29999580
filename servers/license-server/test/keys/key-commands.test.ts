import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { and, eq, inArray } from 'drizzle-orm';
import { serverCommand } from '../../../../test/support/server-process.ts';
import { openDatabase } from '../../src/storage/db.ts';
import { auditLog, authorities, authorityKeys } from '../../src/storage/schema.ts';
import { createTestDatabase } from '../support/harness.ts';

/*
 * The `tessera-server keys …` and `authority show` commands, run as the operator runs them:
 * the real binary, its own process, against a data directory (PGlite) or PostgreSQL.
 */
describe('tessera-server key commands', () => {
  let dataDir: string;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let env: NodeJS.ProcessEnv;
  const publicUrl = 'https://licenses.aurora.test';

  const run = async (...args: string[]) => serverCommand(args, env);
  const ok = async (...args: string[]) => {
    const result = await run(...args);
    assert.equal(result.code, 0, `${args.join(' ')} failed: ${result.stderr}`);
    return result.stdout;
  };
  /** Reads the stored keys and audit rows; the embedded database is opened only between commands. */
  const stored = async () => {
    const db = await openDatabase({ databaseUrl: database.url === 'memory://' ? undefined : database.url, dataDir, poolSize: 2 });
    try {
      const [authority] = await db.db.select().from(authorities).where(eq(authorities.slug, 'aurora'));
      const keys = await db.db.select().from(authorityKeys).where(eq(authorityKeys.authorityId, authority!.id));
      const audit = await db.db
        .select()
        .from(auditLog)
        .where(and(eq(auditLog.authorityId, authority!.id), inArray(auditLog.action, ['keys.rotate', 'key.retire', 'key.revoke'])));
      return { keys, audit };
    } finally {
      await db.close();
    }
  };
  const kids = (rows: { use: string; status: string; kid: string }[], use: string, status: string) =>
    rows.filter((k) => k.use === use && k.status === status).map((k) => k.kid);

  before(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'tessera-keys-cli-'));
    database = await createTestDatabase();
    env = {
      TESSERA_DATA_DIR: dataDir,
      TESSERA_MASTER_KEY: randomBytes(32).toString('base64'),
      TESSERA_PUBLIC_URL: publicUrl,
      TESSERA_LOG_LEVEL: 'warn',
      DATABASE_URL: database.url === 'memory://' ? '' : database.url,
    };
    await ok('authority', 'create', '--slug', 'aurora', '--name', 'Aurora Media', '--operator', 'Aurora Media Ltd');
  });
  after(async () => {
    await database.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  test('authority show prints the issuer, the name and the thumbprint of the key that signs the entity configuration', async () => {
    const out = await ok('authority', 'show', '--authority', 'aurora');
    const { keys } = await stored();
    assert.match(out, new RegExp(`^issuer\\s+${publicUrl}/t/aurora$`, 'm'));
    assert.match(out, /^name\s+Aurora Media$/m);
    assert.match(out, /^operator\s+Aurora Media Ltd$/m);
    assert.match(out, new RegExp(`^thumbprint\\s+${kids(keys, 'sig', 'active')[0]}$`, 'm'));
    assert.match(out, new RegExp(`^next\\s+${kids(keys, 'sig', 'next')[0]}$`, 'm'));
  });

  test('keys list shows an active and a next key for each use', async () => {
    const lines = (await ok('keys', 'list', '--authority', 'aurora')).trim().split('\n');
    assert.deepEqual(
      lines.map((l) =>
        l
          .split('\t')
          .slice(0, 2)
          .map((c) => c.trim())
          .join(':'),
      ),
      ['sig:active', 'sig:next', 'enc:active', 'enc:next'],
    );
    const { keys } = await stored();
    for (const k of keys)
      assert.ok(
        lines.some((l) => l.includes(k.kid)),
        `${k.kid} is listed`,
      );
  });

  test('keys rotate promotes the next keys, retires the active ones and is audited with actor cli', async () => {
    const before = (await stored()).keys;
    const out = await ok('keys', 'rotate', '--authority', 'aurora');
    const { keys, audit } = await stored();
    for (const use of ['sig', 'enc']) {
      assert.deepEqual(kids(keys, use, 'active'), kids(before, use, 'next'));
      assert.deepEqual(kids(keys, use, 'retired'), kids(before, use, 'active'));
      assert.equal(kids(keys, use, 'next').length, 1);
      assert.match(out, new RegExp(`^${use}: ${kids(keys, use, 'active')[0]} active`, 'm'));
    }
    assert.deepEqual(
      audit.map((a) => [a.action, a.actor]),
      [['keys.rotate', 'cli']],
    );
  });

  test('keys rotate --use sig rotates the signing keys only', async () => {
    const before = (await stored()).keys;
    await ok('keys', 'rotate', '--authority', 'aurora', '--use', 'sig');
    const { keys } = await stored();
    assert.deepEqual(kids(keys, 'sig', 'active'), kids(before, 'sig', 'next'));
    assert.deepEqual(kids(keys, 'enc', 'active'), kids(before, 'enc', 'active'));
    assert.deepEqual(kids(keys, 'enc', 'next'), kids(before, 'enc', 'next'));
    const refused = await run('keys', 'rotate', '--authority', 'aurora', '--use', 'everything');
    assert.notEqual(refused.code, 0);
  });

  test('keys revoke withdraws a retired key; the active key and unknown kids are refused with a non-zero exit', async () => {
    const before = (await stored()).keys;
    const retired = kids(before, 'sig', 'retired')[0]!;
    const out = await ok('keys', 'revoke', '--authority', 'aurora', '--kid', retired);
    assert.match(out, new RegExp(`key ${retired} revoked`));
    const { keys, audit } = await stored();
    assert.equal(keys.find((k) => k.kid === retired)!.status, 'revoked');
    assert.ok(
      audit.some((a) => a.action === 'key.revoke' && a.actor === 'cli' && a.target === retired),
      'the revocation is audited with actor cli and the revoked kid',
    );

    const active = await run('keys', 'revoke', '--authority', 'aurora', '--kid', kids(keys, 'sig', 'active')[0]!);
    assert.equal(active.code, 1);
    assert.match(active.stderr, /key_state_invalid/);
    const unknown = await run('keys', 'revoke', '--authority', 'aurora', '--kid', 'A'.repeat(43));
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /key_unknown/);
    const nowhere = await run('keys', 'list', '--authority', 'nowhere');
    assert.equal(nowhere.code, 1);
    assert.match(nowhere.stderr, /authority_unknown/);
    assert.deepEqual(
      (await stored()).keys.map((k) => `${k.kid}:${k.status}`).sort(),
      keys.map((k) => `${k.kid}:${k.status}`).sort(),
      'the refused commands changed nothing',
    );
  });
});
