// SPEC.md's route table (§5.2) and problem table (§7.2), generated from the protocol's catalogues.
//
//   node --import tsx scripts/spec-tables.ts --write   rewrite them in federation-protocol/SPEC.md
//   node --import tsx scripts/spec-tables.ts --check   exit 1 when SPEC.md differs
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeSpecTables } from '../federation-protocol/src/spec-tables.ts';

const specPath = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'federation-protocol', 'SPEC.md');
const spec = readFileSync(specPath, 'utf8');
const updated = writeSpecTables(spec);
if (process.argv.includes('--check')) {
  if (updated !== spec) {
    console.error('federation-protocol/SPEC.md: §5.2 or §7.2 differs from the catalogues; run npm run docs:spec');
    process.exit(1);
  }
} else {
  if (updated !== spec) writeFileSync(specPath, updated);
  console.log(updated === spec ? 'SPEC.md: the generated tables are up to date' : 'SPEC.md: §5.2 and §7.2 rewritten from the catalogues');
}
