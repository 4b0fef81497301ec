/**
 * What MCP clients of every kind need, over real HTTP against the adapter on
 * port 0 and the Label Studio simulator. The MCP conformance suite
 * (@modelcontextprotocol/conformance) needs Node 22 (fs.globSync), so its
 * server scenarios that apply to a tools-only server are replicated here:
 * server-initialize, ping, tools-list, SSE streams (POST and GET), and
 * dns-rebinding-protection; plus JSON-RPC hygiene, CORS, session keep-alive,
 * stateless cancellation and authorization discovery.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import t from 'tap';
import { request } from 'undici';
import type { McpAdapter, McpAdapterOptions } from '../../src/adapters/mcp/index.js';
import { GatewayError } from '../../src/core/errors.js';
import { createLogger } from '../../src/ops/logger.js';
import { UpstreamPools } from '../../src/upstream/pools.js';
import { startLabelStudio, type LabelStudioSimulator } from '../fixtures/label-studio/simulator.js';
import { startTestMcpAdapter } from '../helpers/mcp-adapter.js';

const PROTOCOL = '2025-06-18';
const AGENT_KEY = 'agent-key-0123456789';

let sim: LabelStudioSimulator;
let pools: UpstreamPools;
const logs: Record<string, unknown>[] = [];
const adapters: McpAdapter[] = [];

t.before(async () => {
  sim = await startLabelStudio();
  pools = new UpstreamPools();
});

t.teardown(async () => {
  await Promise.allSettled(adapters.map((a) => a.close()));
  await pools?.close();
  await sim?.close();
});

async function start(options: Partial<McpAdapterOptions> = {}): Promise<string> {
  const logger = createLogger('info', { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
  const { adapter, url } = await startTestMcpAdapter(sim, pools, { logger, ...options });
  adapters.push(adapter);
  return url;
}

interface RpcReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** JSON-RPC messages: the JSON body, or every `data:` event of an SSE body. */
  messages: Record<string, unknown>[];
}

async function rpc(url: string, body: unknown, headers: Record<string, string> = {}, method: 'POST' | 'PUT' | 'PATCH' | 'GET' | 'OPTIONS' = 'POST'): Promise<RpcReply> {
  const res = await request(`${url}/mcp`, {
    method,
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.body.text();
  const type = String(res.headers['content-type'] ?? '');
  let messages: Record<string, unknown>[] = [];
  if (type.startsWith('text/event-stream')) {
    messages = text
      .split('\n')
      .filter((l) => l.startsWith('data:') && l.length > 'data:'.length + 1)
      .map((l) => JSON.parse(l.slice('data:'.length)) as Record<string, unknown>);
  } else if (text !== '') {
    try {
      messages = [JSON.parse(text) as Record<string, unknown>];
    } catch {
      messages = [];
    }
  }
  return { status: res.statusCode, headers: res.headers, text, messages };
}

const initialize = (id = 1) => ({ jsonrpc: '2.0', id, method: 'initialize', params: { protocolVersion: PROTOCOL, capabilities: {}, clientInfo: { name: 'conformance-replica', version: '1.0.0' } } });

/** openSession initializes over raw HTTP and returns the session headers to send next. */
async function openSession(url: string, extra: Record<string, string> = {}): Promise<{ headers: Record<string, string>; init: RpcReply }> {
  const init = await rpc(url, initialize(), extra);
  const sessionId = String(init.headers['mcp-session-id']);
  const headers = { ...extra, 'mcp-session-id': sessionId, 'mcp-protocol-version': PROTOCOL };
  const initialized = await rpc(url, { jsonrpc: '2.0', method: 'notifications/initialized' }, headers);
  if (initialized.status !== 202) throw new Error(`notifications/initialized: ${initialized.status}`);
  return { headers, init };
}

t.test('conformance: server-initialize, ping, tools-list', async (t) => {
  const url = await start();
  const { headers, init } = await openSession(url);
  t.equal(init.status, 200);
  t.match(init.messages[0], {
    jsonrpc: '2.0',
    id: 1,
    result: { protocolVersion: PROTOCOL, serverInfo: { name: 'label-studio-subpackage-organizations-mcp', version: String }, capabilities: { tools: { listChanged: true } } },
  });
  t.type(init.headers['mcp-session-id'], 'string', 'a session id');

  const ping = await rpc(url, { jsonrpc: '2.0', id: 2, method: 'ping' }, headers);
  t.equal(ping.status, 200);
  t.same(ping.messages[0], { jsonrpc: '2.0', id: 2, result: {} }, 'ping answers an empty result');

  const list = await rpc(url, { jsonrpc: '2.0', id: 3, method: 'tools/list' }, headers);
  const tools = (list.messages[0]?.['result'] as { tools: { name: string; title?: string; description?: string; inputSchema: { type: string }; outputSchema?: { type: string } }[] }).tools;
  t.equal(tools.length, 6);
  for (const tool of tools) {
    t.match(tool, { name: /^[a-z-]+$/, title: /\S/, description: /\S/, inputSchema: { type: 'object' }, outputSchema: { type: 'object' } }, `${tool.name}: name, title, description, schemas`);
  }
});

t.test('conformance: SSE streams — a POST answered as an event stream, a standalone GET stream', async (t) => {
  const url = await start();
  const { headers } = await openSession(url);
  const call = await rpc(url, { jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'get-organization-settings', arguments: { id: 1 } } }, headers);
  t.equal(call.status, 200);
  t.match(call.headers['content-type'], /^text\/event-stream/, 'the POST answer is an SSE stream');
  t.match(call.messages.at(-1), { jsonrpc: '2.0', id: 5, result: { structuredContent: { id: 1, title: 'Acme Labeling' } } }, 'its last event is the response');

  const controller = new AbortController();
  const get = await request(`${url}/mcp`, { method: 'GET', headers: { accept: 'text/event-stream', 'mcp-session-id': headers['mcp-session-id'] as string, 'mcp-protocol-version': PROTOCOL }, signal: controller.signal });
  t.equal(get.statusCode, 200);
  t.match(get.headers['content-type'], /^text\/event-stream/, 'GET opens the standalone stream');
  controller.abort();
  await get.body.dump().catch(() => undefined);
  const noSession = await request(`${url}/mcp`, { method: 'GET', headers: { accept: 'text/event-stream' } });
  t.equal(noSession.statusCode, 400, 'a GET without a session is refused');
  await noSession.body.dump();
});

t.test('conformance: dns-rebinding-protection — foreign Host/Origin refused, this server\'s localhost accepted', async (t) => {
  const url = await start();
  const port = new URL(url).port;
  const foreign = await rpc(url, initialize(), { host: 'evil.example.com', origin: 'http://evil.example.com' });
  t.ok(foreign.status >= 400 && foreign.status < 500, `foreign Host/Origin: ${foreign.status}`);
  const foreignHostOnly = await rpc(url, initialize(), { host: `evil.example.com:${port}` });
  t.equal(foreignHostOnly.status, 403, 'a foreign Host alone is refused (the rebinding case: no Origin check can help)');
  for (const name of ['localhost', '127.0.0.1']) {
    const valid = await rpc(url, initialize(), { host: `${name}:${port}`, origin: `http://${name}:${port}` });
    t.equal(valid.status, 200, `Host and Origin ${name}:${port} are accepted`);
  }
  const otherPort = await rpc(url, initialize(), { host: `localhost:${port}`, origin: 'http://localhost:1' });
  t.equal(otherPort.status, 403, 'another localhost port is another origin');
});

t.test('JSON-RPC hygiene: -32700, -32602 without a zod dump, one "MCP error" prefix, 405 for PUT and PATCH', async (t) => {
  const url = await start();
  const { headers } = await openSession(url);
  const malformed = await rpc(url, '{"jsonrpc": "2.0", "id": 1, "method": ', headers);
  t.equal(malformed.status, 400);
  t.match(malformed.messages[0], { jsonrpc: '2.0', id: null, error: { code: -32700, message: /^Parse error/ } });

  const badParams = await rpc(url, { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 42 } }, headers);
  const error = badParams.messages[0]?.['error'] as { code: number; message: string };
  t.equal(error.code, -32602, 'bad params are Invalid params');
  t.match(error.message, /params\.name/, 'the message names the field');
  t.notMatch(error.message, /MCP error|"code":|\[\s*\{/, 'no prefix, no serialized zod issues');

  const client = new Client({ name: 'hygiene', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', url)));
  t.teardown(() => client.close());
  const unknown = await client.callTool({ name: 'no-such-tool', arguments: {} }).then(
    () => '',
    (err: Error) => err.message,
  );
  t.match(unknown, /unknown tool "no-such-tool"/);
  t.equal(unknown.match(/MCP error/g)?.length, 1, `one "MCP error" prefix: ${unknown}`);

  for (const method of ['PUT', 'PATCH'] as const) {
    const res = await rpc(url, {}, headers, method);
    t.equal(res.status, 405, method);
    t.equal(res.headers['allow'], 'GET, POST, DELETE');
    t.match(res.messages[0], { jsonrpc: '2.0', error: { code: Number } });
  }
});

t.test('CORS: preflight and exposed MCP headers for allowed and same-origin pages; others refused', async (t) => {
  const url = await start({ allowedOrigins: ['https://inspector.example.com'] });
  const port = new URL(url).port;
  for (const origin of [`http://localhost:${port}`, 'https://inspector.example.com']) {
    const preflight = await request(`${url}/mcp`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, mcp-session-id, mcp-protocol-version' },
    });
    await preflight.body.dump();
    t.equal(preflight.statusCode, 204, `${origin}: preflight answered`);
    t.equal(preflight.headers['access-control-allow-origin'], origin);
    t.match(preflight.headers['access-control-allow-methods'], /POST/);
    t.match(preflight.headers['access-control-allow-headers'], /mcp-session-id/);
    t.match(preflight.headers['access-control-allow-headers'], /mcp-protocol-version/);
    const init = await rpc(url, initialize(), { origin });
    t.equal(init.status, 200);
    t.equal(init.headers['access-control-allow-origin'], origin, `${origin}: the answer names the origin`);
    t.match(init.headers['access-control-expose-headers'], /mcp-session-id/);
    t.match(init.headers['access-control-expose-headers'], /mcp-protocol-version/);
  }
  const foreign = await request(`${url}/mcp`, { method: 'OPTIONS', headers: { origin: 'https://evil.example.com', 'access-control-request-method': 'POST' } });
  await foreign.body.dump();
  t.equal(foreign.statusCode, 403, 'a foreign origin gets no preflight');
  t.equal(foreign.headers['access-control-allow-origin'], undefined);
});

t.test('sessions: an open GET stream keeps its session past the idle timeout; an idle one is closed', async (t) => {
  // Generous against a loaded machine: the SDK client opens its GET stream right after initializing.
  const url = await start({ sessionIdleTimeoutMs: 1_000, sweepIntervalMs: 100 });
  const connected = new Client({ name: 'connected', version: '1' });
  const transport = new StreamableHTTPClientTransport(new URL('/mcp', url));
  await connected.connect(transport);
  t.teardown(() => connected.close());
  const idle = await openSession(url);
  // The SDK client opens its GET stream right after initialization; wait for it, then stay quiet.
  await new Promise((r) => setTimeout(r, 3_500));
  const quiet = await connected.listTools().then(
    (r) => r.tools.length,
    (err: Error) => err.message,
  );
  t.equal(quiet, 6, 'the connected client still has its session after 3 idle timeouts');
  const gone = await rpc(url, { jsonrpc: '2.0', id: 9, method: 'tools/list' }, idle.headers);
  t.equal(gone.status, 404, 'a session with no open stream and no traffic was closed');
});

t.test('stateless: no listChanged advertised; notifications/cancelled reaches the running call and its upstream request', async (t) => {
  const url = await start({ stateless: true });
  const init = await rpc(url, initialize());
  t.same((init.messages[0]?.['result'] as { capabilities: unknown }).capabilities, { tools: {} }, 'tools without listChanged: a stateless server cannot notify');
  const hang = sim.fault({ path: '/api/organizations/3', kind: 'hang' });
  t.teardown(() => hang.remove());
  sim.clear();
  const headers = { 'mcp-protocol-version': PROTOCOL };
  const running = rpc(url, { jsonrpc: '2.0', id: 41, method: 'tools/call', params: { name: 'get-organization-settings', arguments: { id: 3 } } }, headers);
  const deadline = Date.now() + 10_000;
  while (sim.requests.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  t.equal(sim.requests.length, 1, 'the upstream call started');
  const started = Date.now();
  const cancel = await rpc(url, { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 41, reason: 'user cancelled' } }, headers);
  t.equal(cancel.status, 202, 'the notification is accepted');
  while (!logs.some((l) => l['msg'] === 'tool call completed' && l['cancelled'] === true) && Date.now() - started < 10_000) await new Promise((r) => setTimeout(r, 10));
  const line = logs.find((l) => l['msg'] === 'tool call completed' && l['cancelled'] === true);
  t.match(line, { tool: 'get-organization-settings', code: 'NGW_ERR_CLIENT_CLOSED_REQUEST' }, 'the upstream request was aborted');
  t.ok(Date.now() - started < 10_000, 'long before the 30 s upstream timeout');
  const answer = await running;
  t.equal(answer.status, 200, 'the call\'s own stream ends');
});

t.test('stateless: the SDK client cancelling a call stops its upstream request', async (t) => {
  const url = await start({ stateless: true });
  const hang = sim.fault({ path: '/api/organizations/2', kind: 'hang' });
  t.teardown(() => hang.remove());
  sim.clear();
  const client = new Client({ name: 'stateless-sdk', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', url)));
  t.teardown(() => client.close());
  const before = logs.length;
  const controller = new AbortController();
  const pending = client.callTool({ name: 'get-organization-settings', arguments: { id: 2 } }, undefined, { signal: controller.signal });
  const deadline = Date.now() + 10_000;
  while (sim.requests.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  t.equal(sim.requests.length, 1, 'the upstream call started');
  const started = Date.now();
  controller.abort('user cancelled');
  await t.rejects(pending, /cancel|abort/i);
  const cancelled = () => logs.slice(before).find((l) => l['msg'] === 'tool call completed' && l['cancelled'] === true);
  while (cancelled() === undefined && Date.now() - started < 10_000) await new Promise((r) => setTimeout(r, 10));
  t.match(cancelled(), { tool: 'get-organization-settings', code: 'NGW_ERR_CLIENT_CLOSED_REQUEST' }, 'the upstream request was aborted');
});

t.test('gateway errors are isError results carrying the problem as structuredContent, for every output shape', async (t) => {
  const url = await start();
  const client = new Client({ name: 'errors', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', url)));
  t.teardown(() => client.close());
  // The SDK client checks structuredContent against the tool's outputSchema, errors included: these calls
  // would throw if the problem did not fit (an object schema, and the {result} wrapper of the list).
  const cases: [string, Record<string, unknown>][] = [
    ['get-organization-settings', { id: 0 }],
    ['list-your-organizations', { ordering: 5 }],
    ['update-member-role', { id: 1, body: { role: 'AN' } }],
  ];
  for (const [name, args] of cases) {
    const result = await client.callTool({ name, arguments: args });
    t.equal(result.isError, true, name);
    t.match(result.structuredContent, { code: 'NGW_ERR_VALIDATION', status: 400, instance: String, errors: Array }, `${name}: the problem as structured content`);
  }
});

t.test('authorization discovery: protected resource metadata, a 401 that names it, keys as bearer tokens', async (t) => {
  const url = await start({
    authenticate: (request) => {
      if (request.headers.authorization !== `Bearer ${AGENT_KEY}`) throw new GatewayError('NGW_ERR_UNAUTHENTICATED', 'a gateway API key is required', { headers: { 'www-authenticate': 'Bearer realm="naftiko-gateway"' } });
      return { id: 'agent', scopes: ['read'] };
    },
  });
  const refused = await rpc(url, initialize());
  t.equal(refused.status, 401);
  const challenge = String(refused.headers['www-authenticate']);
  t.match(challenge, /^Bearer /);
  const metadataUrl = /resource_metadata="([^"]+)"/.exec(challenge)?.[1];
  t.equal(metadataUrl, `${url}/.well-known/oauth-protected-resource/mcp`, 'RFC 9728: the challenge names the metadata');
  for (const path of ['/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-protected-resource']) {
    const res = await request(url + path);
    t.equal(res.statusCode, 200, `${path} needs no key`);
    t.match(await res.body.json(), { resource: `${url}/mcp`, bearer_methods_supported: ['header'], scopes_supported: ['read', 'write'] });
  }
  const client = new Client({ name: 'bearer', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', url), { requestInit: { headers: { authorization: `Bearer ${AGENT_KEY}` } } }));
  t.teardown(() => client.close());
  t.equal((await client.listTools()).tools.length, 6, 'the key works as a bearer token');
});
