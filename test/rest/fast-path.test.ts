/**
 * The compiled happy path (src/adapters/rest/fast-path.ts) answers exactly as the
 * fastify path does. A percent-encoded path (`/%761/…` for `/v1/…`) sends the same
 * request through fastify (the router decodes it; the fast path declines it), so
 * each case is asked twice and the two answers, log lines and metrics compared.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { request } from 'undici';
import { fastPathOf } from '../../src/adapters/rest/server.js';
import { startGatewayProcess } from '../helpers/gateway-process.js';
import { buildTestRestServer } from '../helpers/rest-server.js';

const UPSTREAM: Record<string, { status: number; body: string; headers: Record<string, string> }> = {
  '/api/organizations/1': { status: 200, body: '{"id":1,"title":"Café"}', headers: { 'content-type': 'application/json', etag: '"v1"', 'set-cookie': 'a=b', server: 'upstream' } },
  '/api/organizations/2': { status: 404, body: '{"detail":"Not found."}', headers: { 'content-type': 'application/json' } },
  '/api/organizations/3': { status: 503, body: '<html>nginx</html>', headers: { 'content-type': 'text/html', 'retry-after': '7' } },
  '/api/organizations/4': { status: 200, body: 'not json', headers: { 'content-type': 'text/plain' } },
  '/api/organizations/?ordering=title': { status: 200, body: '[{"id":1,"title":"Café"}]', headers: { 'content-type': 'application/json' } },
  '/api/things/7?limit=5': { status: 200, body: '{"thing":7}', headers: { 'content-type': 'application/json' } },
};

const VOLATILE = new Set(['x-request-id', 'date']);

function stable(headers: Record<string, string | string[] | undefined>): Record<string, string | string[] | undefined> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !VOLATILE.has(name)));
}

interface Seen {
  readonly url: string;
  readonly tenant: string | undefined;
}

async function startUpstream(t: Test): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const upstream = createServer((req: IncomingMessage, res: ServerResponse) => {
    seen.push({ url: req.url ?? '', tenant: req.headers['x-tenant'] as string | undefined });
    const answer = UPSTREAM[req.url ?? ''] ?? { status: 404, body: '{}', headers: { 'content-type': 'application/json' } };
    res.writeHead(answer.status, { ...answer.headers, 'content-length': String(Buffer.byteLength(answer.body)) });
    res.end(answer.body);
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => upstream.close(() => resolve())));
  return { url: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`, seen };
}

/** compare asks `path` by the fast path and by fastify and checks both answers match. */
async function compare(t: Test, base: string, path: string, method: 'GET' | 'HEAD', id: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined> }> {
  const fast = await request(`${base}${path}`, { method, headers: { ...headers, 'x-request-id': `fast-${id}` } });
  const fastBody = await fast.body.text();
  const slow = await request(`${base}${path.replace(/^\/v1\//, '/%761/')}`, { method, headers: { ...headers, 'x-request-id': `slow-${id}` } });
  const slowBody = await slow.body.text();
  t.equal(fast.statusCode, slow.statusCode, `${method} ${path}: status`);
  t.same(stable(fast.headers), stable(slow.headers), `${method} ${path}: headers`);
  t.equal(fastBody.replaceAll('fast-', 'slow-').replaceAll('/v1/', '/%761/'), slowBody.replaceAll('/v1/', '/%761/'), `${method} ${path}: body`);
  t.equal(fast.headers['x-request-id'], `fast-${id}`, `${method} ${path}: the request id is echoed`);
  return { status: fast.statusCode, headers: fast.headers };
}

t.test('fast path and fastify path answer alike', async (t) => {
  const { url, seen } = await startUpstream(t);
  const gw = await startGatewayProcess({ capability: 'capability.yaml', env: { LABEL_STUDIO_API_KEY: 'k' }, args: ['--base-uri', url, '--upstream-retries', '0'] });
  t.teardown(() => gw.stop());

  for (const path of [...Object.keys(UPSTREAM).filter((p) => /^\/api\/organizations\/\d$/.test(p)), '/api/organizations/abc', '/api/organizations/1/']) {
    for (const method of ['GET', 'HEAD'] as const) await compare(t, gw.url, `/v1${path}`, method, `${method}-${path.replace(/\W/g, '')}`);
  }
  // A query string a route does not declare is ignored by both; a declared one is validated and forwarded.
  await compare(t, gw.url, '/v1/api/organizations/1?via=nothing', 'GET', 'undeclared-query');
  t.notOk(
    seen.some((s) => s.url.includes('via')),
    'an undeclared query parameter is forwarded by neither path',
  );
  const listed = await compare(t, gw.url, '/v1/api/organizations?ordering=title', 'GET', 'declared-query');
  t.equal(listed.status, 200, 'the declared query parameter reached the upstream');
  t.equal(seen.filter((s) => s.url === '/api/organizations/?ordering=title').length, 2, 'by both paths');

  // Lines are written in batches (at most 100 ms late): wait for the last request's.
  await gw.waitForLog((l) => l['reqId'] === 'slow-declared-query', 60_000);
  const lines = gw.logObjects().filter((l) => l['msg'] === 'request completed' && typeof l['reqId'] === 'string');
  const fastLine = lines.find((l) => l['reqId'] === 'fast-GET-apiorganizations1');
  const slowLine = lines.find((l) => l['reqId'] === 'slow-GET-apiorganizations1');
  t.ok(fastLine && slowLine, 'both log one access line');
  const fields = (l: Record<string, unknown> | undefined): string[] => Object.keys(l ?? {});
  t.same(fields(fastLine), fields(slowLine), 'with the same fields in the same order');
  t.match(fastLine, { method: 'GET', path: '/v1/api/organizations/1', operationId: 'getOrganizationSettings', statusCode: 200, upstreamStatus: 200 });
  const queryLine = lines.find((l) => l['reqId'] === 'fast-declared-query');
  t.match(queryLine, { path: '/v1/api/organizations', statusCode: 200 }, 'the access line leaves the query string out');

  const metrics = await (await request(`${gw.url}/metrics`)).body.text();
  t.match(metrics, /naftiko_gateway_http_requests_total\{operation="getOrganizationSettings",status="200"\} 10\n/, 'GET and HEAD of /1 and /1/, and the undeclared query, by both paths, count under the operation');
});

t.test('CORS: an allowed and a refused Origin are answered alike by both paths', async (t) => {
  const { url } = await startUpstream(t);
  const gw = await startGatewayProcess({
    capability: 'capability.yaml',
    env: { LABEL_STUDIO_API_KEY: 'k', GATEWAY_CORS_ORIGINS: 'https://app.example' },
    args: ['--base-uri', url, '--upstream-retries', '0'],
  });
  t.teardown(() => gw.stop());
  for (const method of ['GET', 'HEAD'] as const) {
    const allowed = await compare(t, gw.url, '/v1/api/organizations/1', method, `cors-ok-${method}`, { origin: 'https://app.example' });
    t.equal(allowed.headers['access-control-allow-origin'], 'https://app.example', `${method}: the allowed origin is answered`);
    t.equal(allowed.headers['access-control-expose-headers'], 'x-request-id, retry-after');
    const refused = await compare(t, gw.url, '/v1/api/organizations/1', method, `cors-no-${method}`, { origin: 'https://evil.example' });
    t.equal(refused.headers['access-control-allow-origin'], undefined, `${method}: a refused origin gets no Allow-Origin`);
    t.equal(refused.headers['vary'], 'origin');
    // An upstream error is answered with the same CORS headers, so a browser page can read it.
    const failed = await compare(t, gw.url, '/v1/api/organizations/3', method, `cors-err-${method}`, { origin: 'https://app.example' });
    t.equal(failed.status, 503);
    t.equal(failed.headers['access-control-allow-origin'], 'https://app.example');
  }
  await compare(t, gw.url, '/v1/api/organizations/abc', 'GET', 'cors-invalid', { origin: 'https://app.example' });
});

const THINGS = `naftiko: 1.0.0-alpha2
info:
  label: Things
  description: A GET with path, query and header inputs.
binds:
- namespace: env
  keys:
    LABEL_STUDIO_API_KEY: LABEL_STUDIO_API_KEY
capability:
  consumes:
  - type: http
    namespace: up
    baseUri: '{{env.UP_BASE_URI}}'
    resources:
    - name: thing
      path: /api/things/{{id}}
      operations:
      - name: get
        method: GET
        inputParameters:
        - name: id
          in: path
          type: integer
          required: true
        - name: limit
          in: query
          type: integer
          required: true
        - name: X-Tenant
          in: header
          type: string
          required: true
    authentication:
      type: apikey
      key: Authorization
      value: 'Token {{env.LABEL_STUDIO_API_KEY}}'
      placement: header
  exposes:
  - type: rest
    namespace: things-rest
    port: 8080
    resources:
    - path: /v1/things/{id}
      name: thing
      operations:
      - method: GET
        name: get
        call: up.get
        with:
          id: rest.id
          limit: rest.limit
          X-Tenant: rest.X-Tenant
`;

t.test('query and header inputs: validated alike, forwarded alike', async (t) => {
  const { url, seen } = await startUpstream(t);
  const dir = mkdtempSync(join(tmpdir(), 'fast-path-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'things.yaml');
  writeFileSync(file, THINGS);
  const gw = await startGatewayProcess({ capability: file, env: { LABEL_STUDIO_API_KEY: 'k', UP_BASE_URI: url }, args: ['--upstream-retries', '0'] });
  t.teardown(() => gw.stop());

  const ok = await compare(t, gw.url, '/v1/things/7?limit=5', 'GET', 'things-ok', { 'x-tenant': 'acme' });
  t.equal(ok.status, 200);
  const forwarded = seen.filter((s) => s.url === '/api/things/7?limit=5');
  t.equal(forwarded.length, 2, 'both paths forwarded the coerced query');
  t.same(
    forwarded.map((s) => s.tenant),
    ['acme', 'acme'],
    'and the header',
  );
  const before = seen.length;
  const badQuery = await compare(t, gw.url, '/v1/things/7?limit=five', 'GET', 'things-bad-query', { 'x-tenant': 'acme' });
  t.equal(badQuery.status, 400, 'a query value of the wrong type is a 400');
  const missingQuery = await compare(t, gw.url, '/v1/things/7', 'GET', 'things-no-query', { 'x-tenant': 'acme' });
  t.equal(missingQuery.status, 400, 'a missing required query parameter is a 400');
  const missingHeader = await compare(t, gw.url, '/v1/things/7?limit=5', 'GET', 'things-no-header');
  t.equal(missingHeader.status, 400, 'a missing required header is a 400');
  t.equal(seen.length, before, 'nothing invalid was forwarded');
});

t.test('the fast path serves every GET route with path, query and header inputs (not only path ones), and every JSON-bodied one', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fast-path-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'things.yaml');
  writeFileSync(file, THINGS);
  for (const [path, env, gets] of [
    // The two GETs and the three PATCHes with a JSON body (the POST of reset-token takes no body input: fastify's).
    ['capability.yaml', { LABEL_STUDIO_API_KEY: 'k' }, 5],
    [file, { LABEL_STUDIO_API_KEY: 'k', UP_BASE_URI: 'http://127.0.0.1:9' }, 1],
  ] as const) {
    const app = buildTestRestServer(t, path, { env, options: { corsOrigins: ['https://app.example'] } });
    t.equal(fastPathOf(app)?.size, gets, `${path}: every GET route (list with its query, get, things with query and header) and PATCH with a body is on the fast path, CORS on`);
  }
});
