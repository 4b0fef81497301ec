/**
 * The other two ways to reach the tools: stateless Streamable HTTP (for
 * replicas behind a load balancer) and stdio (for desktop agents).
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import t from 'tap';
import { request } from 'undici';
import { startLabelStudio, type LabelStudioSimulator } from '../fixtures/label-studio/simulator.js';
import { CLI, ROOT, startGatewayProcess } from '../helpers/gateway-process.js';
import { connectHttp, textOf } from '../helpers/mcp-client.js';

let sim: LabelStudioSimulator;

t.before(async () => {
  sim = await startLabelStudio();
});

t.teardown(() => sim?.close());

t.test('stateless mode: two independent clients, no session ids, GET is 405', async (t) => {
  const gw = await startGatewayProcess({
    capability: 'capability.yaml',
    env: { LABEL_STUDIO_API_KEY: sim.legacyToken, GATEWAY_BASE_URI: sim.url, GATEWAY_MCP_STATELESS: '1' },
  });
  t.teardown(() => gw.stop());
  t.equal((await gw.waitForLog((l) => l['msg'] === 'mcp adapter listening'))['stateless'], true);
  const a = await connectHttp(gw.mcpUrl, 'a');
  const b = await connectHttp(gw.mcpUrl, 'b');
  t.teardown(async () => {
    await a.client.close();
    await b.client.close();
  });
  t.equal(a.transport.sessionId, undefined, 'no session id');
  t.equal(b.transport.sessionId, undefined, 'no session id');
  t.equal((await a.client.listTools()).tools.length, 6);
  sim.clear();
  const [ra, rb] = (await Promise.all([
    a.client.callTool({ name: 'get-organization-settings', arguments: { id: 1 } }),
    b.client.callTool({ name: 'get-organization-settings', arguments: { id: 2 } }),
  ])) as CallToolResult[];
  t.match(ra?.structuredContent, { id: 1, title: 'Acme Labeling' });
  t.match(rb?.structuredContent, { id: 2, title: 'Acme Research' });
  t.equal(sim.requests.length, 2);
  t.ok(sim.requests.every((r) => r.headers['authorization'] === `Token ${sim.legacyToken}`));

  const get = await request(`${gw.mcpUrl}/mcp`, { method: 'GET', headers: { accept: 'text/event-stream' } });
  t.equal(get.statusCode, 405);
  t.equal(get.headers['allow'], 'POST');
  await get.body.dump();
});

t.test('stdio: serve --mcp-stdio lists and calls tools; logs stay off stdout', async (t) => {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, 'serve', 'capability.yaml', '--mcp-stdio'],
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '', LABEL_STUDIO_API_KEY: sim.legacyToken, GATEWAY_BASE_URI: sim.url, GATEWAY_LEDGER: 'off' },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const client = new Client({ name: 'desktop-agent', version: '1.0.0' });
  await client.connect(transport);
  t.teardown(() => client.close());
  const { tools } = await client.listTools();
  t.equal(tools.length, 6);
  sim.clear();
  const result = (await client.callTool({ name: 'list-your-organizations', arguments: { ordering: 'title' } })) as CallToolResult;
  t.notOk(result.isError, textOf(result));
  t.same((result.structuredContent as { result: { title: string }[] }).result.map((o) => o.title), ['Acme Labeling', 'Acme Research', 'Acme Vendors']);
  t.equal(sim.requests[0]?.url, '/api/organizations/?ordering=title');
  t.equal(sim.requests[0]?.headers['authorization'], `Token ${sim.legacyToken}`);
  await client.close();
  t.match(stderr, /"msg":"mcp adapter listening"/, 'logs go to stderr');
  t.match(stderr, /"transport":"stdio"/);
  t.match(stderr, /"msg":"tool call completed"/);
  t.notOk(stderr.includes('rest adapter listening'), 'no REST server in stdio mode');
  t.notOk(stderr.includes(sim.legacyToken), 'credential never logged');
});
