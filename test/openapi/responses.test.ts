/**
 * Every answer the gateway gives matches its served OpenAPI document: a broad
 * corpus (happy paths, every gateway error, upstream errors passed through,
 * the ledger's JSON and CSV, HEAD, 405, 413, 414, 415, 431, 429, 502, 503, 504,
 * the seat guard's 409) is validated as a validating proxy would, against
 * both /openapi.json (3.1) and /openapi-3.0.json, with zero violations.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { request } from 'undici';
import { resolveConfig } from '../../src/settings/index.js';
import { startGateway, type RunningGateway } from '../../src/gateway.js';
import { startLabelStudio, type LabelStudioSimulator } from '../fixtures/label-studio/simulator.js';
import { ResponseValidator, type Answer } from './response-validator.js';

const READ_KEY = 'r'.repeat(40);
const WRITE_KEY = 'w'.repeat(40);
const sha = async (key: string): Promise<string> => (await import('node:crypto')).createHash('sha256').update(key).digest('hex');

const tmp = mkdtempSync(join(tmpdir(), 'ngw-responses-'));
const answers: Answer[] = [];
/** Which gateway gave each answer. */
const answerBase = new Map<Answer, string>();
const gateways: RunningGateway[] = [];
let sim: LabelStudioSimulator;

t.teardown(async () => {
  await Promise.allSettled(gateways.map((g) => g.close()));
  await sim?.close();
  rmSync(tmp, { recursive: true, force: true });
});

async function start(env: Record<string, string>): Promise<string> {
  const config = resolveConfig({ capability: 'capability.yaml', restPort: '0', mcpPort: '0', baseUri: [sim.url], logLevel: 'silent' }, env);
  const gateway = await startGateway(config, { env: { LABEL_STUDIO_API_KEY: sim.legacyToken }, logDestination: { write: () => undefined } });
  gateways.push(gateway);
  return gateway.restUrl as string;
}

/** send makes one request and records the answer for validation. */
async function send(base: string, method: string, path: string, options: { body?: string; json?: unknown; headers?: Record<string, string> } = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  let body = options.body;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers['content-type'] ??= 'application/json';
  }
  const res = await request(base + path, { method: method as 'GET', headers, body });
  const answer: Answer = { method, path, status: res.statusCode, headers: res.headers, body: await res.body.text() };
  answers.push(answer);
  answerBase.set(answer, base);
  return answer;
}

/** raw sends bytes Node's HTTP client would refuse (oversized head) and parses the answer. */
function raw(base: string, head: string): Promise<Answer> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (c: string) => (data += c));
    socket.on('error', reject);
    socket.on('close', () => {
      const [top = '', ...rest] = data.split('\r\n\r\n');
      const [statusLine = '', ...lines] = top.split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) headers[line.slice(0, line.indexOf(':')).toLowerCase()] = line.slice(line.indexOf(':') + 1).trim();
      const path = head.split(' ')[1] ?? '/';
      const answer: Answer = { method: head.split(' ')[0] ?? 'GET', path, status: Number(statusLine.split(' ')[1]), headers, body: rest.join('\r\n\r\n') };
      answers.push(answer);
      answerBase.set(answer, base);
      resolve(answer);
    });
    socket.write(head);
  });
}

t.test('a corpus of answers matches the served document (3.1 and 3.0)', async (t) => {
  sim = await startLabelStudio();
  const main = await start({ GATEWAY_LEDGER_DIR: join(tmp, 'ledger'), GATEWAY_UPSTREAM_TIMEOUT_MS: '1500', GATEWAY_BODY_LIMIT_BYTES: '4096', GATEWAY_UPSTREAM_RETRIES: '0' });
  const json = (path: string, body: unknown, headers?: Record<string, string>) => send(main, 'PATCH', path, { json: body, ...(headers === undefined ? {} : { headers }) });

  // Happy paths, GET and HEAD, every operation.
  await send(main, 'GET', '/v1/api/organizations');
  await send(main, 'GET', '/v1/api/organizations?ordering=-id');
  await send(main, 'HEAD', '/v1/api/organizations');
  await send(main, 'GET', '/v1/api/organizations/1');
  await send(main, 'HEAD', '/v1/api/organizations/1');
  await json('/v1/api/organizations/1', { title: 'Corpus', contact_info: null });
  await json('/v1/api/organizations/1/set-default-role', { default_role: 'RE' });
  const member = await json('/v1/api/organizations/1/memberships', { user_id: 15, role: 'AN' });
  t.match(JSON.parse(member.body), { concurrency: null }, 'the role change answers concurrency: null, as Label Studio does');
  await send(main, 'POST', '/v1/api/invite/reset-token');
  // The seat guard: an immediate deactivation is refused, an override lets it through.
  const blocked = await json('/v1/api/organizations/1/memberships', { user_id: 15, role: 'DI' });
  t.equal(blocked.status, 409, blocked.body);
  await json('/v1/api/organizations/1/memberships', { user_id: 15, role: 'DI' }, { 'x-seat-guard-override': 'corpus test' });
  // Scheduled changes: a refused change with Prefer: respond-async is a 202; list, read, HEAD, cancel, 404, 409, 400.
  await json('/v1/api/organizations/1/memberships', { user_id: 14, role: 'AN' });
  const scheduled = await json('/v1/api/organizations/1/memberships', { user_id: 14, role: 'DI' }, { prefer: 'respond-async' });
  t.equal(scheduled.status, 202, scheduled.body);
  const scheduleId = (JSON.parse(scheduled.body) as { id: string }).id;
  await send(main, 'GET', '/v1/ledger/schedules');
  await send(main, 'GET', '/v1/ledger/schedules?status=scheduled&limit=1');
  await send(main, 'HEAD', '/v1/ledger/schedules');
  await send(main, 'GET', `/v1/ledger/schedules/${scheduleId}`);
  await send(main, 'HEAD', `/v1/ledger/schedules/${scheduleId}`);
  await send(main, 'GET', '/v1/ledger/schedules/123456789');
  await send(main, 'GET', '/v1/ledger/schedules/abc');
  await send(main, 'GET', '/v1/ledger/schedules?status=nope');
  t.equal((await send(main, 'DELETE', `/v1/ledger/schedules/${scheduleId}`)).status, 204);
  t.equal((await send(main, 'DELETE', `/v1/ledger/schedules/${scheduleId}`)).status, 409);
  await send(main, 'DELETE', '/v1/ledger/schedules/123456789');
  // The ledger: JSON pages, CSV both ways, paging headers, HEAD, a bad query.
  const page = await send(main, 'GET', '/v1/ledger?limit=1');
  t.match(page.headers['link'], /rel="next"/);
  await send(main, 'GET', '/v1/ledger?format=csv&limit=1');
  await send(main, 'GET', '/v1/ledger', { headers: { accept: 'text/csv' } });
  await send(main, 'HEAD', '/v1/ledger');
  await send(main, 'GET', '/v1/ledger?limit=0');
  await send(main, 'GET', '/v1/ledger?cursor=nope');
  // Gateway-made client errors.
  await send(main, 'GET', '/v1/api/organizations/0');
  await json('/v1/api/organizations/1', { title: '' });
  await send(main, 'PATCH', '/v1/api/organizations/1/memberships');
  await json('/v1/api/organizations/1/memberships', { role: 'AN' });
  await send(main, 'PATCH', '/v1/api/organizations/1', { body: '{"title":', headers: { 'content-type': 'application/json' } });
  await send(main, 'PATCH', '/v1/api/organizations/1', { body: 'title=x', headers: { 'content-type': 'text/plain' } });
  await json('/v1/api/organizations/1', { title: 'x'.repeat(5000) });
  await send(main, 'GET', `/v1/api/organizations?ordering=${'a'.repeat(9000)}`);
  await send(main, 'PUT', '/v1/api/organizations/1', { json: {} });
  await send(main, 'DELETE', '/v1/ledger');
  await send(main, 'GET', '/v1/nothing-here');
  await raw(main, `GET /v1/api/organizations HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`);
  await raw(main, `GET /v1/api/organizations?ordering=${'c'.repeat(20_000)} HTTP/1.1\r\nHost: localhost\r\n\r\n`);
  // Upstream errors, passed through: its own 400 and 404, then injected 401, 403, 429, 500, 503.
  await json('/v1/api/organizations/1/memberships', { user_id: 10, role: 'AN' });
  await send(main, 'GET', '/v1/api/organizations/999');
  for (const status of [401, 403, 429, 500, 503]) {
    const fault = sim.fault({ method: 'GET', path: '/api/organizations/2', kind: 'status', status, ...(status === 429 || status === 503 ? { retryAfter: '1' } : {}) });
    await send(main, 'GET', '/v1/api/organizations/2');
    fault.remove();
  }
  // Upstream failures the gateway answers itself: 502 (dropped socket, HTML), 504 (no answer in time).
  for (const kind of ['close', 'non-json', 'hang'] as const) {
    const fault = sim.fault({ method: 'GET', path: '/api/organizations/3', kind });
    await send(main, 'GET', '/v1/api/organizations/3');
    fault.remove();
  }

  // With keys: 401 with WWW-Authenticate, 403 for a read key writing, the ledger behind a key.
  const keyed = await start({ GATEWAY_LEDGER: 'off', GATEWAY_API_KEYS: `reader:${await sha(READ_KEY)}:read;writer:${await sha(WRITE_KEY)}:read,write` });
  await send(keyed, 'GET', '/v1/api/organizations');
  await send(keyed, 'GET', '/v1/api/organizations', { headers: { authorization: 'Basic abc' } });
  await send(keyed, 'GET', '/v1/api/organizations', { headers: { authorization: `Bearer ${READ_KEY}` } });
  await send(keyed, 'PATCH', '/v1/api/organizations/1', { json: { title: 'No' }, headers: { 'x-api-key': READ_KEY } });

  // Inbound rate limit (RateLimit-* headers, 429) and the circuit breaker (upstream 503, then circuit open).
  const limited = await start({ GATEWAY_LEDGER: 'off', GATEWAY_RATE_LIMIT: '4', GATEWAY_BREAKER_THRESHOLD: '1', GATEWAY_BREAKER_COOLDOWN_MS: '600000', GATEWAY_UPSTREAM_RETRIES: '0' });
  await send(limited, 'GET', '/v1/api/organizations/1');
  const down = sim.fault({ method: 'GET', path: '/api/organizations/1', kind: 'status', status: 503 });
  await send(limited, 'GET', '/v1/api/organizations/1');
  down.remove();
  const open = await send(limited, 'GET', '/v1/api/organizations/1');
  t.match(JSON.parse(open.body), { code: 'NGW_ERR_UPSTREAM_CIRCUIT_OPEN' });
  await send(limited, 'GET', '/v1/api/organizations/1');
  const over = await send(limited, 'GET', '/v1/api/organizations/1');
  t.equal(over.status, 429, 'over the inbound limit');

  // The corpus covers what it claims to.
  const statuses = new Set(answers.map((a) => a.status));
  for (const s of [200, 201, 400, 401, 403, 404, 405, 409, 413, 414, 415, 429, 431, 500, 502, 503, 504]) t.ok(statuses.has(s), `the corpus has a ${s}`);
  t.ok(answers.some((a) => a.status === 200 && String(a.headers['content-type']).startsWith('text/csv')), 'the corpus has a CSV page');

  for (const [version, path] of [['3.1', '/openapi.json'], ['3.0', '/openapi-3.0.json']] as const) {
    const docs = await Promise.all([main, keyed, limited].map(async (base) => (await request(base + path)).body.json() as Promise<Record<string, unknown>>));
    const validators = new Map([main, keyed, limited].map((base, i) => [base, new ResponseValidator(docs[i] as Record<string, unknown>)]));
    // Each gateway's answers against its own document: keys and rate limits change what it declares.
    const violations = answers.flatMap((answer) => (validators.get(answerBase.get(answer) ?? '') as ResponseValidator).violations(answer));
    t.same(violations, [], `OpenAPI ${version}: ${answers.length} answers, no violations`);
  }
  // The validator does find violations when there are some.
  const validator = new ResponseValidator((await (await request(main + '/openapi.json')).body.json()) as Record<string, unknown>);
  const [ok] = answers;
  t.ok(ok !== undefined && validator.violations({ ...ok, body: '{"not":"an array"}' }).length > 0, 'control: a wrong body is a violation');
  t.ok(ok !== undefined && validator.violations({ ...ok, status: 418 }).length === 0, 'control: an unknown upstream status falls to default');
  t.ok(ok !== undefined && validator.violations({ ...ok, headers: { ...ok.headers, 'x-request-id': undefined } }).length > 0, 'control: a missing x-request-id is a violation');
});
