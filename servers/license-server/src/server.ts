import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Express } from 'express';
import type { Logger } from 'pino';
import { answerClientErrors } from './http/errors.ts';
import { createLogger } from './logging.ts';
import { sweepAttemptBuckets } from './limits/password-attempt-queries.ts';
import { preparePrivateDirectory } from './storage/private-files.ts';
import { AuthorityDirectory } from './authorities/authority-directory.ts';
import { parseConfig, type ServerConfig, type ServerConfigInput } from './config.ts';
import { createFileBlobStore } from './contents/blob-store.ts';
import type { AppContext } from './context.ts';
import { createApp } from './http/app.ts';
import { routeModules } from './routes.ts';
import { AuthorityKeyring } from './keys/authority-keyring.ts';
import { createMasterKeySecretBox, loadMasterKey } from './keys/secret-box.ts';
import { openDatabase, type Database } from './storage/db.ts';
import { recoverReservedMoves } from './moves/cross-authority-move.ts';
import { refreshExpiredPeers } from './federation/peers.ts';
import { sweepExpiredNonces } from './storage/replay-queries.ts';
import { deleteExpiredAdminSessions } from './admin/session-queries.ts';

export interface TesseraServer {
  ctx: AppContext;
  app: Express;
  /** Starts listening on the configured host/port; resolves with the bound URL. */
  listen(): Promise<string>;
  close(): Promise<void>;
}

export interface CreateServerOptions {
  logger?: Logger;
  /** An already opened database (tests share one across app instances). */
  database?: Database;
}

/** Opens storage (migrating it), loads keys and builds the app. */
export async function createTesseraServer(input: ServerConfigInput | ServerConfig, options: CreateServerOptions = {}): Promise<TesseraServer> {
  const config = parseConfig(input);
  const logger = options.logger ?? createLogger(config.logLevel);
  await preparePrivateDirectory(config.dataDir);
  const database = options.database ?? (await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: config.pgPoolSize }));
  const secrets = createMasterKeySecretBox(await loadMasterKey(config.masterKey, config.dataDir, logger));
  const ctx: AppContext = {
    config,
    db: database.db,
    engine: database.engine,
    secrets,
    logger,
    blobs: createFileBlobStore(path.join(config.dataDir, 'packages')),
    keyring: new AuthorityKeyring(database.db, secrets),
    authorities: new AuthorityDirectory(database.db, config.publicUrl),
  };
  const app = createApp(ctx, routeModules);
  const timers: NodeJS.Timeout[] = [];
  if (config.backgroundJobs) {
    const sweep = () => {
      const now = new Date();
      Promise.all([
        sweepExpiredNonces(ctx.db, now),
        deleteExpiredAdminSessions(ctx.db, now),
        // Attempt counts outlive neither their window nor the longest wait they impose.
        sweepAttemptBuckets(ctx.db, new Date(now.getTime() - Math.max(config.signInWindowSeconds, config.signInMaxDelaySeconds) * 1000)),
      ]).catch((err) => logger.warn({ err }, 'expired nonce sweep failed'));
    };
    timers.push(setInterval(sweep, 60_000).unref());
    // The move recovery loop: reserved cross-authority moves are asked again until they end,
    // also after a restart of this server or of the peer (the queue is the moves table).
    let recovering = false;
    const recover = () => {
      if (recovering) return;
      recovering = true;
      recoverReservedMoves(ctx)
        .then(() => refreshExpiredPeers(ctx))
        .catch((err) => logger.warn({ err }, 'move recovery pass failed'))
        .finally(() => {
          recovering = false;
        });
    };
    timers.push(setInterval(recover, config.moveRecoveryIntervalMs).unref());
    setImmediate(recover);
  }
  let http: Server | undefined;
  return {
    ctx,
    app,
    listen: () =>
      new Promise((resolve, reject) => {
        // Expired header and keep-alive deadlines are looked for every second (Node's default: 30 s).
        http = createHttpServer({ connectionsCheckingInterval: 1_000 }, app);
        // Bodies are timed per request by the app (http/request-deadlines.ts), because an upload may
        // rightly take hours and Node's requestTimeout cannot tell it from a JSON request.
        http.requestTimeout = 0;
        http.headersTimeout = config.headersTimeoutMs;
        http.keepAliveTimeout = config.keepAliveTimeoutMs;
        http.maxConnections = config.maxConnections;
        answerClientErrors(http);
        http.once('error', reject);
        http.listen(config.port, config.host, () => {
          const { port } = http!.address() as AddressInfo;
          resolve(`http://${config.host}:${port}`);
        });
      }),
    async close() {
      for (const t of timers) clearInterval(t);
      if (http) {
        http.closeAllConnections();
        await new Promise<void>((resolve) => http!.close(() => resolve()));
      }
      if (!options.database) await database.close();
    },
  };
}
