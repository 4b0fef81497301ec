/**
 * A corpus of bad requests across the six REST routes: each must get a
 * well-formed answer (a gateway problem+json, or an upstream pass-through
 * for input that is valid but odd), never reach the upstream unvalidated,
 * never echo a secret, and never take the process down.
 */
import { connect } from 'node:net';
import t from 'tap';
import { ADMIN_KEY, logViolations, READ_KEY, responseViolations, send, startSecureGateway, UPSTREAM_KEY, upstreamViolations, type SecureSetup } from './fixture.js';

/** Case is one request; `reject` means the gateway itself must answer 4xx with nothing sent upstream. */
interface Case {
  readonly name: string;
  readonly method: string;
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body?: string | Buffer;
  readonly reject: boolean;
  readonly status?: number;
}

const ID_ROUTES = ['', '/set-default-role', '/memberships'];
const JSON_CT = { 'content-type': 'application/json' };

/** Path ids that must never become an upstream path: traversal, encoded separators, control characters, non-decimal numbers. */
const BAD_IDS = [
  '..', '%2e%2e', '%2E%2E', '%2F', '1%2F2', '1%2f..%2f2', '..%2F..%2Fadmin', '%5C', '1%5C..', '\\..', '1%00', '%00', '1%0D%0A',
  '%0d%0aX-Injected:%201', 'abc', '1.5', '1e3', '0x10', '%201', '1%20', '+1', '01', '%EF%BC%91', '%D9%A1', '1%E2%80%8B',
  '%F0%9F%98%80', '%', '%zz', '%ff', '1;x', 'null', 'true', '__proto__', 'constructor', '9'.repeat(300), '1%09',
];

function idCases(): Case[] {
  const out: Case[] = [];
  for (const id of BAD_IDS) {
    out.push({ name: `GET id=${id.slice(0, 24)}`, method: 'GET', path: `/v1/api/organizations/${id}`, reject: true });
    for (const suffix of ID_ROUTES) {
      out.push({ name: `PATCH ${suffix || 'org'} id=${id.slice(0, 24)}`, method: 'PATCH', path: `/v1/api/organizations/${id}${suffix}`, headers: JSON_CT, body: '{"title":"x"}', reject: true });
    }
  }
  return out;
}

const HUGE_DEPTH = '['.repeat(100_000) + ']'.repeat(100_000);
const BAD_BODIES: { name: string; body: string | Buffer; headers?: Record<string, string>; status: number }[] = [
  { name: '__proto__ key', body: '{"__proto__":{"isAdmin":true}}', status: 400 },
  { name: 'nested __proto__', body: '{"a":{"__proto__":{"x":1}}}', status: 400 },
  { name: 'constructor.prototype', body: '{"constructor":{"prototype":{"x":1}}}', status: 400 },
  { name: 'unicode-escaped __proto__', body: '{"\\u005f_proto__":{"x":1}}', status: 400 },
  { name: 'depth 65', body: '{"a":'.repeat(65) + '1' + '}'.repeat(65), status: 400 },
  { name: 'depth 100k arrays', body: `{"a":${HUGE_DEPTH}}`, status: 400 },
  { name: 'array body', body: '[]', status: 400 },
  { name: 'string body', body: '"title"', status: 400 },
  { name: 'number body', body: '1', status: 400 },
  { name: 'null body', body: 'null', status: 400 },
  { name: 'truncated JSON', body: '{"title":', status: 400 },
  { name: 'trailing garbage', body: '{"title":"x"}xx', status: 400 },
  { name: 'empty JSON body', body: '', status: 400 },
  { name: 'NUL byte outside strings', body: '{"title":"x"}\u0000', status: 400 },
  { name: 'lone surrogate escape is valid JSON', body: '{"title":"\\ud800"}', status: 0 },
  { name: 'text/plain', body: '{"title":"x"}', headers: { 'content-type': 'text/plain' }, status: 415 },
  { name: 'xml', body: '<title>x</title>', headers: { 'content-type': 'application/xml' }, status: 415 },
  { name: 'form', body: 'title=x', headers: { 'content-type': 'application/x-www-form-urlencoded' }, status: 415 },
  { name: 'multipart', body: '--b\r\n\r\nx\r\n--b--', headers: { 'content-type': 'multipart/form-data; boundary=b' }, status: 415 },
  { name: 'no content type', body: '{"title":"x"}', headers: { 'content-type': '' }, status: 415 },
  { name: 'over 1 MiB', body: Buffer.alloc(1024 * 1024 + 10, 0x20), status: 413 },
  { name: 'huge string over 1 MiB', body: `{"title":"${'a'.repeat(1024 * 1024)}"}`, status: 413 },
  { name: 'invalid UTF-8', body: Buffer.from([0x7b, 0x22, 0x74, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]), status: 0 },
];

function bodyCases(): Case[] {
  const out: Case[] = [];
  for (const suffix of ID_ROUTES) {
    for (const b of BAD_BODIES) {
      out.push({
        name: `PATCH ${suffix || 'org'} body ${b.name}`,
        method: 'PATCH',
        path: `/v1/api/organizations/1${suffix}`,
        headers: { ...JSON_CT, ...(b.headers ?? {}) },
        body: b.body,
        reject: b.status !== 0,
        ...(b.status === 0 ? {} : { status: b.status }),
      });
    }
  }
  for (const b of BAD_BODIES.filter((x) => x.status === 413 || x.name.includes('proto') || x.name.includes('constructor'))) {
    out.push({ name: `POST reset-token body ${b.name}`, method: 'POST', path: '/v1/api/invite/reset-token', headers: JSON_CT, body: b.body, reject: true, status: b.status });
  }
  return out;
}

function queryCases(): Case[] {
  const q = (query: string, reject: boolean, status?: number): Case => ({ name: `GET list ?${query.slice(0, 40)}`, method: 'GET', path: `/v1/api/organizations?${query}`, reject, ...(status === undefined ? {} : { status }) });
  return [
    q('ordering=id&ordering=-id', true, 400),
    q('ordering=id&ordering=id&ordering=id', true, 400),
    q('ordering[]=id', false),
    q('ordering[0]=id&ordering[1]=x', false),
    q('__proto__[x]=1', false),
    q('constructor[prototype][x]=1', false),
    q('__proto__=1&ordering=id', false),
    q('ordering=%0D%0AX-Injected:%201', false),
    q('ordering=%00', false),
    q('ordering=..%2F..%2Fadmin', false),
    q('ordering=%2e%2e/%2e%2e', false),
    q('ordering=%F0%9F%98%80', false),
    q('ordering=%E2%80%AE', false),
    q('ordering=%ff%fe', false),
    q('ordering=%', false),
    q('ordering=' + 'a'.repeat(7000), false),
    q('ordering=' + 'a'.repeat(9000), true, 414),
    q('x=' + 'b'.repeat(9000), true, 414),
    q('ordering=id&api_key=' + UPSTREAM_KEY, false),
    q('ordering=id&token=' + UPSTREAM_KEY, false),
    q('&&&=&=', false),
    q('ordering', false),
  ];
}

function methodAndHeaderCases(): Case[] {
  const paths = ['/v1/api/invite/reset-token', '/v1/api/organizations', '/v1/api/organizations/1', '/v1/api/organizations/1/set-default-role', '/v1/api/organizations/1/memberships'];
  const out: Case[] = [];
  for (const path of paths) {
    for (const method of ['PUT', 'DELETE', 'OPTIONS']) out.push({ name: `${method} ${path}`, method, path, reject: true, status: 405 });
    out.push({ name: `dot segment ${path}/.`, method: 'GET', path: `${path}/.`, reject: false });
    out.push({ name: `no key ${path}`, method: 'GET', path, headers: { 'x-api-key': '' }, reject: true, status: 401 });
    out.push({ name: `empty bearer ${path}`, method: 'GET', path, headers: { authorization: 'Bearer ' }, reject: true, status: 401 });
    out.push({ name: `upstream key as bearer ${path}`, method: 'GET', path, headers: { authorization: `Bearer ${UPSTREAM_KEY}` }, reject: true, status: 401 });
    out.push({ name: `upstream key as x-api-key ${path}`, method: 'GET', path, headers: { 'x-api-key': UPSTREAM_KEY }, reject: true, status: 401 });
    out.push({ name: `10k key ${path}`, method: 'GET', path, headers: { 'x-api-key': 'k'.repeat(10_000) }, reject: true, status: 401 });
    out.push({ name: `key with unicode ${path}`, method: 'GET', path, headers: { 'x-api-key': Buffer.from('ключ', 'utf8').toString('latin1') }, reject: true, status: 401 });
    out.push({ name: `read key prefix ${path}`, method: 'GET', path, headers: { 'x-api-key': READ_KEY.slice(0, -1) }, reject: true, status: 401 });
  }
  for (const path of ['/v1/api/organizations/1', '/v1/api/organizations/1/memberships', '/v1/api/organizations/1/set-default-role']) {
    out.push({ name: `read key PATCH ${path}`, method: 'PATCH', path, headers: { ...JSON_CT, 'x-api-key': READ_KEY }, body: '{}', reject: true, status: 403 });
  }
  for (const path of ['/v1/../v1/api/organizations/1', '/v1/api/organizations/1/../2', '/v1/api/%2e%2e/organizations/1', '/v1/api/organizations/1/..%2fmemberships', '/v1/api//organizations/1', '//v1/api/organizations/1', '/V1/API/ORGANIZATIONS/1', '/v1/api/organizations/1/memberships/extra', '/v1/api/organizations/1/set-default-role%00', '/v1/api/invite/reset-token/..']) {
    out.push({ name: `odd path ${path}`, method: 'GET', path, reject: true });
  }
  return out;
}

/** Raw requests Node's parser or the gateway must refuse: they cannot be sent with undici. */
const RAW_CASES: { name: string; raw: string; status: number }[] = [
  { name: 'CR in header value', raw: 'GET /v1/api/organizations/1 HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n', status: 400 },
  { name: 'NUL in header value', raw: 'GET /v1/api/organizations/1 HTTP/1.1\r\nHost: x\r\nX-A: a\u0000b\r\n\r\n', status: 400 },
  { name: 'header folding', raw: 'GET /v1/api/organizations/1 HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n', status: 400 },
  { name: 'space in request target', raw: 'GET /v1/api/organizations/1 x HTTP/1.1\r\nHost: x\r\n\r\n', status: 400 },
  { name: 'raw NUL in path', raw: 'GET /v1/api/organizations/1\u0000 HTTP/1.1\r\nHost: x\r\n\r\n', status: 400 },
  { name: 'CL and TE together (smuggling)', raw: 'PATCH /v1/api/organizations/1 HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', status: 400 },
  { name: 'two content-lengths', raw: 'PATCH /v1/api/organizations/1 HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}', status: 400 },
  { name: 'headers over 16 KiB', raw: `GET /v1/api/organizations/1 HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(17_000)}\r\n\r\n`, status: 431 },
  { name: 'URL over 16 KiB', raw: `GET /v1/api/organizations?ordering=${'a'.repeat(17_000)} HTTP/1.1\r\nHost: x\r\n\r\n`, status: 431 },
  { name: 'invalid method', raw: 'G@T /v1/api/organizations/1 HTTP/1.1\r\nHost: x\r\n\r\n', status: 400 },
  { name: 'HTTP/2 preface on HTTP/1', raw: 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', status: 400 },
];

function rawRequest(url: string, raw: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let data = '';
    socket.setEncoding('latin1');
    socket.on('data', (c: string) => (data += c));
    socket.on('error', () => resolve(data));
    socket.on('close', () => resolve(data));
    socket.setTimeout(5000, () => {
      socket.destroy();
      reject(new Error('raw request timed out'));
    });
    socket.write(raw, 'latin1');
  });
}

let setup: SecureSetup;
t.before(async () => {
  setup = await startSecureGateway();
});
t.teardown(() => setup?.close());

t.test('corpus over the REST routes', async (t) => {
  const { gw, sim } = setup;
  const cases = [...idCases(), ...bodyCases(), ...queryCases(), ...methodAndHeaderCases()];
  t.ok(cases.length >= 200, `${cases.length} cases`);
  const failures: string[] = [];
  for (const c of cases) {
    sim.clear();
    sim.reset();
    const own = c.headers ?? {};
    const headers: Record<string, string> = own['authorization'] !== undefined || own['x-api-key'] !== undefined ? { ...own } : { 'x-api-key': ADMIN_KEY, ...own };
    if (headers['content-type'] === '') delete headers['content-type'];
    const res = await send(gw.url, c.method, c.path, headers, c.body);
    const problems = [...responseViolations(res), ...upstreamViolations(sim.requests)];
    if (c.reject) {
      if (res.status < 400 || res.status > 499) problems.push(`status ${res.status}, want 4xx`);
      if (c.status !== undefined && res.status !== c.status) problems.push(`status ${res.status}, want ${c.status}`);
      if (!String(res.headers['content-type']).startsWith('application/problem+json')) problems.push(`not problem+json: ${String(res.headers['content-type'])}`);
      if (sim.requests.length > 0) problems.push(`reached upstream: ${sim.requests.map((r) => r.url).join(', ')}`);
    }
    if (res.status >= 500) problems.push(`5xx ${res.text.slice(0, 200)}`);
    if (problems.length > 0) failures.push(`${c.name}: ${problems.join('; ')}`);
  }
  t.same(failures, [], 'every case answered well');
  t.equal((await send(gw.url, 'GET', '/healthz')).status, 200, 'the process is still up');
});

t.test('raw requests the HTTP parser refuses get problem+json and the connection is closed', async (t) => {
  const { gw, sim } = setup;
  sim.clear();
  for (const c of RAW_CASES) {
    const answer = await rawRequest(gw.url, c.raw);
    const statusLine = answer.split('\r\n')[0] ?? '';
    t.match(statusLine, new RegExp(`^HTTP/1\\.1 ${c.status} `), `${c.name}: ${statusLine}`);
    t.match(answer, /content-type: application\/problem\+json/i, `${c.name}: problem+json`);
    t.match(answer, /x-content-type-options: nosniff/i, `${c.name}: nosniff`);
  }
  t.equal(sim.requests.length, 0, 'nothing reached the upstream');
  t.equal((await send(gw.url, 'GET', '/healthz')).status, 200, 'the process is still up');
});

t.test('no secret in any log line, at debug level', async (t) => {
  const { gw } = setup;
  t.ok(gw.logs.length > 200, `${gw.logs.length} log lines captured`);
  t.same(logViolations(gw.logs), []);
  t.equal(gw.child.exitCode, null, 'the gateway process never exited');
});
