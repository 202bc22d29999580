// The license server's configuration table, generated from its settings list
// (servers/license-server/src/config.ts).
//
//   node --import tsx scripts/config-table.ts           print it
//   node --import tsx scripts/config-table.ts --write   rewrite it in README.md, between its markers
//   node --import tsx scripts/config-table.ts --check   exit 1 when README.md's table differs
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readConfigTable, renderConfigTable, writeConfigTable } from '../servers/license-server/src/config-table.ts';

const readmePath = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'README.md');
const table = renderConfigTable();
const args = process.argv.slice(2);

if (args.includes('--write')) {
  const readme = readFileSync(readmePath, 'utf8');
  const updated = writeConfigTable(readme, table);
  if (updated !== readme) writeFileSync(readmePath, updated);
  console.log(updated === readme ? 'README.md: the configuration table is up to date' : 'README.md: configuration table rewritten');
} else if (args.includes('--check')) {
  if (readConfigTable(readFileSync(readmePath, 'utf8')) !== table) {
    console.error('README.md: the configuration table differs from the settings; run npm run docs:config');
    process.exit(1);
  }
} else {
  console.log(table);
}
