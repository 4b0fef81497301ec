/**
 * The MCP adapter over Streamable HTTP with sessions: the real gateway
 * process, the SDK's real Client, and the Label Studio simulator.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import t from 'tap';
import { request } from 'undici';
import { startLabelStudio, type LabelStudioSimulator } from '../fixtures/label-studio/simulator.js';
import { startGatewayProcess, type GatewayProcess } from '../helpers/gateway-process.js';
import { connectHttp, textOf } from '../helpers/mcp-client.js';
import { TEST_DEADLINE_MS } from '../helpers/deadlines.js';

const ALLOWED_ORIGIN = 'https://agent.example.com';

let sim: LabelStudioSimulator;
let gw: GatewayProcess;
let mcpUrl: string;
let client: Client;

t.before(async () => {
  sim = await startLabelStudio();
  gw = await startGatewayProcess({
    capability: 'capability.yaml',
    env: { LABEL_STUDIO_API_KEY: sim.legacyToken, GATEWAY_BASE_URI: sim.url, GATEWAY_MCP_ALLOWED_ORIGINS: `${ALLOWED_ORIGIN}/,https://other.example.com` },
  });
  mcpUrl = gw.mcpUrl;
  client = (await connectHttp(mcpUrl)).client;
});

t.teardown(async () => {
  await client?.close();
  await gw?.stop();
  await sim?.close();
});

t.beforeEach(() => {
  sim.clear();
  sim.clearFaults();
  sim.reset();
});

async function call(name: string, args?: Record<string, unknown>): Promise<CallToolResult> {
  return (await client.callTool({ name, ...(args === undefined ? {} : { arguments: args }) })) as CallToolResult;
}

async function direct(path: string): Promise<unknown> {
  const res = await request(sim.url + path, { headers: { authorization: `Token ${sim.legacyToken}` } });
  return res.body.json();
}

t.test('the adapter logs its URL and serves /healthz', async (t) => {
  t.match(mcpUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
  const line = await gw.waitForLog((l) => l['msg'] === 'mcp adapter listening');
  t.equal(line['transport'], 'http');
  t.equal((line['tools'] as string[]).length, 6);
  const res = await request(`${mcpUrl}/healthz`);
  t.equal(res.statusCode, 200);
  t.same(await res.body.json(), { status: 'ok' });
});

t.test('listTools: 6 tools with annotations and JSON Schemas, no credential parameter', async (t) => {
  const { tools } = await client.listTools();
  const byName = new Map<string, Tool>(tools.map((tool) => [tool.name, tool]));
  t.same([...byName.keys()].sort(), ['get-organization-settings', 'list-your-organizations', 'reset-organization-token', 'update-default-role', 'update-member-role', 'update-organization']);
  const expected: [string, boolean, boolean, boolean][] = [
    ['reset-organization-token', false, false, false],
    ['list-your-organizations', true, false, true],
    ['get-organization-settings', true, false, true],
    ['update-organization', false, false, true],
    ['update-default-role', false, false, true],
    ['update-member-role', false, false, true],
  ];
  for (const [name, readOnly, destructive, idempotent] of expected) {
    const tool = byName.get(name);
    t.same(tool?.annotations, { title: tool?.title, readOnlyHint: readOnly, destructiveHint: destructive, idempotentHint: idempotent, openWorldHint: true }, `${name} annotations`);
    t.match(tool?.title, /^\S.{2,}/, `${name}: a title`);
  }
  for (const tool of tools) {
    t.notOk(/authorization/i.test(JSON.stringify(tool.inputSchema)), `${tool.name}: no Authorization input`);
    t.equal(tool.inputSchema.type, 'object');
    t.match(tool.outputSchema, { type: 'object' }, `${tool.name}: outputSchema`);
    t.ok(JSON.stringify(tool.outputSchema).length > 60, `${tool.name}: outputSchema describes the output, not a bare object`);
    t.notOk(/✨/.test(tool.description ?? ''), `${tool.name}: decoration stripped`);
  }
  t.equal(byName.get('update-organization')?.description, 'Update organization');
  t.equal(byName.get('update-member-role')?.description, 'Update organization member/role');

  const get = byName.get('get-organization-settings')?.inputSchema;
  t.match(get, { properties: { id: { type: 'integer' } }, required: ['id'] });
  const list = byName.get('list-your-organizations')?.inputSchema;
  t.match(list, { properties: { ordering: { type: 'string', description: String } } });
  t.notOk(list?.required?.includes('ordering'), 'ordering optional');
  const update = byName.get('update-organization')?.inputSchema;
  t.match(update, { properties: { id: { type: 'integer' }, body: { type: 'object' } }, required: ['id'] });
  t.ok(update?.required?.includes('body'), 'body required: Label Studio refuses a PATCH without one');
  t.match(byName.get('update-member-role')?.inputSchema, { required: ['id', 'body'], properties: { body: { required: ['user_id'] } } }, 'user_id required, as Label Studio requires it');
  t.match(byName.get('list-your-organizations')?.outputSchema, {
    type: 'object',
    properties: { result: { anyOf: [{ type: 'array', items: { properties: { id: { type: 'integer' } } } }] } },
    anyOf: [{ required: ['result'] }, { required: ['type', 'title', 'status', 'detail', 'instance', 'code'] }],
  }, 'the array schema, wrapped as {result}; or a problem');
  t.match(byName.get('update-member-role')?.outputSchema, { type: 'object', properties: { concurrency: { type: ['string', 'null'] } } }, 'the response schema through the mapping');
  t.same(byName.get('reset-organization-token')?.inputSchema.properties, {}, 'reset takes no arguments');
});

t.test('every tool returns the mapped upstream JSON, sent with the injected Token', async (t) => {
  const cases: { tool: string; args?: Record<string, unknown>; method: string; url: string; json?: unknown; check: (s: Record<string, unknown>) => unknown }[] = [
    {
      tool: 'get-organization-settings',
      args: { id: 1 },
      method: 'GET',
      url: '/api/organizations/1',
      check: async (s) => t.same(s, await direct('/api/organizations/1')),
    },
    {
      tool: 'list-your-organizations',
      args: { ordering: '-id' },
      method: 'GET',
      url: '/api/organizations/?ordering=-id',
      check: (s) => {
        const ids = (s['result'] as { id: number }[]).map((o) => o.id);
        t.same(ids, [3, 2, 1], 'an array output is wrapped as { result }');
      },
    },
    {
      tool: 'update-organization',
      args: { id: 2, body: { title: 'Renamed by agent' } },
      method: 'PATCH',
      url: '/api/organizations/2',
      json: { title: 'Renamed by agent' },
      check: (s) => t.match(s, { id: 2, title: 'Renamed by agent' }),
    },
    {
      tool: 'update-default-role',
      args: { id: 1, body: { default_role: 'AN' } },
      method: 'PATCH',
      url: '/api/organizations/1/set-default-role',
      json: { default_role: 'AN' },
      check: (s) => t.match(s, { default_role: 'AN' }),
    },
    {
      tool: 'update-member-role',
      args: { id: 1, body: { user_id: 14, role: 'RE' } },
      method: 'PATCH',
      url: '/api/organizations/1/memberships',
      json: { user_id: 14, role: 'RE' },
      check: (s) => t.match(s, { organization: 1, role: 'RE', user: { id: 14 } }),
    },
    {
      tool: 'reset-organization-token',
      method: 'POST',
      url: '/api/invite/reset-token',
      check: (s) => t.match(s, { invite_url: /^\/user\/signup\/\?token=[0-9a-f]{16}$/, token: /^[0-9a-f]{16}$/ }),
    },
  ];
  for (const c of cases) {
    sim.clear();
    const result = await call(c.tool, c.args);
    t.notOk(result.isError, `${c.tool}: not an error (${textOf(result)})`);
    const structured = result.structuredContent as Record<string, unknown>;
    t.same(JSON.parse(textOf(result)), structured, `${c.tool}: text block is the same JSON`);
    t.equal(sim.requests.length, 1, `${c.tool}: one upstream call`);
    const seen = sim.requests[0];
    t.equal(seen?.method, c.method);
    t.equal(seen?.url, c.url);
    t.equal(seen?.headers['authorization'], `Token ${sim.legacyToken}`, `${c.tool}: injected Token`);
    if (c.json !== undefined) t.same(seen?.json, c.json);
    await c.check(structured);
  }
  // Log lines cross a pipe after the results: wait for the last call's line.
  await gw.waitForLog((l) => l['msg'] === 'tool call completed' && l['tool'] === 'reset-organization-token');
  const logs = gw.logObjects().filter((l) => l['msg'] === 'tool call completed');
  t.ok(logs.length >= cases.length, 'one log line per call');
  t.match(logs.at(-1), { adapter: 'mcp', tool: 'reset-organization-token', operation: 'label-studio-subpackage-organizations.resettoken', upstreamStatus: 201, isError: false, durationMs: Number });
  t.notOk(gw.logs.join('\n').includes(sim.legacyToken), 'the credential is never logged');
});

t.test('upstream 4xx become isError with the status and the upstream detail', async (t) => {
  const missing = await call('get-organization-settings', { id: 999 });
  t.equal(missing.isError, true);
  t.match(textOf(missing), /404.*Not found\./);
  t.equal(missing.structuredContent, undefined);
  t.equal(sim.requests.at(-1)?.url, '/api/organizations/999');

  // The capability's body schemas reject these before the upstream is called, naming the field.
  const sent = sim.requests.length;
  const invalid = await call('update-organization', { id: 1, body: { title: '' } });
  t.equal(invalid.isError, true);
  t.match(textOf(invalid), /NGW_ERR_VALIDATION \(400\).*body\.title/);

  const badRole = await call('update-member-role', { id: 1, body: { user_id: 14, role: 'XX' } });
  t.equal(badRole.isError, true);
  t.match(textOf(badRole), /NGW_ERR_VALIDATION \(400\).*body\.role/);
  t.equal(sim.requests.length, sent, 'neither reached the upstream');
});

t.test('gateway errors carry their NGW_ERR code', async (t) => {
  sim.fault({ path: '/api/organizations/1', kind: 'close' });
  const result = await call('get-organization-settings', { id: 1 });
  t.equal(result.isError, true);
  t.match(textOf(result), /^NGW_ERR_UPSTREAM_UNREACHABLE \(502\): /);

  sim.clearFaults();
  sim.fault({ path: '/api/organizations/1', kind: 'non-json' });
  const html = await call('get-organization-settings', { id: 1 });
  t.match(textOf(html), /^NGW_ERR_UPSTREAM_BAD_RESPONSE \(502\): /);
});

t.test('invalid arguments are isError naming the field, with no upstream call', async (t) => {
  const cases: [Record<string, unknown> | undefined, RegExp][] = [
    [{ id: 'abc' }, /arguments\.id must be integer/],
    [{}, /arguments\.id must have required property 'id'/],
    [undefined, /arguments\.id/],
    [{ id: 1.5 }, /arguments\.id must be integer/],
    [{ id: 1, extra: true }, /arguments\.extra/],
  ];
  for (const [args, pattern] of cases) {
    const result = await call('get-organization-settings', args);
    t.equal(result.isError, true, JSON.stringify(args));
    t.match(textOf(result), /^NGW_ERR_VALIDATION \(400\): /);
    t.match(textOf(result), pattern);
  }
  const body = await call('update-organization', { id: 1, body: 'not an object' });
  t.match(textOf(body), /arguments\.body must be object/);
  const ordering = await call('list-your-organizations', { ordering: 5 });
  t.match(textOf(ordering), /arguments\.ordering must be string/);
  t.equal(sim.requests.length, 0, 'zero upstream calls');
});

t.test('an unknown tool is a JSON-RPC error', async (t) => {
  await t.rejects(call('no-such-tool', {}), /unknown tool "no-such-tool"/);
});

t.test('Origin allow-list: other browser origins get 403, listed ones are served', async (t) => {
  const init = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'curl', version: '1' } } });
  const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  for (const origin of ['https://evil.example.com', 'null', 'http://127.0.0.1:1']) {
    const res = await request(`${mcpUrl}/mcp`, { method: 'POST', headers: { ...headers, origin }, body: init });
    t.equal(res.statusCode, 403, origin);
    t.match(res.headers['content-type'], /application\/problem\+json/);
    t.match(await res.body.json(), { status: 403, code: 'NGW_ERR_FORBIDDEN' });
  }
  const get = await request(`${mcpUrl}/mcp`, { method: 'GET', headers: { accept: 'text/event-stream', origin: 'https://evil.example.com' } });
  t.equal(get.statusCode, 403, 'GET too');
  await get.body.dump();
  const allowed = await request(`${mcpUrl}/mcp`, { method: 'POST', headers: { ...headers, origin: ALLOWED_ORIGIN }, body: init });
  t.equal(allowed.statusCode, 200);
  t.type(allowed.headers['mcp-session-id'], 'string');
  await allowed.body.dump();
  t.equal(sim.requests.length, 0);
});

t.test('sessions: unknown session ids get 404, a request without one 400, DELETE ends a session', async (t) => {
  const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  const list = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
  const unknown = await request(`${mcpUrl}/mcp`, { method: 'POST', headers: { ...headers, 'mcp-session-id': 'nope' }, body: list });
  t.equal(unknown.statusCode, 404);
  await unknown.body.dump();
  const none = await request(`${mcpUrl}/mcp`, { method: 'POST', headers, body: list });
  t.equal(none.statusCode, 400);
  await none.body.dump();

  const { client: other, transport } = await connectHttp(mcpUrl, 'short-lived');
  const id = transport.sessionId;
  t.type(id, 'string');
  t.equal((await other.listTools()).tools.length, 6);
  await transport.terminateSession();
  const after = await request(`${mcpUrl}/mcp`, { method: 'POST', headers: { ...headers, 'mcp-session-id': id as string }, body: list });
  t.equal(after.statusCode, 404, 'terminated session is gone');
  await after.body.dump();
  await other.close();
});

t.test('cancelling a call aborts the upstream request', async (t) => {
  sim.fault({ path: '/api/organizations/3', kind: 'hang' });
  const controller = new AbortController();
  const pending = client.callTool({ name: 'get-organization-settings', arguments: { id: 3 } }, undefined, { signal: controller.signal });
  const deadline = Date.now() + TEST_DEADLINE_MS;
  while (sim.requests.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  t.equal(sim.requests.length, 1, 'the upstream call started');
  const cancelledAt = Date.now();
  controller.abort('user cancelled');
  await t.rejects(pending, /cancel/i);
  const line = await gw.waitForLog((l) => l['msg'] === 'tool call completed' && l['cancelled'] === true);
  t.equal(line['code'], 'NGW_ERR_CLIENT_CLOSED_REQUEST', 'the upstream request was aborted as the client went away');
  // Loose on purpose (a loaded machine): what matters is that it is not the 30 s upstream timeout.
  t.ok(Date.now() - cancelledAt < 20_000, 'well before the 30 s upstream timeout');
});
