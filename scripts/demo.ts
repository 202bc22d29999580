// `npm start`: the demo. A license server on http://127.0.0.1:4001 with the authority
// `aurora`, on an embedded PGlite database under ./.tessera (or $TESSERA_DATA_DIR), seeded on
// first start. Delete the folder to start over.
import path from 'node:path';
import { configFromEnv, createTesseraServer } from '@tessera/license-server';
import { auroraDemo, seedDemoAuthority } from '../servers/license-server/src/demo/seed-demo.ts';

const dataRoot = path.resolve(process.env.TESSERA_DATA_DIR ?? '.tessera');
const config = configFromEnv(
  { ...process.env, TESSERA_PUBLIC_URL: process.env.TESSERA_PUBLIC_URL ?? 'http://127.0.0.1:4001' },
  { host: '127.0.0.1', port: Number(process.env.TESSERA_PORT ?? 4001), dataDir: path.join(dataRoot, 'aurora'), logLevel: (process.env.TESSERA_LOG_LEVEL as 'info') ?? 'warn' },
);
const server = await createTesseraServer(config);
const url = await server.listen();
await seedDemoAuthority(server.ctx, url, auroraDemo);
const issuer = server.ctx.authorities.issuer('aurora');
console.log(`
Tessera demo is running.

  license server   ${url}
  authority        aurora  (issuer ${issuer})
  users            alice / wonderland, bob / builder
  admin            ${auroraDemo.admin.email} / ${auroraDemo.admin.password}
  OpenAPI          ${url}/openapi.json
  data             ${dataRoot}  (delete it to start over)

Try the walkthrough in README.md with npx tessera-device. Ctrl-C stops the server.
`);
const stop = () => server.close().then(() => process.exit(0), () => process.exit(1));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
