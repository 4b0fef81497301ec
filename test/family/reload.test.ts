/**
 * Reload of a capability set: a changed, added or removed file is picked up
 * (SIGHUP's reload and `--watch` on the folder); a broken file keeps the whole
 * previous set serving and the log names the broken file.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { resolveConfig } from '../../src/settings/index.js';
import { startGateway } from '../../src/gateway.js';
import { startLabelStudio, type LabelStudioSimulator } from '../fixtures/label-studio/simulator.js';
import { TEST_DEADLINE_MS } from '../helpers/deadlines.js';
import { sendJson } from '../helpers/http.js';
import { startInProcess } from '../helpers/in-process.js';
import { copyFamily } from './helpers.js';

let sim: LabelStudioSimulator;
t.before(async () => {
  sim = await startLabelStudio();
});
t.teardown(() => sim.close());

async function status(url: string, path: string): Promise<number> {
  return (await sendJson(url, 'GET', path)).status;
}

function archiveOf(users: string): string {
  return users.replaceAll('/v1/api/', '/v1/archive/').replaceAll('label-studio-users', 'label-studio-users-archive');
}

t.test('reload picks up a changed, an added and a removed file; a broken one keeps the whole set', async (t) => {
  const family = copyFamily();
  t.teardown(family.remove);
  const gw = await startInProcess(family.dir, { LABEL_STUDIO_API_KEY: sim.legacyToken }, sim.url);
  t.teardown(() => gw.gateway.close());
  t.equal(await status(gw.url, '/v1/api/tasks/1'), 200);

  const tasks = join(family.dir, 'tasks.yaml');
  writeFileSync(tasks, readFileSync(tasks, 'utf8').replaceAll('/v1/api/tasks', '/v1/api/work-items'));
  t.match(await gw.gateway.reload(), { ok: true }, 'a changed file reloads');
  t.equal(await status(gw.url, '/v1/api/work-items/1'), 200, 'its new route is served');
  t.equal(await status(gw.url, '/v1/api/tasks/1'), 404, 'its old route is gone');
  t.equal(await status(gw.url, '/v1/api/projects/1'), 200, 'the other capabilities still serve');

  const archive = join(family.dir, 'users-archive.yaml');
  writeFileSync(archive, archiveOf(readFileSync(join(family.dir, 'users.yaml'), 'utf8')));
  t.match(await gw.gateway.reload(), { ok: true }, 'an added file reloads');
  t.equal(await status(gw.url, '/v1/archive/users'), 200, 'its routes are served on the shared listener');
  t.equal(gw.gateway.capabilitySet.members.length, 5);
  const mcp = gw.gateway.mcpUrl as string;
  const init = { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-03-26', capabilities: {}, clientInfo: { name: 'tap', version: '1' } } }) };
  t.equal((await fetch(`${mcp}/mcp/users-archive`, init)).status, 200, 'it gets its MCP endpoint');

  rmSync(archive);
  t.match(await gw.gateway.reload(), { ok: true }, 'a removed file reloads');
  t.equal(await status(gw.url, '/v1/archive/users'), 404, 'its routes are gone');
  t.equal((await fetch(`${mcp}/mcp/users-archive`, init)).status, 404, 'and its MCP endpoint');

  const projects = join(family.dir, 'projects.yaml');
  writeFileSync(projects, readFileSync(projects, 'utf8').replace('call: label-studio-projects.get', 'call: label-studio-projects.nope'));
  const before = gw.logs.length;
  const broken = await gw.gateway.reload();
  t.equal(broken.ok, false, 'a broken file fails the reload');
  const lines = gw.logs.slice(before).map((l) => JSON.parse(l) as { msg: string; file?: string; level: number });
  t.ok(lines.some((l) => l.level >= 50 && l.file === projects && /label-studio-projects\.nope/.test(l.msg)), 'the error line names the broken file and the problem');
  t.ok(lines.some((l) => l.msg === 'capability reload failed; still serving the previous capability' && l.file === projects), 'the summary line names it too');
  t.equal(await status(gw.url, '/v1/api/projects/1'), 200, "the broken file's previous version keeps serving");
  t.equal(await status(gw.url, '/v1/api/work-items/1'), 200, 'and so does the rest of the set');
});

t.test('--watch on a folder reloads when a capability file is added to it', async (t) => {
  const family = copyFamily();
  t.teardown(family.remove);
  const logs: string[] = [];
  let notify: (() => void) | undefined;
  const config = resolveConfig({ capability: family.dir, restPort: '0', mcpPort: '0', baseUri: [sim.url], watch: true }, { GATEWAY_LEDGER: 'off' });
  const gw = await startGateway(config, {
    env: { LABEL_STUDIO_API_KEY: sim.legacyToken },
    logDestination: {
      write: (line: string) => {
        logs.push(line);
        if (line.includes('"capability reloaded"')) notify?.();
      },
    },
  });
  t.teardown(() => gw.close());
  const url = gw.restUrl as string;
  t.equal(await status(url, '/v1/archive/users'), 404);
  const reloaded = new Promise<void>((resolve, reject) => {
    notify = resolve;
    setTimeout(() => reject(new Error('no reload within the deadline')), TEST_DEADLINE_MS).unref();
  });
  writeFileSync(join(family.dir, 'users-archive.yaml'), archiveOf(readFileSync(join(family.dir, 'users.yaml'), 'utf8')));
  await reloaded;
  t.equal(await status(url, '/v1/archive/users'), 200, 'the added file is served');
  t.ok(logs.some((l) => l.includes('/v1/archive/users')), 'the reload log lists the added routes');
});
