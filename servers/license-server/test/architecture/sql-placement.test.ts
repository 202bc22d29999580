import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const src = path.join(root, 'src');

/**
 * Files still being converted (issue 8, item 4), which may hold SQL for now, by exact path
 * under src/. This list must only shrink — take a file off once its SQL lives in a
 * `*-queries.ts`; never add one. (billing/, keys/, audit/, federation/ and cli.ts were on it
 * while another engineer moved their SQL; all are converted.)
 */
const NOT_YET_CONVERTED = new Set<string>([]);

/** Where SQL belongs: query modules, and storage (schema, migrations, the database itself). */
const mayHoldSql = (file: string) => file.endsWith('-queries.ts') || file.startsWith('storage/');

/** The query builder's entry points (drizzle's `PgDatabase`/`PgTransaction` methods, the relational `db.query`). */
const QUERY_METHODS = new Set([
  'select',
  'selectDistinct',
  'selectDistinctOn',
  'insert',
  'update',
  'delete',
  'execute',
  'with',
  '$with',
  '$count',
  'findFirst',
  'findMany',
  'refreshMaterializedView',
]);

const DATABASE_HANDLE = /(^|\.)(db|tx|trx|executor)$/;

const fromDrizzle = (declaration: ts.Declaration) => /[\\/]node_modules[\\/]drizzle-orm[\\/]/.test(declaration.getSourceFile().fileName);

/** Where each SQL statement or fragment is written: a drizzle query-builder call or a drizzle `sql` tag or helper. */
function findSql(program: ts.Program, file: ts.SourceFile): { line: number; text: string }[] {
  const checker = program.getTypeChecker();
  const resolvesIntoDrizzle = (node: ts.Node) => {
    let symbol = checker.getSymbolAtLocation(node);
    if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
    return (symbol?.declarations ?? []).some(fromDrizzle);
  };
  const found: { line: number; text: string }[] = [];
  const report = (node: ts.Node): void => {
    found.push({
      line: file.getLineAndCharacterOfPosition(node.getStart(file)).line + 1,
      text: (node.getText(file).split('\n')[0] ?? '').trim().slice(0, 100),
    });
  };
  const visit = (node: ts.Node): void => {
    // sql`…` (also sql<T>`…`)
    if (ts.isTaggedTemplateExpression(node) && resolvesIntoDrizzle(node.tag)) {
      report(node);
      return;
    }
    // sql.raw(…), sql.join(…), sql.empty(), sql.identifier(…)
    if (
      ts.isPropertyAccessExpression(node) &&
      ts.isIdentifier(node.expression) &&
      resolvesIntoDrizzle(node.expression) &&
      checker.getSymbolAtLocation(node.expression)?.name === 'sql'
    ) {
      report(node);
      return;
    }
    // db.select(…), tx.insert(…), executor.execute(…), db.query.users.findMany(…) — and not hash.update() or map.delete().
    // A call whose types do not resolve (a file mid-edit) still counts when it is made on a database handle by name.
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && QUERY_METHODS.has(node.expression.name.text)) {
      const method = node.expression.name;
      const unresolved = !checker.getSymbolAtLocation(method) && DATABASE_HANDLE.test(node.expression.expression.getText(file));
      if (unresolved || resolvesIntoDrizzle(method)) report(node);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

/** A program over the server's sources (and any in-memory files), type-checked as tsc would. */
function serverProgram(virtualFiles: Record<string, string> = {}): ts.Program {
  const walk = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const full = path.join(dir, name);
      return statSync(full).isDirectory() ? walk(full) : full.endsWith('.ts') ? [full] : [];
    });
  const config = ts.parseJsonConfigFileContent(ts.readConfigFile(path.join(root, 'tsconfig.json'), ts.sys.readFile).config, ts.sys, root);
  const host = ts.createCompilerHost(config.options);
  const virtual = new Map(Object.entries(virtualFiles).map(([rel, text]) => [path.join(src, rel), text]));
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (name) => virtual.has(name) || fileExists.call(host, name);
  host.readFile = (name) => virtual.get(name) ?? readFile.call(host, name);
  host.getSourceFile = (name, language, ...rest) => {
    const text = virtual.get(name);
    return text === undefined ? getSourceFile.call(host, name, language, ...rest) : ts.createSourceFile(name, text, language, true);
  };
  return ts.createProgram({ rootNames: [...walk(src), ...virtual.keys()], options: config.options, host });
}

/** Every place SQL is written outside where it belongs, by file relative to src/. */
function misplacedSql(program: ts.Program, only?: string[]): Map<string, { line: number; text: string }[]> {
  const result = new Map<string, { line: number; text: string }[]>();
  for (const file of program.getSourceFiles()) {
    const rel = path.relative(src, file.fileName).split(path.sep).join('/');
    if (rel.startsWith('..') || file.isDeclarationFile || mayHoldSql(rel) || (only && !only.includes(rel))) continue;
    const found = findSql(program, file);
    if (found.length) result.set(rel, found);
  }
  return result;
}

/** Entries of the not-yet-converted list whose files hold no SQL any more. */
const convertedEntries = (found: Map<string, unknown>, list: Set<string>) => [...list].filter((file) => !found.has(file)).sort();

// The probes live beside the real sources (in memory only) so that their imports resolve as the server's do.
const PROBE = `import { createHash } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import type { Db } from '../storage/db.ts';
import { moves } from '../storage/schema.ts';
export async function probe(db: Db, cache: Map<string, string>, untyped: { ctx: any }) {
  await db.select().from(moves).where(eq(moves.id, 'mov_1'));
  await db.transaction(async (tx) => tx.update(moves).set({ state: 'delivered' }));
  await db.execute(sql\`select 1\`);
  const clause = sql.raw('true');
  createHash('sha256').update('not sql');
  cache.delete('not sql');
  await untyped.ctx.db.insert(moves);
  return clause;
}
`;

describe('SQL is written only in *-queries.ts modules and storage/', () => {
  // One program for the whole suite: type-checking the sources takes a few seconds.
  const program = serverProgram({
    'moves/__sql-probe__.ts': PROBE,
    'moves/__sql-probe-queries.ts': PROBE,
    'moves/__sql-free-probe__.ts': 'export const probe = () => 1;\n',
  });

  test('the detector finds query-builder calls, sql templates and sql helpers, and nothing else', () => {
    const found = misplacedSql(program, ['moves/__sql-probe__.ts', 'moves/__sql-probe-queries.ts']);
    assert.deepEqual([...found.keys()], ['moves/__sql-probe__.ts'], 'the same code is accepted in a -queries.ts module');
    assert.deepEqual(
      found.get('moves/__sql-probe__.ts')?.map((f) => f.line),
      [6, 7, 8, 8, 9, 12],
      'select, an update in a transaction, execute and its sql``, sql.raw, an insert on an untyped handle — not a hash update nor a Map delete',
    );
  });

  test('a listed file that holds no SQL is found, so the list is kept honest', () => {
    const found = misplacedSql(program, ['moves/__sql-probe__.ts', 'moves/__sql-free-probe__.ts']);
    assert.deepEqual(
      convertedEntries(found, new Set(['moves/__sql-probe__.ts', 'moves/__sql-free-probe__.ts'])),
      ['moves/__sql-free-probe__.ts'],
      'the file without SQL',
    );
  });

  test('no module outside *-queries.ts, storage/ and the files still being converted writes SQL', () => {
    const found = misplacedSql(program);
    found.delete('moves/__sql-probe__.ts');
    assert.ok(program.getRootFileNames().length > 50, `the server's sources were read: ${program.getRootFileNames().length}`);
    const misplaced = [...found]
      .filter(([file]) => !NOT_YET_CONVERTED.has(file))
      .flatMap(([file, places]) => places.map((p) => `src/${file}:${p.line}  ${p.text}`));
    assert.deepEqual(misplaced, [], 'move these into a *-queries.ts function (executor, authorityId, params) scoped by the authority in its where');
  });

  test('every file on the not-yet-converted list still holds SQL (take converted files off the list)', () => {
    assert.deepEqual(convertedEntries(misplacedSql(program), NOT_YET_CONVERTED), [], 'these files hold no SQL any more: remove them from NOT_YET_CONVERTED');
  });
});
