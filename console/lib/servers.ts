import 'server-only';
import { issuerInputSchema } from '@tessera/protocol';

/**
 * The license servers this console manages, read once from the environment:
 *
 *   TESSERA_CONSOLE_SERVER_A       base URL of server A   (default http://127.0.0.1:4001)
 *   TESSERA_CONSOLE_SERVER_A_NAME  its display name        (default "Server A")
 *   TESSERA_CONSOLE_SERVER_B       base URL of server B   (default http://127.0.0.1:4002)
 *   TESSERA_CONSOLE_SERVER_B_NAME  its display name        (default "Server B")
 *
 * Setting a URL to the empty string removes that server. The key (`a`, `b`) is the first path
 * segment of every console page and the suffix of the cookie that holds that server's session,
 * so signing in to one server never signs out of another.
 */
export interface LicenseServer {
  key: string;
  name: string;
  url: string;
}

// A base URL in the same canonical form as an issuer (SPEC §1.3): lower-case host, no trailing slash.
const urlSchema = issuerInputSchema;

function fromEnv(env: NodeJS.ProcessEnv): LicenseServer[] {
  const defaults = { a: ['http://127.0.0.1:4001', 'Server A'], b: ['http://127.0.0.1:4002', 'Server B'] } as const;
  return (Object.keys(defaults) as (keyof typeof defaults)[]).flatMap((key) => {
    const upper = key.toUpperCase();
    const raw = env[`TESSERA_CONSOLE_SERVER_${upper}`] ?? defaults[key][0];
    if (raw === '') return [];
    const parsed = urlSchema.safeParse(raw);
    if (!parsed.success) throw new Error(`TESSERA_CONSOLE_SERVER_${upper} is not an http(s) URL: ${raw}`);
    return [{ key, url: parsed.data, name: env[`TESSERA_CONSOLE_SERVER_${upper}_NAME`] || defaults[key][1] }];
  });
}

let cached: LicenseServer[] | undefined;

export function licenseServers(): LicenseServer[] {
  cached ??= fromEnv(process.env);
  return cached;
}

export function findServer(key: string): LicenseServer | undefined {
  return licenseServers().find((s) => s.key === key);
}

/** The console cookie that carries this server's session (the server's own cookie value). */
export const sessionCookieName = (serverKey: string) => `tessera_console_${serverKey}`;

/** The license server's own session cookie (express-session's name in admin-auth.ts). */
export const UPSTREAM_SESSION_COOKIE = 'tessera.sid';
