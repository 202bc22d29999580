// Builds the console when its sources changed since the last build, and serves it with
// `next start`. Used by `npm start` (scripts/demo.ts) and by the browser tests, outside Next.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const consoleDir = path.dirname(fileURLToPath(import.meta.url));
const nextBin = path.join(path.dirname(createRequire(import.meta.url).resolve('next/package.json')), 'dist/bin/next');
const buildId = path.join(consoleDir, '.next/BUILD_ID');
// The console compiles @tessera/protocol's sources into its build, so they count as its sources.
const sources = ['app', 'components', 'lib', 'next.config.ts', 'postcss.config.mjs', 'package.json', '../federation-protocol/src'].map((p) =>
  path.join(consoleDir, p),
);

function newestChange(target: string): number {
  if (!existsSync(target)) return 0;
  const s = statSync(target);
  if (!s.isDirectory()) return s.mtimeMs;
  return Math.max(s.mtimeMs, ...readdirSync(target).map((name) => newestChange(path.join(target, name))));
}

/** True when there is no production build or a source is newer than it. */
export function consoleBuildIsStale(): boolean {
  if (!existsSync(buildId)) return true;
  const built = statSync(buildId).mtimeMs;
  return sources.some((s) => newestChange(s) > built);
}

function run(args: string[], env: NodeJS.ProcessEnv, quiet: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [nextBin, ...args], { cwd: consoleDir, env, stdio: quiet ? ['ignore', 'pipe', 'pipe'] : 'inherit' });
    let output = '';
    child.stdout?.on('data', (d) => (output += d));
    child.stderr?.on('data', (d) => (output += d));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`next ${args.join(' ')} exited with ${code}\n${output}`))));
  });
}

const baseEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv =>
  ({ ...process.env, NODE_OPTIONS: '', NEXT_TELEMETRY_DISABLED: '1', ...extra }) as NodeJS.ProcessEnv;

/** Runs `next build` if the build is missing or stale (about a minute on two cores). */
export async function ensureConsoleBuild(options: { quiet?: boolean; log?: (line: string) => void } = {}): Promise<boolean> {
  if (!consoleBuildIsStale()) return false;
  options.log?.('Building the console (next build; once, or after a source changed)…');
  await run(['build'], baseEnv({ NODE_ENV: 'production' }), options.quiet ?? false);
  return true;
}

export interface ConsoleServer {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

export interface ConsoleOptions {
  host?: string;
  port: number;
  /** The license servers, by key: `a` and `b`. */
  servers: { a?: { url: string; name?: string }; b?: { url: string; name?: string } };
}

/** Serves the built console and waits until it answers. */
export async function startConsole(options: ConsoleOptions): Promise<ConsoleServer> {
  const host = options.host ?? '127.0.0.1';
  const env: NodeJS.ProcessEnv = baseEnv({ NODE_ENV: 'production' });
  for (const key of ['a', 'b'] as const) {
    const upper = key.toUpperCase();
    const server = options.servers[key];
    env[`TESSERA_CONSOLE_SERVER_${upper}`] = server?.url ?? '';
    if (server?.name) env[`TESSERA_CONSOLE_SERVER_${upper}_NAME`] = server.name;
  }
  const child = spawn(process.execPath, [nextBin, 'start', '--hostname', host, '--port', String(options.port)], {
    cwd: consoleDir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const url = `http://${host}:${options.port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the console exited with ${child.exitCode}:\n${output}`);
    try {
      const res = await fetch(`${url}/`, { redirect: 'manual' });
      if (res.status < 500) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the console did not answer within 60 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
