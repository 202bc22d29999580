import path from 'node:path';
import { issuerInputSchema } from '@tessera/protocol';
import { z } from 'zod';

/**
 * Configuration is parsed once, here, where its defaults live, into a typed object that is
 * passed to the app factory. Environment variables map onto it in `configFromEnv`.
 */
export const serverConfigSchema = z.object({
  /** The base URL clients use to reach this server; issuers are `<publicUrl>/t/<slug>`. */
  publicUrl: issuerInputSchema,
  host: z.string().default('127.0.0.1'),
  port: z.coerce.number().int().min(0).max(65535).default(4001),
  /** Embedded database, packages and (without TESSERA_MASTER_KEY) the master key file live here. */
  dataDir: z.string().min(1),
  /** A PostgreSQL server; without it the embedded PGlite database in `dataDir` is used. */
  databaseUrl: z.string().optional(),
  /** 32 bytes, base64 or hex. Without it a key file in `dataDir` is created (with a loud warning). */
  masterKey: z.string().optional(),
  /** Cookies are marked Secure (production behind TLS). */
  secureCookies: z.boolean().default(false),
  /** Accepted clock difference for device proofs and token times, seconds. */
  clockSkewSeconds: z.number().int().min(5).max(600).default(60),
  /** How long a copy certificate stays valid for the destination to receive it, seconds. */
  copyCertificateTtlSeconds: z.number().int().min(60).default(7 * 24 * 3600),
  maxJsonBodyBytes: z.number().int().default(64 * 1024),
  maxUploadBytes: z.number().int().default(16 * 1024 ** 3),
  pgPoolSize: z.number().int().min(1).max(200).default(20),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Background jobs (nonce clean-up, move recovery, peer refresh); tests may switch them off. */
  backgroundJobs: z.boolean().default(true),
  /** How long a peer may take to answer a federation call before it counts as unanswered, ms. */
  peerTimeoutMs: z.number().int().min(100).default(10_000),
  /** How often the recovery loop looks for cross-authority moves waiting for an answer, ms. */
  moveRecoveryIntervalMs: z.number().int().min(50).default(2_000),
});
export type ServerConfig = z.infer<typeof serverConfigSchema>;
export type ServerConfigInput = z.input<typeof serverConfigSchema>;

export function parseConfig(input: ServerConfigInput): ServerConfig {
  return serverConfigSchema.parse(input);
}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env, overrides: Partial<ServerConfigInput> = {}): ServerConfig {
  const host = overrides.host ?? env.TESSERA_HOST ?? '127.0.0.1';
  const port = Number(overrides.port ?? env.TESSERA_PORT ?? env.PORT ?? 4001);
  return parseConfig({
    publicUrl: env.TESSERA_PUBLIC_URL ?? `http://${host}:${port}`,
    host,
    port,
    dataDir: path.resolve(env.TESSERA_DATA_DIR ?? '.tessera'),
    databaseUrl: env.DATABASE_URL || undefined,
    masterKey: env.TESSERA_MASTER_KEY || undefined,
    secureCookies: env.NODE_ENV === 'production',
    logLevel: (env.TESSERA_LOG_LEVEL as ServerConfig['logLevel']) ?? 'info',
    ...(env.TESSERA_PEER_TIMEOUT_MS ? { peerTimeoutMs: Number(env.TESSERA_PEER_TIMEOUT_MS) } : {}),
    ...(env.TESSERA_MOVE_RECOVERY_INTERVAL_MS ? { moveRecoveryIntervalMs: Number(env.TESSERA_MOVE_RECOVERY_INTERVAL_MS) } : {}),
    ...overrides,
  });
}
