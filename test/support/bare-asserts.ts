import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/*
 * Node 20's assert.ok(value) without a message builds one, when it fails, by re-reading the
 * calling file and parsing it from the column in the stack trace. Under the tsx loader that
 * column belongs to the compiled code, not the file on disk, and the parse can spin for
 * minutes: a failing test then stalls its whole suite instead of failing. A message avoids it.
 */

export interface BareAssert {
  file: string;
  line: number;
  call: string;
}

const ASSERTS = new Set(['assert', 'assert.ok', 'assert.strict', 'assert.strict.ok']);

/** Calls of assert(…) or assert.ok(…) with no message in one TypeScript source. */
export function findBareAsserts(source: string, file: string): BareAssert[] {
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: BareAssert[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && ASSERTS.has(node.expression.getText(sf)) && node.arguments.length < 2) {
      found.push({ file, line: sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1, call: node.getText(sf).slice(0, 120) });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

/** Every TypeScript file of the test folders, support files included. */
export function testSources(root: string): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const full = path.join(dir, name);
      if (name === 'node_modules' || name === 'results') return [];
      if (statSync(full).isDirectory()) return walk(full);
      return name.endsWith('.ts') ? [full] : [];
    });
  return ['federation-protocol/test', 'client/test', 'servers/license-server/test', 'test'].flatMap((d) => walk(path.join(root, d)));
}

export const readSource = (file: string): string => readFileSync(file, 'utf8');
