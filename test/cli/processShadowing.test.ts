// The command line's code never names a local `process`: in a client that handles process
// objects, a local of that name hides Node's global one, and `process.env` would then read a
// job's environment where the client's own was meant (or the other way round).
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const CLI_DIR = fileURLToPath(new URL('../../src/cli/', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Every binding named `process` (variable, parameter, destructured name, function, class) as file:line. */
function processBindings(path: string): string[] {
  const source = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.ES2022, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    const named =
      ts.isVariableDeclaration(node) ||
      ts.isParameter(node) ||
      ts.isBindingElement(node) ||
      ts.isFunctionDeclaration(node) ||
      ts.isClassDeclaration(node) ||
      ts.isImportSpecifier(node) ||
      ts.isImportClause(node) ||
      ts.isNamespaceImport(node);
    const name = named ? (node as { name?: ts.Node }).name : undefined;
    if (name && ts.isIdentifier(name) && name.text === 'process') {
      found.push(`${relative(CLI_DIR, path)}:${source.getLineAndCharacterOfPosition(name.getStart()).line + 1}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe('the command line source', () => {
  it('has no local named `process` that would hide the global one', () => {
    const files = sourceFiles(CLI_DIR);
    expect(files.length).toBeGreaterThan(10);
    expect(files.flatMap(processBindings)).toEqual([]);
  });
});
