/**
 * Dialect recognition, the official schema check, and the generator quirks `check` accepts with a warning.
 */
import { join } from 'node:path';
import t from 'tap';
import { checkCapabilityFile, type CapabilityProblem } from '../../src/capability/index.js';
import { compileRestTable } from '../../src/adapters/rest/route-table.js';

function has(problems: readonly CapabilityProblem[], severity: 'error' | 'warning', message: RegExp, path?: string): boolean {
  return problems.some((p) => p.severity === severity && message.test(p.message) && (path === undefined || p.path === path));
}

const OFFICIAL = `naftiko: 1.0.0-alpha2
capability:
  consumes:
  - type: http
    namespace: api
    baseUri: https://api.example
    resources:
    - name: items
      path: items
      operations:
      - name: list
        method: GET
  exposes:
  - type: rest
    namespace: api-rest
    port: 8080
    resources:
    - path: /items
      operations:
      - method: GET
        call: api.list
`;

t.test('dialects', async (t) => {
  const dir = t.testdir({
    'official.yaml': OFFICIAL,
    'official-broken.yaml': OFFICIAL.replace('        method: GET\n  exposes', '        method: GET\n        retries: 3\n  exposes'),
    'other.yaml': OFFICIAL.replace('naftiko: 1.0.0-alpha2', 'naftiko: "0.5"'),
  });
  const table = [
    { file: 'capability.yaml', dialect: 'seed', ok: true },
    { file: 'examples/official-dialect.yaml', dialect: 'official', ok: true },
    { file: join(dir, 'official.yaml'), dialect: 'official', ok: true },
    { file: join(dir, 'official-broken.yaml'), dialect: 'official', ok: false },
    { file: join(dir, 'other.yaml'), dialect: 'unknown', ok: true },
  ];
  for (const row of table) {
    const result = checkCapabilityFile(row.file, { env: {} });
    t.equal(result.dialect, row.dialect, `${row.file}: dialect`);
    t.equal(result.ok, row.ok, `${row.file}: ok`);
  }
  const broken = checkCapabilityFile(join(dir, 'official-broken.yaml'), { env: {} });
  t.ok(has(broken.problems, 'error', /unknown key "retries" \(official schema\)/, 'capability.consumes[0].resources[0].operations[0]'), 'schema errors name the YAML path');
  const quirk = checkCapabilityFile(join(dir, 'official.yaml'), { env: {} });
  t.ok(has(quirk.problems, 'warning', /does not start with "\/"; using "\/items"/), 'a consumed path without "/" is accepted with a warning');
});

t.test('generator quirks: kebab-case path parameters referenced with underscores', async (t) => {
  const result = checkCapabilityFile('examples/repo-two-path-params.yaml', { env: {} });
  t.ok(result.ok);
  t.ok(has(result.problems, 'warning', /rest\.repo_name refers to the path parameter \{repo-name\}/));
  const compiled = result.compiled;
  if (compiled === undefined) throw new Error('not compiled');
  // The capability keeps the template's name; the REST adapter makes it router-safe.
  t.match(compiled.rest[0]?.routes[0]?.inputs.find((i) => i.source.kind === 'path' && i.source.name !== 'owner')?.source, { kind: 'path', name: 'repo-name' });
  const route = compileRestTable(compiled.rest[0]!, compiled.mcp).routes[0];
  t.equal(route?.url, '/v1/repos/:owner/:repo_name', 'router-safe parameter name');
  t.match(route?.inputs.find((i) => i.source.kind === 'path' && i.source.name !== 'owner')?.source, { kind: 'path', name: 'repo_name' });
});

t.test('an ambiguous binding is an error', async (t) => {
  const dir = t.testdir({
    'ambiguous.yaml': OFFICIAL.replace('path: /items\n', 'path: /items/{{item-id}}\n').replace('call: api.list\n', 'call: api.list\n        with:\n          id: api-rest.nothing\n'),
  });
  const result = checkCapabilityFile(join(dir, 'ambiguous.yaml'), { env: {} });
  t.notOk(result.ok);
  t.ok(has(result.problems, 'error', /"id" is not an input parameter of api\.list/));
  t.ok(has(result.problems, 'error', /\{item-id\} .* is not bound/));
});

t.test('exposes with only mcp (and an unserved skill adapter) load', async (t) => {
  const mcpOnly = OFFICIAL.slice(0, OFFICIAL.indexOf('  exposes:')) + `  exposes:
  - type: mcp
    namespace: api-tools
    port: 9091
    tools:
    - name: list-items
      description: List the items
      call: api.list
  - type: skill
    namespace: api-skills
`;
  const dir = t.testdir({ 'mcp-only.yaml': mcpOnly });
  const result = checkCapabilityFile(join(dir, 'mcp-only.yaml'), { env: {} });
  t.equal(result.compiled?.rest.length, 0);
  t.equal(result.compiled?.mcp[0]?.tools.length, 1);
  t.ok(has(result.problems, 'warning', /exposes type "skill" is not served/));
  t.notOk(has(result.problems, 'error', /./), 'no errors');
});

t.test('imported consumes fail with a clear message', async (t) => {
  const imported = OFFICIAL.replace(/ {2}consumes:\n[\s\S]*? {2}exposes:/, '  consumes:\n  - import: api\n    location: ./shared/api-consumes.yaml\n  exposes:');
  const dir = t.testdir({ 'imported.yaml': imported });
  const result = checkCapabilityFile(join(dir, 'imported.yaml'), { env: {} });
  t.notOk(result.ok);
  t.ok(has(result.problems, 'error', /imported consumes .* are not supported; inline the consumes entry/));
});
