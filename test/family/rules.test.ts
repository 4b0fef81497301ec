/**
 * The rules of a capability set: a route served by two capabilities is an
 * error naming both files (check and serve), tool names follow one rule
 * (`<capability>.<tool>` on a shared endpoint, original names on
 * /mcp/<capability>, long names shortened with a hash), and adapters on
 * different ports stay separate listeners.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { resolveConfig } from '../../src/settings/index.js';
import { fitToolName, sharedToolName } from '../../src/family/names.js';
import { CapabilitySetError } from '../../src/family/load.js';
import { startGateway } from '../../src/gateway.js';
import { startLabelStudio, type LabelStudioSimulator } from '../fixtures/label-studio/simulator.js';
import { runCli } from '../helpers/gateway-process.js';
import { sendJson } from '../helpers/http.js';
import { startInProcess } from '../helpers/in-process.js';
import { connectMcp, copyFamily } from './helpers.js';

let sim: LabelStudioSimulator;
t.before(async () => {
  sim = await startLabelStudio();
});
t.teardown(() => sim.close());

/** lineOf is the 1-based line of the first line containing `text`. */
function lineOf(file: string, text: string): number {
  return readFileSync(file, 'utf8').split('\n').findIndex((l) => l.includes(text)) + 1;
}

t.test('two capabilities serving one method and path ({id} and {pk} alike) fail check and serve, naming both files', async (t) => {
  const family = copyFamily();
  t.teardown(family.remove);
  const original = join(family.dir, 'projects.yaml');
  const copy = join(family.dir, 'projects-v2.yaml');
  // The same routes with the path parameter named {pk}: the router would match both, so it is a conflict.
  writeFileSync(copy, readFileSync(original, 'utf8').replaceAll('/v1/api/projects/{id}', '/v1/api/projects/{pk}').replaceAll('id: rest.id', 'id: rest.pk'));
  const check = await runCli(['check', family.dir], { LABEL_STUDIO_API_KEY: 'k' });
  t.equal(check.code, 1, 'check exits 1');
  const conflict = check.stdout.split('\n').find((l) => l.startsWith(`${copy}:`) && l.includes('GET /v1/api/projects/{pk}'));
  t.ok(conflict, 'a line for the second file names its route');
  t.match(conflict, new RegExp(`^${copy.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+: error: capability\\.exposes\\[0\\]\\.resources\\[1\\]\\.operations\\[0\\]: route conflict: `), 'file:line: error: YAML path of the second file');
  t.match(conflict, `is also served by ${original}:`, 'and names the first file');
  t.match(conflict, /\(capability\.exposes\[0\]\.resources\[1\]\.operations\[0\]\)/, "with the first file's YAML path");
  t.ok(check.stdout.split('\n').some((l) => l.startsWith(`${original}:`) && l.includes('route conflict') && l.includes(copy)), 'the first file gets a line naming the second');
  const line = Number(/^[^:]+:(\d+):/.exec(conflict ?? '')?.[1]);
  t.match(readFileSync(copy, 'utf8').split('\n')[line - 1], /- method: GET/, `line ${line} is the conflicting operation`);
  t.ok(lineOf(copy, '/v1/api/projects/{pk}') < line, 'below its resource path');

  const config = resolveConfig({ capability: family.dir, restPort: '0', mcpPort: '0', baseUri: [sim.url] }, { GATEWAY_LEDGER: 'off' });
  const err = await startGateway(config, { env: { LABEL_STUDIO_API_KEY: sim.legacyToken }, logDestination: { write: () => undefined } }).then(
    async (gw) => {
      await gw.close();
      return undefined;
    },
    (e: unknown) => e,
  );
  t.type(err, CapabilitySetError, 'serve refuses the set');
  t.match((err as Error).message, copy);
  t.match((err as Error).message, original);

  const serve = await runCli(['serve', family.dir, '--rest-port', '0', '--mcp-port', '0', '--ledger', 'off'], { LABEL_STUDIO_API_KEY: 'k' });
  t.equal(serve.code, 1, 'the serve command exits 1');
  t.match(serve.stderr, /route conflict/);
});

t.test('tool names: <capability>.<tool> on the shared endpoint, original names per capability, long names shortened', async (t) => {
  t.equal(sharedToolName('projects', 'list-projects'), 'projects.list-projects');
  t.equal(fitToolName('get import/storage ✨'), 'get_import_storage__');
  const long = sharedToolName('label-studio-subpackage-import-storage-s3', 'get-import-storage-with-a-rather-long-name');
  t.equal(long.length, 64);
  t.match(long, /^[A-Za-z0-9_.-]+-[0-9a-f]{10}$/);
  t.equal(long, sharedToolName('label-studio-subpackage-import-storage-s3', 'get-import-storage-with-a-rather-long-name'), 'the same on every boot');
  t.not(long, sharedToolName('label-studio-subpackage-import-storage-s3', 'get-import-storage-with-a-rather-long-name2'), 'a different name gets a different hash');

  // Two capabilities with the same tool names (get-user, list-users…) and distinct REST paths on another port.
  const family = copyFamily();
  t.teardown(family.remove);
  const users = readFileSync(join(family.dir, 'users.yaml'), 'utf8');
  writeFileSync(
    join(family.dir, 'users-archive.yaml'),
    users.replaceAll('/v1/api/', '/v1/archive/').replace('port: 8080', 'port: 8081').replaceAll('label-studio-users', 'label-studio-users-archive'),
  );
  const gw = await startInProcess(family.dir, { LABEL_STUDIO_API_KEY: sim.legacyToken }, sim.url);
  t.teardown(() => gw.gateway.close());
  const shared = await connectMcp(`${gw.gateway.mcpUrl as string}/mcp`);
  t.teardown(() => shared.close());
  const names = (await shared.listTools()).tools.map((tool) => tool.name);
  t.ok(names.includes('users.get-user') && names.includes('users-archive.get-user'), 'the colliding name is reachable for both capabilities');
  t.equal(new Set(names).size, names.length, 'every name is unique');
  const a = await shared.callTool({ name: 'users-archive.get-user', arguments: { id: 11 } });
  t.match(a.structuredContent, { result: { id: 11, username: 'adam' } }, 'an undeclared output is wrapped as {result} (docs/mcp.md)');
  const own = await connectMcp(`${gw.gateway.mcpUrl as string}/mcp/users-archive`);
  t.teardown(() => own.close());
  t.same((await own.listTools()).tools.map((tool) => tool.name).filter((n) => n !== 'list-role-changes').sort(), ['get-user', 'list-users', 'update-user', 'whoami']);

  t.equal(gw.gateway.restServers.length, 2, 'port 8080 and port 8081 stay two listeners');
  const archive = gw.gateway.restServers.find((r) => r.listener.app.hasRoute({ method: 'GET', url: '/v1/archive/users' }));
  t.ok(archive, 'the archive routes are on their own listener');
  t.equal((await sendJson(archive?.url as string, 'GET', '/v1/archive/users')).status, 200);
  t.equal((await sendJson(gw.url, 'GET', '/v1/archive/users')).status, 404, 'and not on the 8080 listener');
  t.equal((await sendJson(gw.url, 'GET', '/v1/api/users')).status, 200);
});
