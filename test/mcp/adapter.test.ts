/**
 * The MCP adapter in process: the access hook where inbound authentication
 * plugs in (the caller reaches interceptors), list-changed notifications,
 * and the small text rules (descriptions, upstream error text).
 */
import { ToolListChangedNotificationSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import t from 'tap';
import { request } from 'undici';
import { upstreamErrorContent } from '../../src/adapters/mcp/call-tool.js';
import { ConfigError, resolveConfig } from '../../src/settings/index.js';
import type { CallInterceptor, InvokeContext } from '../../src/core/operation.js';
import { GatewayError } from '../../src/core/errors.js';
import { createLogger } from '../../src/ops/logger.js';
import { UpstreamPools } from '../../src/upstream/pools.js';
import { startLabelStudio } from '../fixtures/label-studio/simulator.js';
import { startTestMcpAdapter } from '../helpers/mcp-adapter.js';
import { connectHttp, textOf } from '../helpers/mcp-client.js';

t.test('upstream errors name status and message, then pass the JSON body through', async (t) => {
  const validation = '{"detail":"Validation error","validation_errors":{"title":["blank"]}}';
  const errors: [number, string, string[]][] = [
    [404, '{"id":"x","status_code":404,"detail":"Not found."}', ['upstream answered 404: Not found.', '{"id":"x","status_code":404,"detail":"Not found."}']],
    [400, validation, ['upstream answered 400: Validation error', validation]],
    [422, '{"message":"name is taken","errors":{"name":["taken"]}}', ['upstream answered 422: name is taken', '{"message":"name is taken","errors":{"name":["taken"]}}']],
    [409, '[{"field":"a"}]', ['upstream answered 409', '[{"field":"a"}]']],
    [502, '<html>Bad Gateway</html>', ['upstream answered 502']],
    [500, '', ['upstream answered 500']],
  ];
  for (const [status, body, want] of errors) t.same(upstreamErrorContent(status, body), want);
  const long = upstreamErrorContent(400, JSON.stringify({ detail: 'x'.repeat(10_000) }));
  t.ok(long.every((text) => text.length <= 2_100), 'clipped');
});

t.test('MCP settings: flag > environment > default', async (t) => {
  const none = resolveConfig({}, {});
  t.same([none.mcpStateless, none.mcpAllowedOrigins, none.mcpStdio], [false, [], false]);
  const env = resolveConfig({}, { GATEWAY_MCP_STATELESS: '1', GATEWAY_MCP_ALLOWED_ORIGINS: ' https://a.example/, http://localhost:6274 ,' });
  t.equal(env.mcpStateless, true);
  t.same(env.mcpAllowedOrigins, ['https://a.example', 'http://localhost:6274']);
  const flags = resolveConfig({ mcpStateless: true, mcpAllowedOrigins: 'https://b.example', mcpStdio: true }, { GATEWAY_MCP_STATELESS: '0', GATEWAY_MCP_ALLOWED_ORIGINS: 'https://a.example' });
  t.same([flags.mcpStateless, flags.mcpAllowedOrigins, flags.mcpStdio], [true, ['https://b.example'], true]);
  t.throws(() => resolveConfig({}, { GATEWAY_MCP_STATELESS: 'maybe' }), ConfigError); // every boolean setting reads 1/true/yes/on and 0/false/no/off (test/settings)
});

t.test('the access hook refuses or names the caller; tool list changes are notified', async (t) => {
  const sim = await startLabelStudio();
  t.teardown(() => sim.close());
  const seen: InvokeContext[] = [];
  const recorder: CallInterceptor = { name: 'recorder', appliesTo: () => true, before: (_call, _values, ctx) => void seen.push(ctx) };
  const pools = new UpstreamPools();
  t.teardown(() => pools.close());
  const { adapter, url, capability } = await startTestMcpAdapter(sim, pools, {
    logger: createLogger('silent'),
    interceptors: [recorder],
    upstreamTimeoutMs: 5_000,
    authenticate: (request) => {
      if (request.headers['x-api-key'] !== 'agent-key') throw new GatewayError('NGW_ERR_UNAUTHENTICATED', 'an API key is required');
      return { id: 'agent-1', scopes: ['read'] };
    },
  });
  t.teardown(() => adapter.close());

  const refused = await request(`${url}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{}' });
  t.equal(refused.statusCode, 401);
  t.match(await refused.body.json(), { code: 'NGW_ERR_UNAUTHENTICATED' });
  t.equal((await request(`${url}/healthz`)).statusCode, 200, '/healthz needs no key');

  const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
  const { StreamableHTTPClientTransport } = await import('@modelcontextprotocol/sdk/client/streamableHttp.js');
  const client = new Client({ name: 'agent', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', url), { requestInit: { headers: { 'x-api-key': 'agent-key', 'x-request-id': 'agent-req-7' } } }));
  t.teardown(() => client.close());
  const result = (await client.callTool({ name: 'get-organization-settings', arguments: { id: 1 } })) as CallToolResult;
  t.notOk(result.isError, textOf(result));
  t.equal(seen.length, 1);
  t.same(seen[0]?.caller, { id: 'agent-1', scopes: ['read'] }, 'caller reaches the interceptors');
  t.equal(seen[0]?.adapter, 'mcp');
  t.equal(seen[0]?.requestId, 'agent-req-7', 'request id taken from the HTTP request');
  t.equal(seen[0]?.headers?.['x-api-key'], 'agent-key', 'inbound headers available to interceptors');
  t.equal(sim.requests[0]?.headers['x-request-id'], 'agent-req-7');

  const changed = new Promise<void>((resolve) => client.setNotificationHandler(ToolListChangedNotificationSchema, () => resolve()));
  // The standalone SSE stream (GET) carries server-initiated notifications; give the client a moment to open it.
  const { client: probe } = await connectHttp(url).catch(() => ({ client: undefined }));
  t.equal(probe, undefined, 'a client without the key cannot connect');
  await new Promise((r) => setTimeout(r, 200));
  adapter.replaceTools({ ...capability.mcp[0]!, tools: capability.mcp[0]!.tools.slice(0, 2) });
  await changed;
  t.equal((await client.listTools()).tools.length, 2, 'the new tool list is served');
});
