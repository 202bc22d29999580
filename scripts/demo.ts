// `npm start`: the demo federation. Two license servers, two separate processes, each with its
// own embedded PGlite data directory under ./.tessera (or $TESSERA_DATA_DIR):
//   A  http://127.0.0.1:4001  authority `aurora`    (issuer http://127.0.0.1:4001/t/aurora)
//   B  http://127.0.0.1:4002  authority `borealis`  (issuer http://127.0.0.1:4002/t/borealis)
// Seeded on first start, then peered with each other (each pins the other's thumbprint) and
// alice's and bob's accounts linked across. Delete the data folder to start over.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { auroraDemo, borealisDemo, type DemoAuthoritySpec } from '../servers/license-server/src/demo/seed-demo.ts';
import { ensureConsoleBuild, startConsole } from '../console/launch.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const dataRoot = path.resolve(process.env.TESSERA_DATA_DIR ?? '.tessera');
// The ports can be moved (tests run the demo on free ports); the README uses the defaults.
const servers = [
  { spec: auroraDemo, port: Number(process.env.TESSERA_DEMO_PORT_A ?? 4001) },
  { spec: borealisDemo, port: Number(process.env.TESSERA_DEMO_PORT_B ?? 4002) },
] as const;

const children: ChildProcess[] = [];
function stopAll(code = 0) {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  setTimeout(() => process.exit(code), 500).unref();
}
process.once('SIGINT', () => stopAll(0));
process.once('SIGTERM', () => stopAll(0));

function startServer(spec: DemoAuthoritySpec, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'demo-server.ts'), spec.slug, String(port)], {
      env: { ...process.env, TESSERA_DATA_DIR: dataRoot },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const ready = /ready \S+ (\S+)/.exec(out);
      if (ready) resolve(ready[1]!);
    });
    child.once('exit', (code) => {
      reject(new Error(`the ${spec.slug} server exited with code ${code}`));
      if (children.every((c) => c.exitCode !== null || c === child)) stopAll(1);
    });
  });
}

/**
 * The operator console on http://127.0.0.1:3000 (TESSERA_CONSOLE_PORT), over both servers, each
 * with its own sign-in. Built on first start (about a minute); TESSERA_DEMO_CONSOLE=off skips it.
 */
async function startDemoConsole(a: string, b: string): Promise<void> {
  if (process.env.TESSERA_DEMO_CONSOLE === 'off') return;
  try {
    await ensureConsoleBuild({ quiet: true, log: (line) => console.log(line) });
    const web = await startConsole({
      port: Number(process.env.TESSERA_CONSOLE_PORT ?? 3000),
      servers: { a: { url: a, name: 'Aurora server (A)' }, b: { url: b, name: 'Borealis server (B)' } },
    });
    children.push(web.child);
    console.log(`Operator console: ${web.url}  (sign in with the admins above; switch servers in the sidebar)\n`);
  } catch (error) {
    console.error(`the console did not start (the license servers keep running): ${(error as Error).message}`);
  }
}

/** A signed-in admin API client for one demo server. */
async function adminOf(url: string, spec: DemoAuthoritySpec) {
  const login = await fetch(`${url}/admin/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(spec.admin) });
  if (!login.ok) throw new Error(`admin login at ${url} failed: ${login.status} ${await login.text()}`);
  const cookie = login.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  return async (method: string, route: string, body?: unknown) => {
    const res = await fetch(`${url}/admin/authorities/${spec.slug}${route}`, {
      method,
      headers: { cookie, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = res.headers.get('content-type')?.includes('json') ? await res.json() : null;
    if (!res.ok) throw new Error(`${method} ${route} at ${url} failed: ${res.status} ${JSON.stringify(json)}`);
    return json as Record<string, unknown>;
  };
}

try {
  const urls = await Promise.all(servers.map((s) => startServer(s.spec, s.port)));
  const sides = await Promise.all(
    servers.map(async (s, i) => ({ ...s, url: urls[i]!, issuer: `${urls[i]}/t/${s.spec.slug}`, api: await adminOf(urls[i]!, s.spec) })),
  );
  const thumbprints: Record<string, string> = {};

  // Peer each with the other, pinning the thumbprint its entity configuration is signed with.
  // (In production the operators compare it out of band before pinning.)
  for (const [from, to] of [
    [sides[0]!, sides[1]!],
    [sides[1]!, sides[0]!],
  ] as const) {
    const discovered = await from.api('GET', `/peers/discover?issuer=${encodeURIComponent(to.issuer)}`);
    thumbprints[to.spec.slug] = discovered.thumbprint;
    const peers = (await from.api('GET', '/peers')).items as { issuer: string }[];
    if (!peers.some((p) => p.issuer === to.issuer)) await from.api('POST', '/peers', { issuer: to.issuer, thumbprint: discovered.thumbprint });
  }
  // Link alice and bob across: the same people on both sides.
  const userIds = async (side: (typeof sides)[number], username: string) =>
    ((await side.api('GET', `/users?q=${username}`)).items as { id: string; username: string }[]).find((u) => u.username === username)!.id;
  for (const username of ['alice', 'bob']) {
    const [a, b] = [await userIds(sides[0]!, username), await userIds(sides[1]!, username)];
    await sides[0]!.api('POST', `/users/${a}/links`, { peerUser: `${b}@${sides[1]!.issuer}` });
    await sides[1]!.api('POST', `/users/${b}/links`, { peerUser: `${a}@${sides[0]!.issuer}` });
  }

  console.log(`
Tessera demo federation is running.

  A  ${sides[0]!.url}   authority aurora    issuer ${sides[0]!.issuer}
     admin ${auroraDemo.admin.email} / ${auroraDemo.admin.password}   thumbprint ${thumbprints.aurora}
  B  ${sides[1]!.url}   authority borealis  issuer ${sides[1]!.issuer}
     admin ${borealisDemo.admin.email} / ${borealisDemo.admin.password}   thumbprint ${thumbprints.borealis}

  users on both      alice / wonderland, bob / the-builder (linked across)
  OpenAPI            ${sides[0]!.url}/openapi.json
  data               ${dataRoot}  (delete it to start over)

Try the walkthroughs in README.md with npx tessera-device. Ctrl-C stops both servers.
`);
  await startDemoConsole(sides[0]!.url, sides[1]!.url);
} catch (error) {
  console.error(`demo failed to start: ${(error as Error).message}`);
  stopAll(1);
}
