import path from 'node:path';
import { canonicalIssuer, IssuerError, issuerInputSchema } from '@tessera/protocol';
import ipaddr from 'ipaddr.js';
import { z } from 'zod';

/**
 * One entry per setting: the environment variable that sets it, its schema with its default, and
 * what it means. The config schema, `configFromEnv` and the README's table are all derived from
 * this list, so a setting cannot exist in one of them and be missing from another.
 */
export interface Setting {
  env: string;
  schema: z.ZodType;
  /** One line for the README's table. */
  description: string;
  /** Read when `env` is unset; `value` maps its text onto this setting's (undefined: not set). */
  fallback?: { env: string; value?: (text: string) => string | undefined };
  /** The default as the README shows it, when the schema's default is derived or machine-dependent. */
  shownDefault?: string;
}

const isCidr = (text: string) => {
  try {
    ipaddr.parseCIDR(text);
    return true;
  } catch {
    return false;
  }
};

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const serverSettings = {
  publicUrl: {
    env: 'TESSERA_PUBLIC_URL',
    // Optional only because its default is made from host and port, in `serverConfigSchema`.
    schema: issuerInputSchema.optional(),
    description: 'the base URL clients use to reach this server; issuers are `<url>/t/<slug>`',
    shownDefault: '`http://<host>:<port>`',
  },
  host: { env: 'TESSERA_HOST', schema: z.string().min(1).default('127.0.0.1'), description: 'the interface to listen on' },
  port: {
    env: 'TESSERA_PORT',
    schema: z.number().int().min(0).max(65535).default(4001),
    description: 'the port to listen on',
    // Platforms that assign the port announce it in PORT.
    fallback: { env: 'PORT' },
  },
  dataDir: {
    env: 'TESSERA_DATA_DIR',
    schema: z
      .string()
      .min(1)
      .default('.tessera')
      .transform((dir) => path.resolve(dir)),
    description: 'the embedded database, packages and (without `TESSERA_MASTER_KEY`) the master key file live here',
    shownDefault: '`./.tessera`',
  },
  databaseUrl: {
    env: 'DATABASE_URL',
    schema: z.string().min(1).optional(),
    description: 'a PostgreSQL server (several processes can share it); without it the embedded PGlite database in the data directory is used',
  },
  masterKey: {
    env: 'TESSERA_MASTER_KEY',
    schema: z.string().min(1).optional(),
    description: '32 bytes, base64 or hex, sealing private keys and content keys at rest (`tessera-server master-key` prints one)',
    shownDefault: 'a key file in the data directory, with a loud warning',
  },
  secureCookies: {
    env: 'TESSERA_SECURE_COOKIES',
    schema: z.boolean().default(false),
    description: 'cookies are marked Secure and one proxy hop is trusted (production behind TLS)',
    fallback: { env: 'NODE_ENV', value: (text) => (text === 'production' ? 'true' : undefined) },
    shownDefault: '`true` when `NODE_ENV=production`, else `false`',
  },
  clockSkewSeconds: {
    env: 'TESSERA_CLOCK_SKEW_SECONDS',
    schema: z.number().int().min(5).max(600).default(60),
    description: 'accepted clock difference for device proofs and token times, seconds',
  },
  copyCertificateTtlSeconds: {
    env: 'TESSERA_COPY_CERTIFICATE_TTL_SECONDS',
    schema: z
      .number()
      .int()
      .min(60)
      .default(7 * 24 * 3600),
    description: 'how long a copy certificate stays valid for the destination to receive it, seconds',
  },
  maxJsonBodyBytes: {
    env: 'TESSERA_MAX_JSON_BODY_BYTES',
    schema: z
      .number()
      .int()
      .min(1024)
      .default(64 * 1024),
    description: 'the largest JSON request body accepted, bytes',
  },
  maxUploadBytes: {
    env: 'TESSERA_MAX_UPLOAD_BYTES',
    schema: z
      .number()
      .int()
      .min(1)
      .default(16 * 1024 ** 3),
    description: 'the largest content file an upload may declare, bytes',
  },
  pgPoolSize: {
    env: 'TESSERA_PG_POOL_SIZE',
    schema: z.number().int().min(1).max(200).default(20),
    description: 'connections each process keeps to the PostgreSQL server of `DATABASE_URL`',
  },
  logLevel: {
    env: 'TESSERA_LOG_LEVEL',
    schema: z.enum(logLevels).default('info'),
    description: `one of ${logLevels.map((l) => `\`${l}\``).join(', ')} (secrets and device proofs are never logged)`,
  },
  backgroundJobs: {
    env: 'TESSERA_BACKGROUND_JOBS',
    schema: z.boolean().default(true),
    description: 'run the background jobs (nonce clean-up, move recovery, peer refresh); tests may switch them off',
  },
  peerTimeoutMs: {
    env: 'TESSERA_PEER_TIMEOUT_MS',
    schema: z.number().int().min(100).default(10_000),
    description: 'how long a peer may take to answer a federation call before it counts as unanswered, ms',
  },
  moveRecoveryIntervalMs: {
    env: 'TESSERA_MOVE_RECOVERY_INTERVAL_MS',
    schema: z.number().int().min(50).default(2_000),
    description: 'how often the recovery loop looks for cross-authority moves waiting for an answer, ms',
  },
  headersTimeoutMs: {
    env: 'TESSERA_HEADERS_TIMEOUT_MS',
    schema: z.number().int().min(1_000).default(20_000),
    description: "how long a client may take to send a request's headers before its connection is closed, ms",
  },
  requestTimeoutMs: {
    env: 'TESSERA_REQUEST_TIMEOUT_MS',
    schema: z.number().int().min(1_000).default(30_000),
    description:
      'how long a client may take to send a whole request, body included, before it gets 408 and its connection is closed, ms (uploads: see the next)',
  },
  uploadIdleTimeoutMs: {
    env: 'TESSERA_UPLOAD_IDLE_TIMEOUT_MS',
    schema: z.number().int().min(1_000).default(30_000),
    description: 'an upload (which may take hours on a slow link) is cut when no byte of it arrives for this long, ms',
  },
  keepAliveTimeoutMs: {
    env: 'TESSERA_KEEP_ALIVE_TIMEOUT_MS',
    schema: z.number().int().min(0).default(5_000),
    description: 'how long an idle keep-alive connection stays open, ms',
  },
  maxConnections: {
    env: 'TESSERA_MAX_CONNECTIONS',
    schema: z.number().int().min(1).default(1_024),
    description: 'connections open at once; further ones are closed as they arrive (put a proxy in front for more)',
  },
  signInWindowSeconds: {
    env: 'TESSERA_SIGNIN_WINDOW_SECONDS',
    schema: z.number().int().min(1).default(900),
    description: 'the window in which failed password attempts (admin sign-ins, device registrations) are counted, s',
  },
  signInAddressLimit: {
    env: 'TESSERA_SIGNIN_ADDRESS_LIMIT',
    schema: z.number().int().min(1).default(20),
    description: 'password attempts one client address (an IPv6 /64) may fail in a window, across accounts, before it gets 429',
  },
  signInFreeFailures: {
    env: 'TESSERA_SIGNIN_FREE_FAILURES',
    schema: z.number().int().min(1).default(5),
    description: 'failed attempts on one account before each further attempt, from an address that has failed on it, waits 1 s, doubling',
  },
  signInMaxDelaySeconds: {
    env: 'TESSERA_SIGNIN_MAX_DELAY_SECONDS',
    schema: z.number().int().min(1).default(900),
    description: 'the longest such wait, s',
  },
  allowPrivatePeers: {
    env: 'TESSERA_ALLOW_PRIVATE_PEERS',
    schema: z
      .array(z.string().refine((entry) => ipaddr.isValid(entry) || isCidr(entry), 'each must be an IP address or a CIDR range such as 10.0.0.0/8'))
      .default([]),
    description:
      'addresses or CIDR ranges, comma-separated, of peers this server may call although they are private, loopback or link-local (e.g. `127.0.0.1` for a demo on one machine); every other such address is refused after DNS resolution',
    shownDefault: 'none',
  },
  allowedOrigins: {
    env: 'TESSERA_ALLOWED_ORIGINS',
    schema: z
      .array(z.url({ protocol: /^https?$/ }).refine((o) => new URL(o).origin === o, 'each must be an origin: scheme, host and port, no path'))
      .default([]),
    description:
      "browser origins, comma-separated, that may send changes to the admin API with a session cookie, besides this server's own (a console served to browsers on another origin)",
    shownDefault: 'none',
  },
} satisfies Record<string, Setting>;

type SettingKey = keyof typeof serverSettings;
type SettingsShape = { [K in SettingKey]: (typeof serverSettings)[K]['schema'] };
const settingKeys = Object.keys(serverSettings) as SettingKey[];

const settingsSchema = z.object(Object.fromEntries(settingKeys.map((key) => [key, serverSettings[key].schema])) as SettingsShape);

/** Configuration is parsed once, here, into a typed object that is passed to the app factory. */
export const serverConfigSchema = settingsSchema.transform(({ publicUrl, ...settings }, ctx) => {
  if (publicUrl !== undefined) return { publicUrl, ...settings };
  const host = settings.host.includes(':') ? `[${settings.host}]` : settings.host;
  const derived = `http://${host}:${settings.port}`;
  try {
    return { publicUrl: canonicalIssuer(derived), ...settings };
  } catch (error) {
    if (!(error instanceof IssuerError)) throw error;
    ctx.addIssue({ code: 'custom', path: ['publicUrl'], message: `not set, and its default ${derived} (from TESSERA_HOST and TESSERA_PORT) ${error.message}` });
    return z.NEVER;
  }
});
export type ServerConfig = z.infer<typeof serverConfigSchema>;
export type ServerConfigInput = z.input<typeof serverConfigSchema>;

export interface ConfigProblem {
  /** The environment variable at fault: operators set variables, not the fields behind them. */
  variable: string;
  problem: string;
}

/** Settings that cannot be used, one line per variable: `TESSERA_PORT: must be at most 65535`. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(problems.map((p) => `${p.variable}: ${p.problem}`).join('\n'));
  }
}

/** zod's messages name types and operators ("expected number to be <=65535"); an operator reads these. */
const operatorMessage: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type':
      return { int: 'must be a whole number', number: 'must be a number', boolean: 'must be true or false', string: 'must be text' }[issue.expected as string];
    case 'too_small':
      if (issue.origin === 'string' && Number(issue.minimum) <= 1) return 'must not be empty';
      if (issue.origin === 'number') return `must be ${issue.inclusive === false ? 'more than' : 'at least'} ${issue.minimum}`;
      return undefined;
    case 'too_big':
      if (issue.origin === 'string') return `must be at most ${issue.maximum} characters`;
      if (issue.origin === 'number') return `must be ${issue.inclusive === false ? 'less than' : 'at most'} ${issue.maximum}`;
      return undefined;
    case 'invalid_value':
      return `must be one of ${issue.values.map(String).join(', ')}`;
    default:
      return undefined;
  }
};

/** A problem found before the schema saw the value (text that is no number), by setting. */
type EarlyProblem = { key: SettingKey; problem: string };

function parseSettings(input: Record<string, unknown>, variableOf: (key: SettingKey) => string, early: EarlyProblem[] = []): ServerConfig {
  const result = serverConfigSchema.safeParse(input, { error: operatorMessage });
  const issues = (result.error?.issues ?? []).map((issue) => ({ key: issue.path[0] as SettingKey, problem: issue.message }));
  if (!early.length && !issues.length) return result.data!;
  // One line per variable, in the order of the list, even when a value breaks several rules.
  const lines = settingKeys.flatMap((key) => {
    const problems = [...new Set([...early, ...issues].filter((p) => p.key === key).map((p) => p.problem))];
    return problems.length ? [{ variable: variableOf(key), problem: problems.join('; ') }] : [];
  });
  const unplaced = issues.filter((p) => !settingKeys.includes(p.key)).map((p) => ({ variable: 'configuration', problem: p.problem }));
  throw new ConfigError([...lines, ...unplaced]);
}

/** Parses configuration given in code; a bad value is reported under its environment variable. */
export function parseConfig(input: ServerConfigInput): ServerConfig {
  return parseSettings(input as Record<string, unknown>, (key) => serverSettings[key].env);
}

/** The schema's own kind under its default, optional and transform wrappers. */
function baseType(schema: z.ZodType): string {
  const def = schema.def as { type: string; innerType?: z.ZodType; in?: z.ZodType };
  const inner = def.innerType ?? def.in;
  return inner ? baseType(inner) : def.type;
}

/** An environment variable's text as the value its setting's schema takes. */
function fromText(setting: Setting, text: string): { value: unknown } | { problem: string } {
  switch (baseType(setting.schema)) {
    case 'number':
      return /^\s*-?\d+(\.\d+)?\s*$/.test(text) ? { value: Number(text) } : { problem: 'must be a number' };
    case 'boolean': {
      const flag = text.trim().toLowerCase();
      if (flag === '1' || flag === 'true') return { value: true };
      if (flag === '0' || flag === 'false') return { value: false };
      return { problem: 'must be 1, 0, true or false' };
    }
    case 'array':
      return {
        value: text
          .split(',')
          .map((item) => item.trim())
          .filter(Boolean),
      };
    default:
      return { value: text };
  }
}

/** The variable that sets `setting` in `env`, and its text; an empty variable counts as unset. */
function readSetting(env: NodeJS.ProcessEnv, setting: Setting): { variable: string; text: string } | undefined {
  const own = env[setting.env];
  if (own) return { variable: setting.env, text: own };
  if (!setting.fallback) return undefined;
  const other = env[setting.fallback.env];
  const text = other ? (setting.fallback.value ? setting.fallback.value(other) : other) : undefined;
  return text ? { variable: setting.fallback.env, text } : undefined;
}

/**
 * The configuration from environment variables; `overrides` (command-line options, tests) win over
 * them. Every bad variable is reported at once, in one ConfigError.
 */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env, overrides: Partial<ServerConfigInput> = {}): ServerConfig {
  const input: Record<string, unknown> = {};
  const readFrom = new Map<SettingKey, string>();
  const problems: EarlyProblem[] = [];
  for (const key of settingKeys) {
    if (overrides[key] !== undefined) {
      input[key] = overrides[key];
      continue;
    }
    const read = readSetting(env, serverSettings[key]);
    if (!read) continue;
    readFrom.set(key, read.variable);
    const converted = fromText(serverSettings[key], read.text);
    if ('problem' in converted) problems.push({ key, problem: converted.problem });
    else input[key] = converted.value;
  }
  return parseSettings(input, (key) => readFrom.get(key) ?? serverSettings[key].env, problems);
}

/** A setting's default, as the server uses it when neither its variable nor code sets it. */
export function settingDefault<K extends Exclude<SettingKey, 'publicUrl'>>(key: K): ServerConfig[K] {
  return serverSettings[key].schema.parse(undefined) as ServerConfig[K];
}
