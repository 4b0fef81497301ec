/**
 * A folder of capabilities (examples/label-studio) served by one gateway in
 * front of the Label Studio simulator: one REST listener and one MCP endpoint
 * for every capability, each route forwarded exactly, one connection pool and
 * one refresh-token exchange for the shared upstream.
 */
import t from 'tap';
import { startLabelStudio, type LabelStudioSimulator } from '../fixtures/label-studio/simulator.js';
import { sendJson, type HttpMethod } from '../helpers/http.js';
import { startInProcess, type InProcessGateway } from '../helpers/in-process.js';
import { connectMcp, EXAMPLE_FAMILY } from './helpers.js';

let sim: LabelStudioSimulator;
let gw: InProcessGateway;
let pat: string;
t.before(async () => {
  sim = await startLabelStudio();
  pat = sim.issuePat();
  gw = await startInProcess(EXAMPLE_FAMILY, { LABEL_STUDIO_API_KEY: pat }, sim.url);
});
t.teardown(async () => {
  await gw?.gateway.close();
  await sim?.close();
});

/** Every REST route of the four capabilities, and exactly what must reach Label Studio. */
const ROUTES: readonly { method: HttpMethod; path: string; body?: unknown; status: number; upstream: string; sent?: unknown }[] = [
  { method: 'GET', path: '/v1/api/organizations', status: 200, upstream: 'GET /api/organizations/' },
  { method: 'GET', path: '/v1/api/organizations/1', status: 200, upstream: 'GET /api/organizations/1' },
  { method: 'PATCH', path: '/v1/api/organizations/2', body: { title: 'Research' }, status: 200, upstream: 'PATCH /api/organizations/2', sent: { title: 'Research' } },
  { method: 'PATCH', path: '/v1/api/organizations/1/set-default-role', body: { default_role: 'RE' }, status: 200, upstream: 'PATCH /api/organizations/1/set-default-role', sent: { default_role: 'RE' } },
  { method: 'PATCH', path: '/v1/api/organizations/1/memberships', body: { user_id: 14, role: 'RE' }, status: 200, upstream: 'PATCH /api/organizations/1/memberships', sent: { user_id: 14, role: 'RE' } },
  { method: 'POST', path: '/v1/api/invite/reset-token', status: 201, upstream: 'POST /api/invite/reset-token' },
  { method: 'GET', path: '/v1/api/projects?page_size=1&page=2', status: 200, upstream: 'GET /api/projects/?page=2&page_size=1' },
  { method: 'POST', path: '/v1/api/projects', body: { title: 'Receipts' }, status: 201, upstream: 'POST /api/projects/', sent: { title: 'Receipts' } },
  { method: 'GET', path: '/v1/api/projects/1', status: 200, upstream: 'GET /api/projects/1/' },
  { method: 'PATCH', path: '/v1/api/projects/2', body: { is_published: true }, status: 200, upstream: 'PATCH /api/projects/2/', sent: { is_published: true } },
  { method: 'GET', path: '/v1/api/tasks?project=1', status: 200, upstream: 'GET /api/tasks/?project=1' },
  { method: 'POST', path: '/v1/api/tasks', body: { data: { text: 'Invoice 4' }, project: 1 }, status: 201, upstream: 'POST /api/tasks/', sent: { data: { text: 'Invoice 4' }, project: 1 } },
  { method: 'GET', path: '/v1/api/tasks/2', status: 200, upstream: 'GET /api/tasks/2/' },
  { method: 'PATCH', path: '/v1/api/tasks/2', body: { is_labeled: true }, status: 200, upstream: 'PATCH /api/tasks/2/', sent: { is_labeled: true } },
  { method: 'DELETE', path: '/v1/api/tasks/3', status: 204, upstream: 'DELETE /api/tasks/3/' },
  { method: 'GET', path: '/v1/api/users', status: 200, upstream: 'GET /api/users/' },
  { method: 'GET', path: '/v1/api/users/11', status: 200, upstream: 'GET /api/users/11/' },
  { method: 'PATCH', path: '/v1/api/users/10', body: { first_name: 'Liv' }, status: 200, upstream: 'PATCH /api/users/10/', sent: { first_name: 'Liv' } },
  { method: 'GET', path: '/v1/api/current-user/whoami', status: 200, upstream: 'GET /api/current-user/whoami/' },
  { method: 'DELETE', path: '/v1/api/projects/2', status: 204, upstream: 'DELETE /api/projects/2/' },
];

t.test('every route of every capability is served on the one REST listener and forwarded exactly', async (t) => {
  t.equal(gw.gateway.restServers.length, 1, 'four capabilities declaring port 8080 share one listener');
  t.equal(gw.gateway.capabilitySet.members.length, 4);
  t.equal(gw.gateway.capability.rest[0]?.routes.length, ROUTES.length, 'the table covers every route');
  for (const route of ROUTES) {
    sim.clear();
    const reply = await sendJson(gw.url, route.method, route.path, route.body);
    t.equal(reply.status, route.status, `${route.method} ${route.path}: have ${reply.status}, want ${route.status}`);
    const forwarded = sim.requests.filter((r) => !r.path.startsWith('/api/token/'));
    t.equal(forwarded.length, 1, `${route.method} ${route.path}: one upstream call`);
    t.equal(`${forwarded[0]?.method} ${forwarded[0]?.url}`, route.upstream, `${route.method} ${route.path} forwarded exactly`);
    if (route.sent !== undefined) t.same(forwarded[0]?.json, route.sent, `${route.method} ${route.path}: body forwarded`);
    t.match(String(forwarded[0]?.headers.authorization), /^Bearer /, 'the shared credential is injected');
  }
  const page = await sendJson(gw.url, 'GET', '/v1/api/projects?page_size=1');
  t.match(page.json, { count: Number, next: /\/api\/projects\/\?page_size=1&page=2$/, previous: null, results: [{ id: 1 }] }, 'the upstream pagination passes through');
});

t.test('one connection pool and one refresh-token exchange for the upstream all four capabilities name', async (t) => {
  // A gateway of its own, so the simulator sees its first connection and its first token exchange.
  const fresh = await startInProcess(EXAMPLE_FAMILY, { LABEL_STUDIO_API_KEY: sim.issuePat() }, sim.url);
  t.teardown(() => fresh.gateway.close());
  t.equal(fresh.gateway.capability.upstreams.length, 1, 'one shared upstream object for four capabilities');
  sim.clear();
  // One call at a time: one pool reuses its one keep-alive connection for the calls of every capability.
  for (const path of ['/v1/api/organizations/1', '/v1/api/projects/1', '/v1/api/tasks/1', '/v1/api/users/10', '/v1/api/organizations/1', '/v1/api/projects/1']) {
    t.equal((await sendJson(fresh.url, 'GET', path)).status, 200, path);
  }
  t.equal(sim.refreshCount, 1, `one refresh-token exchange for four capabilities (have ${sim.refreshCount})`);
  // undici may open a second socket while the exchange's socket is being released; a pool per capability would need four.
  const opened = sim.connectionCount;
  t.ok(opened >= 1 && opened <= 2, `one pool: ${opened} connection(s) for the exchange and six calls across four capabilities`);
  for (const path of ['/v1/api/users', '/v1/api/tasks/2', '/v1/api/projects/1', '/v1/api/organizations/2']) {
    t.equal((await sendJson(fresh.url, 'GET', path)).status, 200, path);
  }
  t.equal(sim.connectionCount, opened, 'later calls of every capability reuse the same pooled connections');
  const ready = await sendJson(fresh.url, 'GET', '/readyz');
  t.equal(ready.status, 200);
  t.equal(JSON.stringify(ready.json).match(/label-studio-/g)?.length ?? 0, 1, 'one breaker, named once in /readyz');
});

t.test('one MCP endpoint with <capability>.<tool> names, and each capability on /mcp/<capability>', async (t) => {
  const mcpUrl = gw.gateway.mcpUrl as string;
  t.equal(gw.gateway.mcpAdapters.length, 1, 'one MCP listener for port 9090');
  const shared = await connectMcp(`${mcpUrl}/mcp`);
  t.teardown(() => shared.close());
  const names = (await shared.listTools()).tools.map((tool) => tool.name);
  t.equal(names.filter((n) => n !== 'list-role-changes').length, 20, 'all 20 tools on the shared endpoint');
  t.ok(names.includes('projects.list-projects') && names.includes('organizations.get-organization-settings') && names.includes('users.whoami'), 'prefixed by capability');
  for (const name of names) t.match(name, /^[A-Za-z0-9_.-]{1,64}$/, `${name} is a valid MCP tool name`);
  const result = await shared.callTool({ name: 'tasks.get-task', arguments: { id: 1 } });
  t.notOk(result.isError, 'tasks.get-task answers');
  // No output schema is declared for a task, so the tool wraps it as {result} (docs/mcp.md).
  t.match(result.structuredContent, { result: { id: 1, project: 1 } });

  const projects = await connectMcp(`${mcpUrl}/mcp/projects`);
  t.teardown(() => projects.close());
  const own = (await projects.listTools()).tools.map((tool) => tool.name).sort();
  t.same(own, ['create-project', 'delete-project', 'get-project', 'list-projects', 'update-project'], 'original names, this capability only');
  const listed = await projects.callTool({ name: 'list-projects', arguments: { page_size: 1 } });
  t.match(listed.structuredContent, { count: Number, results: [{ id: 1 }] });
  const unknown = await projects.callTool({ name: 'get-task', arguments: { id: 1 } }).catch((err: unknown) => err);
  t.match(String(unknown), /unknown tool/, "another capability's tool is not on this endpoint");
  const missing = await fetch(`${mcpUrl}/mcp/nope`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{}' });
  t.equal(missing.status, 404, 'an unknown capability endpoint is 404');
  t.match(missing.headers.get('content-type'), /application\/problem\+json/);
});

t.test('logs and metrics carry the capability of each call', async (t) => {
  const before = gw.logs.length;
  await sendJson(gw.url, 'PATCH', '/v1/api/tasks/1', { is_labeled: true });
  const lines = gw.logs.slice(before).map((l) => JSON.parse(l) as Record<string, unknown>);
  t.ok(lines.some((l) => l['msg'] === 'request completed' && l['capability'] === 'tasks'), 'the request line names the capability');
  t.ok(lines.some((l) => l['audit'] === true && l['capability'] === 'tasks'), 'the audit line names the capability');
  const metrics = (await sendJson(gw.url, 'GET', '/metrics')).text;
  t.match(metrics, /naftiko_gateway_http_requests_total\{capability="tasks",operation="updateTask",status="200"\} [1-9]/, 'request metrics carry a capability label');
  t.match(metrics, /naftiko_gateway_upstream_request_duration_seconds_count\{upstream="label-studio-subpackage-organizations",capability="tasks",operation="label-studio-tasks\.update",status="200"\} [1-9]/, 'and so do upstream metrics (the shared upstream keeps the first capability\'s namespace)');
});
