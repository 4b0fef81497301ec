/**
 * Inbound keys beyond the REST capability routes: the MCP endpoint (401 at the
 * transport, scopes per tool call, the caller in the log), the probes and API
 * description that stay public, /metrics that does not, and the OpenAPI
 * security scheme that appears once keys are configured.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import t from 'tap';
import { runCli } from '../helpers/gateway-process.js';
import { textOf } from '../helpers/mcp-client.js';
import { ADMIN_KEY, API_KEYS, READ_KEY, send, startSecureGateway, WRITE_KEY, type SecureSetup } from './fixture.js';

let setup: SecureSetup;
t.before(async () => {
  setup = await startSecureGateway();
});
t.teardown(() => setup?.close());

async function connectWith(key: string | undefined): Promise<Client> {
  const client = new Client({ name: 'tap', version: '1.0.0' });
  const headers: Record<string, string> = key === undefined ? {} : { authorization: `Bearer ${key}` };
  await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', setup.gw.mcpUrl), { requestInit: { headers } }));
  return client;
}

t.test('MCP without a key or with a wrong one is refused at the transport with 401 problem+json', async (t) => {
  const initialize = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
  const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  for (const extra of [{}, { authorization: 'Bearer not-a-gateway-key' }] as Record<string, string>[]) {
    const res = await send(setup.gw.mcpUrl, 'POST', '/mcp', { ...headers, ...extra }, initialize);
    t.equal(res.status, 401);
    t.match(String(res.headers['content-type']), /^application\/problem\+json/);
    t.match(JSON.parse(res.text), { status: 401, code: 'NGW_ERR_UNAUTHENTICATED' });
  }
  await t.rejects(connectWith(undefined), 'the SDK client cannot connect without a key');
});

t.test('MCP tool calls need the scope of the tool: read for read-only tools, write for the rest', async (t) => {
  const reader = await connectWith(READ_KEY);
  t.teardown(() => reader.close());
  const writer = await connectWith(WRITE_KEY);
  t.teardown(() => writer.close());

  const tools = await reader.listTools();
  t.equal(tools.tools.length, 6, 'listing tools needs only a valid key');

  setup.sim.clear();
  const read = await reader.callTool({ name: 'get-organization-settings', arguments: { id: 1 } });
  t.notOk(read.isError, 'a read key reads');
  t.equal(setup.sim.requests.length, 1);

  setup.sim.clear();
  const denied = await reader.callTool({ name: 'update-organization', arguments: { id: 1, body: { title: 'Renamed' } } });
  t.equal(denied.isError, true);
  t.match(textOf(denied as CallToolResult), /NGW_ERR_FORBIDDEN \(403\).*"reader".*"write"/);
  t.equal(setup.sim.requests.length, 0, 'a denied call never reaches the upstream');

  const writeOnlyRead = await writer.callTool({ name: 'list-your-organizations', arguments: {} });
  t.equal(writeOnlyRead.isError, true, 'a write-only key cannot read');

  const line = await setup.gw.waitForLog((l) => l['msg'] === 'tool call completed' && l['tool'] === 'get-organization-settings' && l['keyId'] === 'reader');
  t.equal(line['isError'], false, 'the caller key id is in the tool call log line');
});

t.test('probes and the API description are public; /metrics and capability routes are not', async (t) => {
  for (const path of ['/healthz', '/readyz', '/openapi.json', '/openapi.yaml', '/docs/']) {
    const res = await send(setup.gw.url, 'GET', path);
    t.equal(res.status, 200, `${path} without a key`);
  }
  t.equal((await send(setup.gw.url, 'GET', '/metrics')).status, 401, '/metrics without a key');
  t.equal((await send(setup.gw.url, 'GET', '/metrics', { 'x-api-key': ADMIN_KEY })).status, 200, '/metrics with a key');
  t.equal((await send(setup.gw.url, 'GET', '/v1/api/organizations/1')).status, 401);
});

t.test('with keys the OpenAPI document declares the gateway key, never the upstream one; `openapi` prints the same', async (t) => {
  const served = await send(setup.gw.url, 'GET', '/openapi.json');
  const doc = JSON.parse(served.text) as { components: { securitySchemes: Record<string, { type: string; scheme?: string; name?: string }> }; security: unknown };
  t.same(Object.keys(doc.components.securitySchemes).sort(), ['gatewayApiKey', 'gatewayBearer']);
  t.match(doc.components.securitySchemes['gatewayBearer'], { type: 'http', scheme: 'bearer' });
  t.match(doc.components.securitySchemes['gatewayApiKey'], { type: 'apiKey', name: 'x-api-key' });
  t.same(doc.security, [{ gatewayBearer: [] }, { gatewayApiKey: [] }]);
  t.notMatch(served.text, /Token |LABEL_STUDIO_API_KEY/, 'the upstream credential is not described');

  // The same settings, port included (the document names the served port), print the same document.
  const printed = await runCli(['openapi', 'capability.yaml', '--rest-port', new URL(setup.gw.url).port], { GATEWAY_API_KEYS: API_KEYS, GATEWAY_LEDGER: 'off' });
  t.equal(printed.code, 0);
  t.equal(printed.stdout, served.text, 'byte for byte the served document');
  const unauthenticated = await runCli(['openapi', 'capability.yaml'], { GATEWAY_LEDGER: 'off' });
  t.notMatch(unauthenticated.stdout, /securitySchemes/, 'no keys, no security scheme');
});

t.test('with the ledger on, its MCP tool and REST route need the read scope', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ngw-ledger-auth-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const ledgered = await startSecureGateway(['--ledger', 'on', '--ledger-dir', dir]);
  t.teardown(() => ledgered.close());
  const connect = async (key: string): Promise<Client> => {
    const client = new Client({ name: 'tap', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', ledgered.gw.mcpUrl), { requestInit: { headers: { authorization: `Bearer ${key}` } } }));
    t.teardown(() => client.close());
    return client;
  };
  const reader = await connect(READ_KEY);
  const writer = await connect(WRITE_KEY);
  t.ok((await reader.listTools()).tools.some((tool) => tool.name === 'list-role-changes'));
  const read = (await reader.callTool({ name: 'list-role-changes', arguments: {} })) as CallToolResult;
  t.notOk(read.isError, 'a read key lists the ledger');
  const denied = (await writer.callTool({ name: 'list-role-changes', arguments: {} })) as CallToolResult;
  t.equal(denied.isError, true);
  t.match(textOf(denied), /NGW_ERR_FORBIDDEN \(403\).*"writer".*"read"/);

  t.equal((await send(ledgered.gw.url, 'GET', '/v1/ledger', { 'x-api-key': WRITE_KEY })).status, 403, 'a write-only key cannot read the ledger');
  t.equal((await send(ledgered.gw.url, 'GET', '/v1/ledger', { 'x-api-key': READ_KEY })).status, 200);
  t.equal((await send(ledgered.gw.url, 'GET', '/v1/ledger')).status, 401);
  const doc = JSON.parse((await send(ledgered.gw.url, 'GET', '/openapi.json')).text) as { paths: Record<string, unknown>; tags: { name: string }[] };
  t.ok(doc.paths['/v1/ledger'], 'the ledger route is documented');
  t.ok(doc.tags.some((tag) => tag.name === 'ledger'), 'with its tag declared');
});
