import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * No module of src may import itself through others, type-only imports included: a circle makes
 * evaluation order matter (a value read before its module ran is undefined) and means two modules
 * that cannot be read or changed apart. Edges are read with the TypeScript compiler (every static
 * import and export-from, `import type`, `import('...')` types and dynamic imports) and resolved as
 * tsconfig resolves them.
 */
const ROOT = path.resolve(import.meta.dirname, '../..');
const SRC = path.join(ROOT, 'src');

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

function compilerOptions(): ts.CompilerOptions {
  const { config } = ts.readConfigFile(path.join(ROOT, 'tsconfig.json'), ts.sys.readFile);
  return ts.parseJsonConfigFileContent(config, ts.sys, ROOT).options;
}

/** Every module specifier a file names, whatever the syntax. */
export function specifiers(file: string, text = fs.readFileSync(file, 'utf8')): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push(node.moduleSpecifier.text);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      found.push(node.argument.literal.text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteral(node.arguments[0])) {
      found.push(node.arguments[0].text);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference) && ts.isStringLiteral(node.moduleReference.expression)) {
      found.push(node.moduleReference.expression.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** The import graph of src: file → the src files it imports. */
function importGraph(): Map<string, string[]> {
  const options = compilerOptions();
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(SRC)) {
    const targets = specifiers(file).flatMap((spec) => {
      const resolved = ts.resolveModuleName(spec, file, options, ts.sys).resolvedModule?.resolvedFileName;
      return resolved && resolved.startsWith(SRC + path.sep) && !resolved.endsWith('.d.ts') ? [path.resolve(resolved)] : [];
    });
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

/** The circles of a graph: each strongly connected component of more than one file (or a file importing itself), as one path round it. */
export function circles(graph: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const connect = (v: string) => {
    index.set(v, counter); low.set(v, counter); counter++;
    stack.push(v); onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) { connect(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); }
      else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do { w = stack.pop()!; onStack.delete(w); component.push(w); } while (w !== v);
    if (component.length > 1 || graph.get(v)?.includes(v)) components.push(component);
  };
  for (const v of graph.keys()) if (!index.has(v)) connect(v);
  return components.map((component) => pathRound(graph, new Set(component)));
}

/** A shortest way from the component's first file back to itself, for a readable message. */
function pathRound(graph: Map<string, string[]>, component: Set<string>): string[] {
  const [start] = [...component].sort();
  const previous = new Map<string, string>();
  const queue = [start!];
  while (queue.length) {
    const v = queue.shift()!;
    for (const w of graph.get(v) ?? []) {
      if (!component.has(w)) continue;
      if (w === start) {
        const way = [v];
        while (way[0] !== start) way.unshift(previous.get(way[0]!)!);
        return [...way, start!];
      }
      if (!previous.has(w)) { previous.set(w, v); queue.push(w); }
    }
  }
  return [start!];
}

describe('import circles in src', () => {
  it('finds a circle, type-only imports included (the check itself)', () => {
    const a = 'a.ts';
    const b = 'b.ts';
    expect(specifiers(a, "import type { B } from './b.js';\nexport type X = import('./c.js').C;")).toEqual(['./b.js', './c.js']);
    expect(circles(new Map([[a, [b]], [b, [a]], ['c.ts', [a]]]))).toEqual([[a, b, a]]);
    expect(circles(new Map([[a, [b]], [b, []]]))).toEqual([]);
  });

  it('there are none', () => {
    const graph = importGraph();
    expect(graph.size, 'src was read').toBeGreaterThan(100);
    const found = circles(graph).map((c) => c.map((f) => path.relative(ROOT, f)).join(' → '));
    expect(found).toEqual([]);
  });
});
