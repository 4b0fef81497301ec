/**
 * `serve --mcp-stdio` of a set: the agent that launches the gateway gets every
 * tool of every capability on its one stdio connection, named like the shared
 * HTTP endpoint (`<capability>.<tool>`), also when the capabilities declare
 * different MCP ports. The real SDK client spawns the real gateway.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import t, { type Test } from 'tap';
import { startLabelStudio, type LabelStudioSimulator } from '../fixtures/label-studio/simulator.js';
import { CLI, ROOT } from '../helpers/gateway-process.js';
import { textOf } from '../helpers/mcp-client.js';
import { copyFamily, EXAMPLE_FAMILY } from './helpers.js';

let sim: LabelStudioSimulator;
t.before(async () => {
  sim = await startLabelStudio();
});
t.teardown(() => sim?.close());

/** connectStdio spawns `serve <folder> --mcp-stdio` under the SDK's stdio client; stderr is collected. */
async function connectStdio(t: Test, folder: string): Promise<{ client: Client; stderr: () => string }> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, 'serve', folder, '--mcp-stdio'],
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '', LABEL_STUDIO_API_KEY: sim.issuePat(), GATEWAY_BASE_URI: sim.url, GATEWAY_LEDGER: 'off' },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const client = new Client({ name: 'desktop-agent', version: '1.0.0' });
  t.teardown(() => client.close()); // closes stdin and ends the child
  await client.connect(transport);
  return { client, stderr: () => stderr };
}

const ALL_TOOLS = 20;

t.test('stdio serves every tool of the folder as <capability>.<tool> and calls each area', async (t) => {
  const { client, stderr } = await connectStdio(t, EXAMPLE_FAMILY);
  const names = (await client.listTools()).tools.map((tool) => tool.name);
  t.equal(names.length, ALL_TOOLS, `every tool of the four capabilities (have ${names.length})`);
  t.ok(names.every((n) => /^(organizations|projects|tasks|users)\.[A-Za-z0-9_.-]+$/.test(n)), 'every name is <capability>.<tool>');
  sim.clear();
  const task = (await client.callTool({ name: 'tasks.get-task', arguments: { id: 1 } })) as CallToolResult;
  t.notOk(task.isError, textOf(task));
  t.match(task.structuredContent, { result: { id: 1, project: 1 } });
  const me = (await client.callTool({ name: 'users.whoami', arguments: {} })) as CallToolResult;
  t.notOk(me.isError, textOf(me));
  const forwarded = sim.requests.filter((r) => !r.path.startsWith('/api/token/')).map((r) => `${r.method} ${r.url}`);
  t.same(forwarded, ['GET /api/tasks/1/', 'GET /api/current-user/whoami/'], 'each call forwarded exactly');
  t.match(stderr(), /"transport":"stdio"/, 'logs go to stderr');
  const lines = stderr()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  t.ok(
    lines.some((l) => l['msg'] === 'tool call completed' && l['capability'] === 'tasks'),
    'the tool-call line names the capability',
  );
  t.notOk(stderr().includes('rest adapter listening'), 'no REST listener over stdio');
});

t.test('stdio serves the tools of every MCP port, not only the first', async (t) => {
  const family = copyFamily();
  t.teardown(family.remove);
  // tasks and users move to their own MCP port: over HTTP two listeners, over stdio one endpoint.
  for (const file of ['tasks.yaml', 'users.yaml']) {
    const path = join(family.dir, file);
    writeFileSync(path, readFileSync(path, 'utf8').replace(/port: 9090/, 'port: 9091'));
  }
  const { client } = await connectStdio(t, family.dir);
  const names = (await client.listTools()).tools.map((tool) => tool.name);
  t.equal(names.length, ALL_TOOLS, `the tools of both MCP ports (have ${names.length})`);
  t.ok(names.includes('organizations.get-organization-settings') && names.includes('users.whoami'), 'both ports, one naming rule');
  sim.clear();
  const me = (await client.callTool({ name: 'users.whoami', arguments: {} })) as CallToolResult;
  t.notOk(me.isError, textOf(me));
  t.equal(sim.requests.filter((r) => !r.path.startsWith('/api/token/'))[0]?.url, '/api/current-user/whoami/', 'a second-port tool is forwarded');
});
