/**
 * A reload reaches MCP clients too: SIGHUP swaps the tool table of the
 * running MCP server and connected clients get `notifications/tools/list_changed`.
 */
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import t from 'tap';
import { startLabelStudio } from '../fixtures/label-studio/simulator.js';
import { ROOT, startGatewayProcess } from '../helpers/gateway-process.js';
import { connectHttp } from '../helpers/mcp-client.js';

const SHIPPED = readFileSync(join(ROOT, 'capability.yaml'), 'utf8');
const FROM = '- name: list-your-organizations\n';
if (!SHIPPED.includes(FROM)) throw new Error('capability.yaml no longer names the list-your-organizations tool');
const RENAMED = SHIPPED.replace(FROM, '- name: list-organizations\n');

t.test('SIGHUP renames a tool: connected MCP clients are notified and list the new name', async (t) => {
  const sim = await startLabelStudio();
  t.teardown(() => sim.close());
  const dir = mkdtempSync(join(tmpdir(), 'ngw-reload-mcp-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'capability.yaml');
  writeFileSync(file, SHIPPED);
  const gw = await startGatewayProcess({ capability: file, env: { LABEL_STUDIO_API_KEY: sim.legacyToken, GATEWAY_BASE_URI: sim.url } });
  t.teardown(() => gw.stop());
  const { client } = await connectHttp(gw.mcpUrl);
  t.teardown(() => client.close());
  t.ok((await client.listTools()).tools.some((tool) => tool.name === 'list-your-organizations'));

  const notified = new Promise<void>((resolve) => client.setNotificationHandler(ToolListChangedNotificationSchema, () => resolve()));
  writeFileSync(file + '.tmp', RENAMED);
  renameSync(file + '.tmp', file);
  gw.child.kill('SIGHUP');
  await gw.waitForLog((l) => l['msg'] === 'capability reloaded');
  await notified;
  const names = (await client.listTools()).tools.map((tool) => tool.name);
  t.ok(names.includes('list-organizations'), 'the new name is listed');
  t.notOk(names.includes('list-your-organizations'), 'the old name is gone');
  const result = await client.callTool({ name: 'list-organizations', arguments: {} });
  t.notOk(result.isError, 'the renamed tool calls the upstream');
  t.equal(sim.requests.at(-1)?.url, '/api/organizations/');
});
