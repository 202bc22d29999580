import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import type { ExtractTablesWithRelations } from 'drizzle-orm';
import pg from 'pg';
import { PRIVATE_DIRECTORY_MODE, preparePrivateDirectory, restrictTree } from './private-files.ts';
import * as schema from './schema.ts';

export type Schema = typeof schema;
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
export type Tx = PgTransaction<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;
/** Query functions take an executor, so the same function runs alone or inside a transaction. */
export type Executor = Db | Tx;

export interface Database {
  db: Db;
  engine: 'pglite' | 'postgres';
  close(): Promise<void>;
}

const migrationsFolder = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');
// Any constant works; it only has to be the same for every instance sharing a database.
const MIGRATION_LOCK_ID = 0x7e55e7a;

export interface OpenDatabaseOptions {
  databaseUrl?: string | undefined;
  dataDir: string;
  poolSize?: number;
}

/**
 * The embedded engine's memory settings. PGlite runs PostgreSQL inside the server process, so its
 * buffers count against the server's resident memory: PostgreSQL's default 128 MB of shared
 * buffers alone would put an idle server near 300 MiB. 32 MB keeps the whole process well under
 * that while a single-process engine still caches the hot rows (licenses, devices, keys).
 */
const PGLITE_SETTINGS = ['-c', 'shared_buffers=32MB', '-c', 'wal_buffers=1MB'];

/** Opens PostgreSQL when a URL is given, otherwise the embedded PGlite in `<dataDir>/db`, and migrates. */
export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  if (options.databaseUrl && options.databaseUrl !== 'memory://') {
    const pool = new pg.Pool({ connectionString: options.databaseUrl, max: options.poolSize ?? 20 });
    // An idle connection the server terminates (restart, failover, DROP DATABASE … FORCE) is
    // discarded by the pool and replaced on demand; unhandled, the event would crash the process.
    pool.on('error', () => {});
    // Several server processes may start at once: the advisory lock lets one migrate at a time.
    const client = await pool.connect();
    try {
      await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
      try {
        await migratePg(drizzlePg(client, { schema }), { migrationsFolder });
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]);
      }
    } finally {
      client.release();
    }
    const db = drizzlePg(pool, { schema }) as unknown as Db;
    return { db, engine: 'postgres', close: () => pool.end() };
  }
  // `memory://` keeps the embedded database in memory (tests); otherwise it persists in the data directory.
  const inMemory = options.dataDir === 'memory://' || options.databaseUrl === 'memory://';
  const dir = path.join(options.dataDir, 'db');
  if (!inMemory) {
    await preparePrivateDirectory(options.dataDir);
    await mkdir(dir, { recursive: true, mode: PRIVATE_DIRECTORY_MODE });
  }
  const client = await PGlite.create(inMemory ? 'memory://' : dir, { startParams: [...PGlite.defaultStartParams, ...PGLITE_SETTINGS] });
  const db = drizzlePglite(client, { schema });
  await migratePglite(db, { migrationsFolder });
  if (!inMemory) await restrictTree(dir);
  return { db: db as unknown as Db, engine: 'pglite', close: () => client.close() };
}

export async function ping(db: Db): Promise<void> {
  await db.execute(sql`select 1`);
}
