/**
 * The compiled `tools/call` path (src/adapters/mcp/fast-call.ts, reached through the node:http
 * front raw-front.ts, or through fastify when a request has an Origin) answers exactly as the
 * MCP SDK's transport does. A call whose params carry an (empty) `_meta` is the same call to the SDK, but the
 * fast path declines it: so each case is asked both ways on one session and the answers compared —
 * status, headers, the SSE event byte for byte, and the log line. The SDK streams an answer it
 * cannot produce at once (chunked); the fast path writes it whole (Content-Length): that framing
 * difference is what shows each case really took both paths.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import { request } from 'undici';
import { startGatewayProcess } from '../helpers/gateway-process.js';

const PROTOCOL = '2025-06-18';
const ORGANIZATION = '{"id":1,"title":"Café \\"Acme\\"","created_at":"2024-02-16T15:44:07.123456Z","token":"t0k"}';

interface Answer {
  readonly status: number;
  readonly body: string;
  readonly headers: Record<string, string>;
}

const UPSTREAM: Record<string, Answer> = {
  'GET /api/organizations/1': { status: 200, body: ORGANIZATION, headers: { 'content-type': 'application/json' } },
  'GET /api/organizations/2': { status: 404, body: '{"detail":"Not found."}', headers: { 'content-type': 'application/json' } },
  'GET /api/organizations/3': { status: 503, body: '<html>nginx</html>', headers: { 'content-type': 'text/html' } },
  'GET /api/organizations/4': { status: 200, body: 'not json', headers: { 'content-type': 'text/plain' } },
  // Not in JSON.stringify's form (spaces, escapes it does not write, a number it writes otherwise): parsed and serialized again.
  'GET /api/organizations/6': { status: 200, body: '{\n  "id": 6,\n  "title": "Caf\\u00e9 \\/ B",\n  "score": 1.50,\n  "2": "index key"\n}', headers: { 'content-type': 'application/json' } },
  // In that form, escapes and astral characters included: used as the structured content's text as is.
  'GET /api/organizations/7': { status: 200, body: '{"id":7,"title":"😀 \\u0001 \\"q\\" \\\\ \\n","ratio":0.25,"tags":["a",null,true]}', headers: { 'content-type': 'application/json' } },
  'GET /api/organizations/5': { status: 400, body: '{"validation_errors":{"id":["bad"]}}', headers: { 'content-type': 'application/json' } },
  'GET /api/organizations/': { status: 200, body: `[${ORGANIZATION},{"id":2,"title":"B"}]`, headers: { 'content-type': 'application/json' } },
  'PATCH /api/organizations/1': { status: 200, body: ORGANIZATION, headers: { 'content-type': 'application/json' } },
};

/** The framing (chunked or Content-Length) and the date are how, and when, not what. */
const FRAMING = new Set(['date', 'content-length', 'transfer-encoding']);

function stable(headers: Record<string, string | string[] | undefined>): Record<string, string | string[] | undefined> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !FRAMING.has(name)));
}

t.test('the fast path and the SDK answer tools/call alike', async (t) => {
  const seen: string[] = [];
  /** Requests the upstream is holding (the id 9 organization never answers): for the cancellation case. */
  const held: ServerResponse[] = [];
  let heldClosed = 0;
  const upstream = createServer((req: IncomingMessage, res: ServerResponse) => {
    const key = `${req.method} ${req.url ?? ''}`;
    seen.push(key);
    req.resume();
    if (key === 'GET /api/organizations/9') {
      held.push(res);
      res.on('close', () => heldClosed++);
      return;
    }
    const answer = UPSTREAM[key] ?? { status: 404, body: '{}', headers: { 'content-type': 'application/json' } };
    res.writeHead(answer.status, { ...answer.headers, 'content-length': String(Buffer.byteLength(answer.body)) });
    res.end(answer.body);
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    for (const res of held) res.destroy();
    return new Promise<void>((resolve) => upstream.close(() => resolve()));
  });
  const url = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  const gw = await startGatewayProcess({ capability: 'capability.yaml', env: { LABEL_STUDIO_API_KEY: 'k', GATEWAY_LEDGER: 'off' }, args: ['--base-uri', url, '--upstream-retries', '0'] });
  t.teardown(() => gw.stop());

  const endpoint = `${gw.mcpUrl}/mcp`;
  const base = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  const init = await request(endpoint, {
    method: 'POST',
    headers: base,
    body: JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: PROTOCOL, capabilities: {}, clientInfo: { name: 'fast-call-test', version: '1' } } }),
  });
  await init.body.dump();
  const session = init.headers['mcp-session-id'];
  t.type(session, 'string', 'a session is open');
  const headers = { ...base, 'mcp-session-id': session as string, 'mcp-protocol-version': PROTOCOL };
  const initialized = await request(endpoint, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) });
  await initialized.body.dump();

  let nextId = 1;
  async function callTool(tag: string, params: Record<string, unknown>, extra: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string; id: number }> {
    const id = nextId++;
    const res = await request(endpoint, { method: 'POST', headers: { ...headers, 'x-request-id': tag, ...extra }, body: JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params }) });
    return { status: res.statusCode, headers: res.headers, body: await res.body.text(), id };
  }

  const cases: [string, string, Record<string, unknown> | undefined][] = [
    ['organization', 'get-organization-settings', { id: 1 }],
    ['upstream 404', 'get-organization-settings', { id: 2 }],
    ['upstream 503 html', 'get-organization-settings', { id: 3 }],
    ['not JSON', 'get-organization-settings', { id: 4 }],
    ['field errors', 'get-organization-settings', { id: 5 }],
    ['pretty JSON', 'get-organization-settings', { id: 6 }],
    ['canonical JSON with escapes', 'get-organization-settings', { id: 7 }],
    ['invalid argument', 'get-organization-settings', { id: 'abc' }],
    ['missing argument', 'get-organization-settings', {}],
    ['no arguments', 'get-organization-settings', undefined],
    ['undeclared argument', 'get-organization-settings', { id: 1, extra: true }],
    ['list', 'list-your-organizations', { ordering: 'title' }],
    ['PATCH', 'update-organization', { id: 1, body: { title: 'Acme' } }],
  ];
  for (const [label, name, args] of cases) {
    const params = args === undefined ? { name } : { name, arguments: args };
    const tag = label.replace(/\W/g, '');
    const fast = await callTool(`fast-${tag}`, params);
    const slow = await callTool(`slow-${tag}`, { ...params, _meta: {} });
    t.equal(fast.status, 200, `${label}: 200`);
    t.equal(fast.status, slow.status, `${label}: status`);
    t.same(stable(fast.headers), stable(slow.headers), `${label}: headers`);
    t.equal(fast.headers['mcp-session-id'], session, `${label}: the session id is echoed`);
    t.equal(fast.headers['content-type'], 'text/event-stream', `${label}: an SSE answer`);
    t.ok(fast.headers['content-length'] !== undefined, `${label}: written whole`);
    // An answer that needs the upstream is streamed by the SDK; one it has at once (a refused argument) it writes whole too.
    if (!label.includes('argument')) t.equal(slow.headers['transfer-encoding'], 'chunked', `${label}: the SDK streamed it (so each path answered)`);
    const expected = slow.body.replaceAll(`slow-${tag}`, `fast-${tag}`).replace(`"id":${slow.id}}`, `"id":${fast.id}}`);
    t.equal(fast.body, expected, `${label}: the same event, byte for byte`);
    t.match(fast.body, /^event: message\ndata: \{"result":\{.*\},"jsonrpc":"2\.0","id":\d+\}\n\n$/s, `${label}: one message event`);
    const organization = typeof args?.['id'] === 'number' ? UPSTREAM[`GET /api/organizations/${args['id']}`] : undefined;
    if (label === 'pretty JSON') t.ok(fast.body.includes('"structuredContent":{"2":"index key","id":6,"title":"Café / B","score":1.5}}'), `${label}: serialized as JSON.stringify writes it`);
    if (label === 'canonical JSON with escapes') t.ok(fast.body.includes(`"structuredContent":${organization?.body ?? '?'}}`), `${label}: the upstream's text as is`);
  }
  t.notOk(seen.some((s) => s.includes('abc') || s.includes('extra')), 'invalid arguments reach the upstream by neither path');

  for (const tag of ['organization', 'upstream404', 'invalidargument', 'list']) {
    const fastLine = await gw.waitForLog((l) => l['msg'] === 'tool call completed' && l['reqId'] === `fast-${tag}`);
    const slowLine = await gw.waitForLog((l) => l['msg'] === 'tool call completed' && l['reqId'] === `slow-${tag}`);
    t.ok(fastLine !== undefined && slowLine !== undefined, `${tag}: both paths log the call`);
    const { durationMs: _f, time: _tf, reqId: _rf, ...fastRest } = fastLine ?? {};
    const { durationMs: _s, time: _ts, reqId: _rs, ...slowRest } = slowLine ?? {};
    t.same(Object.keys(fastLine ?? {}), Object.keys(slowLine ?? {}), `${tag}: the same fields in the same order`);
    t.same(fastRest, slowRest, `${tag}: the same values`);
  }

  // What the fast path declines goes to the SDK, which answers the protocol errors.
  const unknown = await callTool('unknown', { name: 'no-such-tool', arguments: {} });
  t.match(unknown.body, /"error":\{"code":-32602,"message":"unknown tool \\"no-such-tool\\""/, 'an unknown tool is a -32602 from the SDK path');
  const badName = await callTool('bad-name', { name: 7 });
  t.match(badName.body, /"code":-32602/, 'a malformed name is a -32602');
  const noAccept = await request(endpoint, { method: 'POST', headers: { ...headers, accept: 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 900, method: 'tools/call', params: { name: 'get-organization-settings', arguments: { id: 1 } } }) });
  t.equal(noAccept.statusCode, 406, 'an Accept without text/event-stream is refused as the SDK refuses it');
  await noAccept.body.dump();
  const badVersion = await request(endpoint, { method: 'POST', headers: { ...headers, 'mcp-protocol-version': '1999-01-01' }, body: JSON.stringify({ jsonrpc: '2.0', id: 901, method: 'tools/call', params: { name: 'get-organization-settings', arguments: { id: 1 } } }) });
  t.equal(badVersion.statusCode, 400, 'an unsupported protocol version is refused');
  await badVersion.body.dump();

  // Bodies the node:http front reads but does not serve reach fastify as if it had read them.
  const broken = await request(endpoint, { method: 'POST', headers, body: '{"jsonrpc":"2.0",' });
  t.equal(broken.statusCode, 400, 'a session POST that is not JSON is a parse error');
  t.match(await broken.body.json(), { error: { code: -32700 } });
  const ping = await request(endpoint, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', id: 950, method: 'ping' }) });
  t.equal(ping.statusCode, 200);
  t.match(await ping.body.text(), /"result":\{\},"jsonrpc":"2\.0","id":950/, 'a ping on the session is answered by the SDK');
  const before = seen.length;
  const poisoned = await request(endpoint, { method: 'POST', headers, body: '{"jsonrpc":"2.0","id":951,"method":"tools/call","params":{"name":"get-organization-settings","arguments":{"id":1,"__proto__":{"x":1}}}}' });
  t.equal(poisoned.statusCode, 400, 'a poisoned body is refused, as fastify refuses it');
  await poisoned.body.dump();
  t.equal(seen.length, before, 'and nothing is sent upstream');

  // With an Origin (a browser page) the call takes fastify's routing and CORS, then the same compiled call.
  const origin = gw.mcpUrl;
  const viaFastify = await callTool('fast-origin', { name: 'get-organization-settings', arguments: { id: 1 } }, { origin });
  const viaSdk = await callTool('slow-origin', { name: 'get-organization-settings', arguments: { id: 1 }, _meta: {} }, { origin });
  t.equal(viaFastify.headers['access-control-allow-origin'], origin, 'CORS headers are set');
  t.same(stable(viaFastify.headers), stable(viaSdk.headers), 'with an Origin: the same headers');
  t.ok(viaFastify.headers['content-length'] !== undefined && viaSdk.headers['transfer-encoding'] === 'chunked', 'each path answered');
  t.equal(viaFastify.body, viaSdk.body.replaceAll('slow-origin', 'fast-origin').replace(`"id":${viaSdk.id}}`, `"id":${viaFastify.id}}`), 'with an Origin: the same event');

  t.test('a cancelled fast call stops its upstream request and ends its stream without an answer', async (t) => {
    const pending = request(endpoint, { method: 'POST', headers: { ...headers, 'x-request-id': 'fast-cancelled' }, body: JSON.stringify({ jsonrpc: '2.0', id: 777, method: 'tools/call', params: { name: 'get-organization-settings', arguments: { id: 9 } } }) });
    const deadline = Date.now() + 30_000;
    while (held.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    t.equal(held.length, 1, 'the call reached the upstream');
    const cancel = await request(endpoint, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 777, reason: 'user stop' } }) });
    t.equal(cancel.statusCode, 202, 'the notification is accepted');
    await cancel.body.dump();
    const res = await pending;
    t.equal(res.statusCode, 200);
    t.equal(await res.body.text(), '', 'no answer to a cancelled request');
    const line = await gw.waitForLog((l) => l['reqId'] === 'fast-cancelled' && l['msg'] === 'tool call completed');
    t.equal(line['cancelled'], true, 'logged as cancelled');
    while (heldClosed === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    t.equal(heldClosed, 1, 'the upstream request was aborted');
  });

  t.test('closing the session ends its running fast calls', async (t) => {
    const before = held.length;
    const pending = request(endpoint, { method: 'POST', headers: { ...headers, 'x-request-id': 'fast-orphan' }, body: JSON.stringify({ jsonrpc: '2.0', id: 778, method: 'tools/call', params: { name: 'get-organization-settings', arguments: { id: 9 } } }) });
    const deadline = Date.now() + 30_000;
    while (held.length === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const { 'content-type': _type, ...deleteHeaders } = headers;
    const closed = await request(endpoint, { method: 'DELETE', headers: deleteHeaders });
    t.equal(closed.statusCode, 200, 'the session is deleted');
    await closed.body.dump();
    const res = await pending;
    t.equal(await res.body.text(), '', 'the running call gets no answer, and its stream ends');
    const after = await request(endpoint, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', id: 779, method: 'tools/call', params: { name: 'get-organization-settings', arguments: { id: 1 } } }) });
    t.equal(after.statusCode, 404, 'the closed session is gone');
    await after.body.dump();
  });

  t.test('stateless: the same answers without a session, and cancellation reaches a fast call', async (t) => {
    const sgw = await startGatewayProcess({ capability: 'capability.yaml', env: { LABEL_STUDIO_API_KEY: 'k', GATEWAY_LEDGER: 'off', GATEWAY_MCP_STATELESS: '1' }, args: ['--base-uri', url, '--upstream-retries', '0'] });
    t.teardown(() => sgw.stop());
    const at = `${sgw.mcpUrl}/mcp`;
    const plain = { ...base, 'mcp-protocol-version': PROTOCOL };
    const ask = async (id: number, params: Record<string, unknown>, tag: string) => {
      const res = await request(at, { method: 'POST', headers: { ...plain, 'x-request-id': tag }, body: JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params }) });
      return { status: res.statusCode, headers: res.headers, body: await res.body.text() };
    };
    for (const [label, args] of [['organization', { id: 1 }], ['upstream 404', { id: 2 }], ['invalid argument', { id: 'abc' }]] as const) {
      const fast = await ask(1, { name: 'get-organization-settings', arguments: args }, 'fast-stateless');
      const slow = await ask(1, { name: 'get-organization-settings', arguments: args, _meta: {} }, 'slow-stateless');
      t.equal(fast.status, slow.status, `${label}: status`);
      t.same(stable(fast.headers), stable(slow.headers), `${label}: headers`);
      t.equal(fast.headers['mcp-session-id'], undefined, `${label}: no session id`);
      t.equal(fast.body, slow.body.replaceAll('slow-stateless', 'fast-stateless'), `${label}: the same event`);
      if (label !== 'invalid argument') t.equal(slow.headers['transfer-encoding'], 'chunked', `${label}: the SDK streamed it (so each path answered)`);
    }
    const before = held.length;
    const closedBefore = heldClosed;
    const pending = request(at, { method: 'POST', headers: { ...plain, 'x-request-id': 'fast-stateless-cancelled' }, body: JSON.stringify({ jsonrpc: '2.0', id: 'call-9', method: 'tools/call', params: { name: 'get-organization-settings', arguments: { id: 9 } } }) });
    const deadline = Date.now() + 30_000;
    while (held.length === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const cancel = await request(at, { method: 'POST', headers: plain, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'call-9' } }) });
    t.equal(cancel.statusCode, 202);
    await cancel.body.dump();
    const res = await pending;
    t.equal(await res.body.text(), '', 'no answer to the cancelled call');
    while (heldClosed === closedBefore && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    t.equal(heldClosed, closedBefore + 1, 'its upstream request was aborted');
  });

  /** openSession initializes a session on `at` and returns the headers of its calls. */
  async function openSession(at: string, extra: Record<string, string> = {}): Promise<Record<string, string>> {
    const opened = await request(at, {
      method: 'POST',
      headers: { ...base, ...extra },
      body: JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: PROTOCOL, capabilities: {}, clientInfo: { name: 'fast-call-test', version: '1' } } }),
    });
    await opened.body.dump();
    const id = opened.headers['mcp-session-id'];
    if (opened.statusCode !== 200 || typeof id !== 'string') throw new Error(`initialize on ${at} answered ${opened.statusCode}`);
    const sessionHeaders = { ...base, ...extra, 'mcp-session-id': id, 'mcp-protocol-version': PROTOCOL };
    await (await request(at, { method: 'POST', headers: sessionHeaders, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) })).body.dump();
    return sessionHeaders;
  }

  /** askBothWays sends a call as is (fast path) and with `_meta` (SDK path); the answers must match. */
  async function askBothWays(t: Test, at: string, sessionHeaders: Record<string, string>, label: string, params: Record<string, unknown>, upstreamCalled = true): Promise<string> {
    const tag = label.replace(/\W/g, '');
    const ask = async (variant: string, p: Record<string, unknown>) => {
      const res = await request(at, { method: 'POST', headers: { ...sessionHeaders, 'x-request-id': `${variant}-${tag}` }, body: JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'tools/call', params: p }) });
      return { status: res.statusCode, headers: res.headers, body: await res.body.text() };
    };
    const fast = await ask('fast', params);
    const slow = await ask('slow', { ...params, _meta: {} });
    t.equal(fast.status, slow.status, `${label}: status`);
    t.same(stable(fast.headers), stable(slow.headers), `${label}: headers`);
    t.ok(fast.headers['content-length'] !== undefined, `${label}: written whole`);
    // An answer the SDK has at once (no upstream call) it writes whole too.
    if (upstreamCalled) t.equal(slow.headers['transfer-encoding'], 'chunked', `${label}: the SDK streamed it (so each path answered)`);
    t.equal(fast.body, slow.body.replaceAll(`slow-${tag}`, `fast-${tag}`), `${label}: the same event`);
    return fast.body;
  }

  t.test('inbound keys: keyed calls take the fast path, with the same answers and log lines', async (t) => {
    const digest = (key: string): string => createHash('sha256').update(key).digest('hex');
    const kgw = await startGatewayProcess({
      capability: 'capability.yaml',
      env: { LABEL_STUDIO_API_KEY: 'k', GATEWAY_LEDGER: 'off', GATEWAY_API_KEYS: `reader:${digest('reader-key-0123456789')}:read;writer:${digest('writer-key-0123456789')}:read,write` },
      args: ['--base-uri', url, '--upstream-retries', '0'],
    });
    t.teardown(() => kgw.stop());
    const at = `${kgw.mcpUrl}/mcp`;
    const reader = await openSession(at, { authorization: 'Bearer reader-key-0123456789' });
    const body = await askBothWays(t, at, reader, 'keyed organization', { name: 'get-organization-settings', arguments: { id: 1 } });
    t.ok(body.includes('"structuredContent":{"id":1'), 'the organization');
    const denied = await askBothWays(t, at, reader, 'keyed scope denied', { name: 'update-organization', arguments: { id: 1, body: { title: 'Acme' } } }, false);
    t.match(denied, /"isError":true/, 'a read key calling a write tool gets an error result');
    for (const tag of ['keyedorganization', 'keyedscopedenied']) {
      const fastLine = await kgw.waitForLog((l) => l['msg'] === 'tool call completed' && l['reqId'] === `fast-${tag}`);
      const slowLine = await kgw.waitForLog((l) => l['msg'] === 'tool call completed' && l['reqId'] === `slow-${tag}`);
      t.equal(fastLine['keyId'], 'reader', `${tag}: the key is named`);
      const { durationMs: _f, time: _tf, reqId: _rf, ...fastRest } = fastLine;
      const { durationMs: _s, time: _ts, reqId: _rs, ...slowRest } = slowLine;
      t.same(fastRest, slowRest, `${tag}: the same log line`);
    }
    const call = JSON.stringify({ jsonrpc: '2.0', id: 6, method: 'tools/call', params: { name: 'get-organization-settings', arguments: { id: 1 } } });
    const wrong = await request(at, { method: 'POST', headers: { ...reader, authorization: 'Bearer not-a-key-0123456789' }, body: call });
    t.equal(wrong.statusCode, 401, 'a wrong key is refused by the access hook');
    t.match(wrong.headers['www-authenticate'], /resource_metadata/);
    await wrong.body.dump();
    const { authorization: _a, ...keyless } = reader;
    const none = await request(at, { method: 'POST', headers: keyless, body: call });
    t.equal(none.statusCode, 401, 'no key is refused');
    await none.body.dump();
  });

  t.test('a capability set: /mcp/<capability> calls take the fast path, and a session stays on its endpoint', async (t) => {
    const fgw = await startGatewayProcess({ capability: 'examples/label-studio', env: { LABEL_STUDIO_API_KEY: 'k', GATEWAY_LEDGER: 'off' }, args: ['--base-uri', url, '--upstream-retries', '0'] });
    t.teardown(() => fgw.stop());
    const at = `${fgw.mcpUrl}/mcp/organizations`;
    const own = await openSession(at);
    const body = await askBothWays(t, at, own, 'scoped organization', { name: 'get-organization-settings', arguments: { id: 1 } });
    t.ok(body.includes('"structuredContent":{"id":1'), 'the organization');
    const call = JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'get-organization-settings', arguments: { id: 1 } } });
    const elsewhere = await request(`${fgw.mcpUrl}/mcp/users`, { method: 'POST', headers: own, body: call });
    t.equal(elsewhere.statusCode, 404, "the session is not found on another capability's endpoint");
    await elsewhere.body.dump();
    const unknown = await request(`${fgw.mcpUrl}/mcp/no-such-capability`, { method: 'POST', headers: own, body: call });
    t.equal(unknown.statusCode, 404, 'an unknown capability is a 404');
    t.match(await unknown.body.text(), /no capability named/);
    const shared = await openSession(`${fgw.mcpUrl}/mcp`);
    await askBothWays(t, `${fgw.mcpUrl}/mcp`, shared, 'shared endpoint', { name: 'organizations.get-organization-settings', arguments: { id: 1 } });
  });
});
