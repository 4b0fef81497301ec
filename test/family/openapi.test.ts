/**
 * One OpenAPI 3.1 document for a capability set: a tag per capability (its
 * label and description), operationIds unique across the set (a reused one is
 * prefixed by each capability's name), Spectral-clean with the repository's ruleset.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { startLabelStudio } from '../fixtures/label-studio/simulator.js';
import { ROOT, runCli } from '../helpers/gateway-process.js';
import { startInProcess } from '../helpers/in-process.js';
import { copyFamily, EXAMPLE_FAMILY } from './helpers.js';

type Document = {
  info: { title: string; description?: string };
  tags: { name: string; description?: string }[];
  paths: Record<string, Record<string, { operationId: string; tags: string[] }>>;
};

function operations(doc: Document): { path: string; method: string; operationId: string; tags: string[] }[] {
  return Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ path, method, ...op })));
}

function spectral(file: string, output: string): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(join(ROOT, 'node_modules/.bin/spectral'), ['lint', file, '--ruleset', join(ROOT, '.spectral.yaml'), '--format', 'json', '--output', output, '--fail-severity', 'hint'], { cwd: ROOT, stdio: 'ignore' });
    child.once('exit', resolve);
  });
}

t.test("the example family's document: a tag per capability, Spectral-clean", async (t) => {
  const tmp = mkdtempSync(join(tmpdir(), 'ngw-family-openapi-'));
  t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
  const printed = await runCli(['openapi', EXAMPLE_FAMILY]);
  t.equal(printed.code, 0, printed.stderr);
  const doc = JSON.parse(printed.stdout) as Document;
  t.equal(doc.info.title, 'label-studio', 'titled by the folder');
  t.same(
    doc.tags.map((tag) => tag.name),
    ['organizations', 'projects', 'tasks', 'users', 'ledger'],
  );
  t.match(doc.tags.find((tag) => tag.name === 'projects')?.description, /^Label Studio projects\. Create, list/, "the tag is described by the capability's label and description");
  for (const op of operations(doc)) {
    if (op.path.startsWith('/v1/ledger')) continue;
    const area = op.path.split('/')[3] === 'invite' ? 'organizations' : op.path.split('/')[3] === 'current-user' ? 'users' : op.path.split('/')[3];
    t.same(op.tags, [area], `${op.method.toUpperCase()} ${op.path} is tagged ${area}`);
  }
  const file = join(tmp, 'family.json');
  writeFileSync(file, printed.stdout);
  const output = join(tmp, 'family.spectral.json');
  t.equal(await spectral(file, output), 0, `spectral:oas finds nothing: ${readFileSync(output, 'utf8').slice(0, 400)}`);
});

t.test('an operationId two capabilities reuse becomes <capability>_<operationId> in both', async (t) => {
  const family = copyFamily();
  t.teardown(family.remove);
  const users = readFileSync(join(family.dir, 'users.yaml'), 'utf8');
  writeFileSync(join(family.dir, 'users-archive.yaml'), users.replaceAll('/v1/api/', '/v1/archive/').replaceAll('label-studio-users', 'label-studio-users-archive'));
  const sim = await startLabelStudio();
  t.teardown(() => sim.close());
  const gw = await startInProcess(family.dir, { LABEL_STUDIO_API_KEY: sim.legacyToken }, sim.url);
  t.teardown(() => gw.gateway.close());
  const doc = (await (await fetch(`${gw.url}/openapi.json`)).json()) as Document;
  const ids = operations(doc).map((op) => op.operationId);
  t.equal(new Set(ids).size, ids.length, 'every operationId is unique');
  t.ok(ids.includes('users_getUser') && ids.includes('users_archive_getUser'), 'the reused getUser is prefixed in both capabilities');
  t.ok(ids.includes('listProjects') && !ids.includes('projects_listProjects'), 'an operationId used once keeps its name');
  t.equal(operations(doc).find((op) => op.operationId === 'users_archive_getUser')?.path, '/v1/archive/users/{id}');
  const docs = await fetch(`${gw.url}/docs/`);
  t.equal(docs.status, 200, 'Swagger UI serves the set (grouped by these tags)');
});
