/**
 * The import graph of src/, read with the TypeScript parser: every static
 * import and re-export, and every dynamic `import('…')` with a literal path.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

/** ImportEdge is one import of one file of ours by another. */
export interface ImportEdge {
  /** Importing file, relative to src/ (`adapters/mcp/access.ts`). */
  readonly from: string;
  /** Imported file, relative to src/. */
  readonly to: string;
  /** True when only types are imported (erased at run time). */
  readonly typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (entry.name.endsWith('.ts')) out.push(path);
  }
  return out;
}

function isTypeOnly(node: ts.ImportDeclaration | ts.ExportDeclaration): boolean {
  if (ts.isExportDeclaration(node)) return node.isTypeOnly || (node.exportClause !== undefined && ts.isNamedExports(node.exportClause) && node.exportClause.elements.every((e) => e.isTypeOnly));
  const clause = node.importClause;
  if (clause === undefined) return false; // a side-effect import runs the module
  if (clause.isTypeOnly) return true;
  if (clause.name !== undefined) return false;
  const bindings = clause.namedBindings;
  return bindings !== undefined && ts.isNamedImports(bindings) && bindings.elements.length > 0 && bindings.elements.every((e) => e.isTypeOnly);
}

/** importsOf parses one file's text and returns its relative module specifiers. */
export function importsOf(fileName: string, text: string): { specifier: string; typeOnly: boolean }[] {
  const file = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const found: { specifier: string; typeOnly: boolean }[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier !== undefined && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push({ specifier: node.moduleSpecifier.text, typeOnly: isTypeOnly(node) });
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const arg = node.arguments[0];
      if (arg !== undefined && ts.isStringLiteralLike(arg)) found.push({ specifier: arg.text, typeOnly: false });
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      found.push({ specifier: node.argument.literal.text, typeOnly: true });
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found.filter((i) => i.specifier.startsWith('.'));
}

/** importGraph lists every import between files under `srcDir`. */
export function importGraph(srcDir: string): { files: string[]; edges: ImportEdge[] } {
  const root = resolve(srcDir);
  const files = sourceFiles(root);
  const edges: ImportEdge[] = [];
  for (const file of files) {
    for (const { specifier, typeOnly } of importsOf(file, readFileSync(file, 'utf8'))) {
      const target = resolve(dirname(file), specifier).replace(/\.js$/, '.ts');
      edges.push({ from: relative(root, file), to: relative(root, target), typeOnly });
    }
  }
  return { files: files.map((f) => relative(root, f)), edges };
}

/** areaOf names a file's area: `adapters/rest`, `adapters/mcp`, `adapters` (shared), `core`, `ledger`… or `.` for src/ itself. */
export function areaOf(path: string): string {
  const parts = path.split('/');
  if (parts.length === 1) return '.';
  if (parts[0] === 'adapters') return parts.length > 2 ? `adapters/${parts[1]}` : 'adapters';
  return parts[0] as string;
}
