/**
 * The import rules of src/ (issue 19): adapters never import each other;
 * capability, core and mapping never import adapters or upstream; core imports
 * nothing of ours but capability types; ledger and security never import an
 * adapter; no module cycle is reachable at run time.
 */
import t from 'tap';
import { fileURLToPath } from 'node:url';
import { areaOf, importGraph, importsOf, type ImportEdge } from './import-graph.js';

const SRC = fileURLToPath(new URL('../../src', import.meta.url));

/** violations applies every rule to a list of edges and names each broken one. */
function violations(edges: readonly ImportEdge[]): string[] {
  const out: string[] = [];
  for (const e of edges) {
    const from = areaOf(e.from);
    const to = areaOf(e.to);
    const where = `${e.from} imports ${e.to}`;
    const toAdapter = to === 'adapters' || to.startsWith('adapters/');
    if (from.startsWith('adapters/') && to.startsWith('adapters/') && from !== to) out.push(`adapters never import each other: ${where}`);
    if (from === 'adapters' && to.startsWith('adapters/')) out.push(`shared adapter code imports no single adapter: ${where}`);
    if ((from === 'capability' || from === 'core' || from === 'mapping') && (toAdapter || to === 'upstream')) out.push(`${from} never imports adapters or upstream: ${where}`);
    if (from === 'core' && to !== 'core' && !(to === 'capability' && e.typeOnly)) out.push(`core imports nothing of ours but capability types: ${where}`);
    if ((from === 'ledger' || from === 'security') && toAdapter) out.push(`${from} never imports an adapter: ${where}`);
  }
  return out;
}

/** runtimeCycles finds module cycles through imports that survive compilation. */
function runtimeCycles(files: readonly string[], edges: readonly ImportEdge[]): string[] {
  const next = new Map<string, string[]>();
  for (const e of edges) if (!e.typeOnly) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const cycles: string[] = [];
  const visit = (file: string): void => {
    state.set(file, 'open');
    stack.push(file);
    for (const to of next.get(file) ?? []) {
      if (state.get(to) === 'open') cycles.push([...stack.slice(stack.indexOf(to)), to].join(' → '));
      else if (!state.has(to)) visit(to);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const f of files) if (!state.has(f)) visit(f);
  return cycles;
}

const { files, edges } = importGraph(SRC);

t.test('the parser sees every kind of import', async (t) => {
  const text = [
    "import { a } from './a.js';",
    "import type { B } from '../b.js';",
    "import { type C, type D } from './cd.js';",
    "import {\n  e,\n  type F,\n} from './ef.js';",
    "export { g } from './g.js';",
    "export type * from './h.js';",
    "const i = await import('./i.js');",
    "let j: import('./j.js').J;",
    "import ajv from 'ajv';",
  ].join('\n');
  t.same(importsOf('x.ts', text), [
    { specifier: './a.js', typeOnly: false },
    { specifier: '../b.js', typeOnly: true },
    { specifier: './cd.js', typeOnly: true },
    { specifier: './ef.js', typeOnly: false },
    { specifier: './g.js', typeOnly: false },
    { specifier: './h.js', typeOnly: true },
    { specifier: './i.js', typeOnly: false },
    { specifier: './j.js', typeOnly: true },
  ]);
});

t.test('the rules catch what they forbid', async (t) => {
  const bad: ImportEdge[] = [
    { from: 'adapters/mcp/access.ts', to: 'adapters/rest/problem.ts', typeOnly: false },
    { from: 'adapters/http-problem.ts', to: 'adapters/rest/server.ts', typeOnly: true },
    { from: 'capability/compile.ts', to: 'upstream/client.ts', typeOnly: true },
    { from: 'mapping/apply.ts', to: 'adapters/output-schema.ts', typeOnly: false },
    { from: 'core/invoker.ts', to: 'upstream/client.ts', typeOnly: true },
    { from: 'core/invoker.ts', to: 'capability/compiled.ts', typeOnly: false },
    { from: 'ledger/index.ts', to: 'adapters/mcp/call-tool.ts', typeOnly: true },
    { from: 'security/rest-hooks.ts', to: 'adapters/http-problem.ts', typeOnly: false },
  ];
  t.equal(violations(bad).length, 9, violations(bad).join('\n'));
  t.same(violations([{ from: 'core/invoker.ts', to: 'capability/compiled.ts', typeOnly: true }, { from: 'adapters/rest/routes.ts', to: 'adapters/http-problem.ts', typeOnly: false }]), []);
  t.same(runtimeCycles(['a.ts', 'b.ts'], [{ from: 'a.ts', to: 'b.ts', typeOnly: false }, { from: 'b.ts', to: 'a.ts', typeOnly: false }]), ['a.ts → b.ts → a.ts']);
  t.same(runtimeCycles(['a.ts', 'b.ts'], [{ from: 'a.ts', to: 'b.ts', typeOnly: false }, { from: 'b.ts', to: 'a.ts', typeOnly: true }]), []);
});

t.test('src/ follows the import rules', async (t) => {
  t.ok(files.length > 50, `${files.length} source files read`);
  t.ok(edges.length > 200, `${edges.length} imports read`);
  t.ok(files.some((f) => f.startsWith('core/')), 'src/core exists');
  t.same(violations(edges), []);
});

t.test('no module cycle at run time', async (t) => {
  t.same(runtimeCycles(files, edges), []);
});

t.test('every import points at a file that exists', async (t) => {
  const known = new Set(files);
  t.same(edges.filter((e) => !known.has(e.to)).map((e) => `${e.from} imports ${e.to}`), []);
});
