/**
 * End to end: the real gateway process on the real capability.yaml, in front
 * of the Label Studio simulator, over real sockets.
 */
import t from 'tap';
import { request } from 'undici';
import { startLabelStudio, type LabelStudioSimulator } from '../fixtures/label-studio/simulator.js';
import { startGatewayProcess, type GatewayProcess } from '../helpers/gateway-process.js';
import { sendJson, type HttpMethod } from '../helpers/http.js';

const CLIENT_TOKEN = 'client-supplied-token-must-not-travel';

let sim: LabelStudioSimulator;
let gw: GatewayProcess;

t.before(async () => {
  sim = await startLabelStudio();
  gw = await startGatewayProcess({
    capability: 'capability.yaml',
    env: { LABEL_STUDIO_API_KEY: sim.legacyToken, GATEWAY_BASE_URI: sim.url },
  });
});

t.teardown(async () => {
  await gw?.stop();
  await sim?.close();
});

t.beforeEach(() => {
  sim.clear();
  sim.clearFaults();
});

/** direct asks the simulator itself, as the reference for what the gateway should return. */
async function direct(path: string): Promise<unknown> {
  const res = await request(sim.url + path, { headers: { authorization: `Token ${sim.legacyToken}` } });
  return res.body.json();
}

function call(method: HttpMethod, path: string, body?: unknown, headers: Record<string, string> = {}) {
  return sendJson(gw.url, method, path, body, headers);
}

t.test('GET /v1/api/organizations/{id} forwards with Token auth and identity mapping', async (t) => {
  const res = await call('GET', '/v1/api/organizations/1', undefined, { authorization: `Bearer ${CLIENT_TOKEN}`, 'x-request-id': 'test-req-1' });
  t.equal(res.status, 200);
  t.match(res.headers['content-type'], /application\/json/);
  t.equal(res.headers['x-request-id'], 'test-req-1');
  t.equal(sim.requests.length, 1);
  const seen = sim.requests[0]!;
  t.same(res.json, await direct('/api/organizations/1'), 'body is the upstream object unchanged');
  t.equal(seen.method, 'GET');
  t.equal(seen.url, '/api/organizations/1', 'exact upstream path, no trailing slash');
  t.equal(seen.headers['authorization'], `Token ${sim.legacyToken}`, 'legacy key sent with the Token scheme');
  t.equal(seen.headers['x-request-id'], 'test-req-1', 'request id forwarded');
  t.notOk(JSON.stringify(seen.headers).includes(CLIENT_TOKEN), "client's Authorization is never forwarded");
});

t.test('GET /v1/api/organizations keeps the upstream trailing slash and forwards ordering', async (t) => {
  for (const path of ['/v1/api/organizations?ordering=-id', '/v1/api/organizations/?ordering=-id']) {
    sim.clear();
    const res = await call('GET', path);
    t.equal(res.status, 200, path);
    t.ok(Array.isArray(res.json), 'plain JSON array');
    const ids = (res.json as { id: number }[]).map((o) => o.id);
    t.same(ids, [...ids].sort((a, b) => b - a), 'ordering=-id applied upstream');
    t.equal(sim.requests[0]?.url, '/api/organizations/?ordering=-id');
  }
  sim.clear();
  await call('GET', '/v1/api/organizations?ordering=title&unknown=1');
  t.equal(sim.requests[0]?.url, '/api/organizations/?ordering=title', 'undeclared query params are not forwarded');
});

t.test('PATCH /v1/api/organizations/{id} forwards the JSON body', async (t) => {
  const res = await call('PATCH', '/v1/api/organizations/1', { title: 'Renamed Org' });
  t.equal(res.status, 200);
  t.equal((res.json as { title: string }).title, 'Renamed Org');
  const seen = sim.requests[0]!;
  t.equal(seen.method, 'PATCH');
  t.equal(seen.url, '/api/organizations/1');
  t.same(seen.json, { title: 'Renamed Org' });
  t.match(seen.headers['content-type'], /application\/json/);
  t.match(await direct('/api/organizations/1'), { title: 'Renamed Org' }, 'upstream state changed');
});

t.test('PATCH set-default-role and memberships reach their exact paths', async (t) => {
  const role = await call('PATCH', '/v1/api/organizations/1/set-default-role', { default_role: 'AN' });
  t.equal(role.status, 200);
  t.equal((role.json as { default_role: string }).default_role, 'AN');
  t.equal(sim.requests[0]?.url, '/api/organizations/1/set-default-role');
  t.same(sim.requests[0]?.json, { default_role: 'AN' });

  sim.clear();
  const member = await call('PATCH', '/v1/api/organizations/1/memberships', { user_id: 14, role: 'RE' });
  t.equal(member.status, 200);
  t.match(member.json, { organization: 1, role: 'RE', user: { id: 14 } });
  t.equal(sim.requests[0]?.url, '/api/organizations/1/memberships');
  t.same(sim.requests[0]?.json, { user_id: 14, role: 'RE' });
});

t.test('POST /v1/api/invite/reset-token passes the upstream 201 through', async (t) => {
  const res = await call('POST', '/v1/api/invite/reset-token');
  t.equal(res.status, 201);
  t.match(res.json, { invite_url: /^\/user\/signup\/\?token=[0-9a-f]{16}$/, token: /^[0-9a-f]{16}$/ });
  t.equal(sim.requests[0]?.method, 'POST');
  t.equal(sim.requests[0]?.url, '/api/invite/reset-token');
});

t.test('upstream 4xx statuses and bodies pass through unchanged', async (t) => {
  // Whitespace passes the capability's minLength but Label Studio trims it to blank: an upstream 400.
  const invalid = await call('PATCH', '/v1/api/organizations/1', { title: '   ' });
  t.equal(invalid.status, 400);
  t.match(invalid.headers['content-type'], /^application\/json/);
  t.match(invalid.json, { detail: 'Validation error', validation_errors: { title: [String] } });

  const missing = await call('GET', '/v1/api/organizations/999');
  t.equal(missing.status, 404);
  t.match(missing.json, { detail: 'Not found.' });
  t.equal(sim.requests.at(-1)?.url, '/api/organizations/999');
});

t.test('a non-integer id is a 400 problem and never reaches the upstream', async (t) => {
  for (const id of ['abc', '1.5', '1%2F2', '-', '1e3', '0x10']) {
    const res = await call('GET', `/v1/api/organizations/${id}`);
    t.equal(res.status, 400, `id ${id}`);
    t.match(res.headers['content-type'], /^application\/problem\+json/);
    t.match(res.json, { type: String, title: String, status: 400, detail: /id/, code: 'NGW_ERR_VALIDATION', instance: String });
  }
  const body = await call('PATCH', '/v1/api/organizations/abc', { title: 'x' });
  t.equal(body.status, 400);
  t.equal(sim.requests.length, 0, 'zero upstream calls');
});

t.test('gateway-made errors are problem+json: 404, 405, 415, 413, bad JSON', async (t) => {
  const notFound = await call('GET', '/v1/nothing-here');
  t.equal(notFound.status, 404);
  t.match(notFound.json, { status: 404, code: 'NGW_ERR_NOT_FOUND' });

  const notAllowed = await call('DELETE', '/v1/api/organizations/1');
  t.equal(notAllowed.status, 405);
  t.equal(notAllowed.headers['allow'], 'GET, HEAD, PATCH');
  t.match(notAllowed.json, { status: 405, code: 'NGW_ERR_METHOD_NOT_ALLOWED' });

  const text = await request(`${gw.url}/v1/api/organizations/1`, { method: 'PATCH', headers: { 'content-type': 'text/plain' }, body: 'title=x' });
  t.equal(text.statusCode, 415);
  t.match(await text.body.json(), { status: 415, code: 'NGW_ERR_UNSUPPORTED_MEDIA_TYPE' });

  const huge = await request(`${gw.url}/v1/api/organizations/1`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title: 'x'.repeat(1_100_000) }) });
  t.equal(huge.statusCode, 413);
  t.match(await huge.body.json(), { status: 413, code: 'NGW_ERR_BODY_TOO_LARGE' });

  const broken = await request(`${gw.url}/v1/api/organizations/1`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: '{"title":' });
  t.equal(broken.statusCode, 400);
  t.match(await broken.body.json(), { status: 400, code: 'NGW_ERR_BAD_JSON' });
  t.equal(sim.requests.length, 0, 'none of these reached the upstream');
});

t.test('an upstream answering HTML instead of JSON is a 502', async (t) => {
  sim.fault({ kind: 'non-json', path: '/api/organizations/1', times: 1 });
  const res = await call('GET', '/v1/api/organizations/1');
  t.equal(res.status, 502);
  t.match(res.json, { status: 502, code: 'NGW_ERR_UPSTREAM_BAD_RESPONSE' });
});

t.test('the upstream credential never appears in responses or logs', async (t) => {
  await call('PATCH', '/v1/api/organizations/1', { title: '' });
  await call('GET', '/v1/api/organizations/abc');
  await call('GET', '/v1/api/organizations/1', undefined, { authorization: `Token ${sim.legacyToken}`, 'x-request-id': 'log-check-1' });
  const line = await gw.waitForLog((l) => l['reqId'] === 'log-check-1' && l['msg'] === 'request completed');
  t.match(line, { method: 'GET', path: '/v1/api/organizations/1', operationId: 'getOrganizationSettings', statusCode: 200, upstreamStatus: 200, durationMs: Number });
  t.equal(gw.logObjects().filter((l) => l['reqId'] === 'log-check-1').length, 1, 'exactly one line per request');
  const allLogs = gw.logs.join('\n') + gw.stderr();
  t.notOk(allLogs.includes(sim.legacyToken), 'key absent from every log line');
});

t.test('healthz answers 200 with a request id, and probes stay out of the info log', async (t) => {
  const res = await call('GET', '/healthz', undefined, { 'x-request-id': 'probe-1' });
  t.equal(res.status, 200);
  t.same(res.json, { status: 'ok' });
  t.equal(res.headers['x-request-id'], 'probe-1');
  // A later request's line is written after the probe's would have been: then the probe's absence means something.
  await call('GET', '/v1/api/organizations/1', undefined, { 'x-request-id': 'after-probe-1' });
  await gw.waitForLog((l) => l['reqId'] === 'after-probe-1' && l['msg'] === 'request completed');
  t.equal(gw.logObjects().filter((l) => l['reqId'] === 'probe-1').length, 0, '/healthz logs at warn only');
});
