// One demo license server process: `node --import tsx scripts/demo-server.ts <aurora|borealis> <port>`.
// Serves on 127.0.0.1:<port> from <TESSERA_DATA_DIR>/<slug>, seeding its authority on first start.
// `npm start` (scripts/demo.ts) runs two of these and federates them.
import path from 'node:path';
import { configFromEnv, createTesseraServer } from '@tessera/license-server';
import { demoSpecs, seedDemoAuthority } from '../servers/license-server/src/demo/seed-demo.ts';

const [slug = 'aurora', portArg = '4001'] = process.argv.slice(2);
const spec = demoSpecs[slug];
if (!spec) throw new Error(`unknown demo authority ${slug}; one of ${Object.keys(demoSpecs).join(', ')}`);
const port = Number(portArg);
const dataRoot = path.resolve(process.env.TESSERA_DATA_DIR ?? '.tessera');
const config = configFromEnv(
  // The demo's authorities peer with each other on this machine, at a loopback address.
  { TESSERA_ALLOW_PRIVATE_PEERS: '127.0.0.1', ...process.env, TESSERA_PUBLIC_URL: `http://127.0.0.1:${port}` },
  { host: '127.0.0.1', port, dataDir: path.join(dataRoot, slug), logLevel: (process.env.TESSERA_LOG_LEVEL as 'info') ?? 'warn' },
);
const server = await createTesseraServer(config);
const url = await server.listen();
await seedDemoAuthority(server.ctx, url, spec);
// The orchestrator waits for this line.
console.log(`ready ${slug} ${url}`);
const stop = () =>
  server.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
