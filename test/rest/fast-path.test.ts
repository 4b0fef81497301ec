/**
 * The compiled happy path (src/adapters/rest/fast-path.ts) answers exactly as the
 * fastify path does. A query string sends the same GET through fastify (the route
 * declares no query input, so fastify ignores it and forwards nothing of it), so
 * each case is asked twice and the two answers, log lines and metrics compared.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { request } from 'undici';
import { startGatewayProcess } from '../helpers/gateway-process.js';

const UPSTREAM: Record<string, { status: number; body: string; headers: Record<string, string> }> = {
  '/api/organizations/1': { status: 200, body: '{"id":1,"title":"Café"}', headers: { 'content-type': 'application/json', etag: '"v1"', 'set-cookie': 'a=b', server: 'upstream' } },
  '/api/organizations/2': { status: 404, body: '{"detail":"Not found."}', headers: { 'content-type': 'application/json' } },
  '/api/organizations/3': { status: 503, body: '<html>nginx</html>', headers: { 'content-type': 'text/html', 'retry-after': '7' } },
  '/api/organizations/4': { status: 200, body: 'not json', headers: { 'content-type': 'text/plain' } },
};

const VOLATILE = new Set(['x-request-id', 'date']);

function stable(headers: Record<string, string | string[] | undefined>): Record<string, string | string[] | undefined> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !VOLATILE.has(name)));
}

t.test('fast path and fastify path answer alike', async (t) => {
  const seen: string[] = [];
  const upstream = createServer((req: IncomingMessage, res: ServerResponse) => {
    seen.push(req.url ?? '');
    const answer = UPSTREAM[req.url ?? ''] ?? { status: 404, body: '{}', headers: { 'content-type': 'application/json' } };
    res.writeHead(answer.status, { ...answer.headers, 'content-length': String(Buffer.byteLength(answer.body)) });
    res.end(answer.body);
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => upstream.close(() => resolve())));
  const url = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  const gw = await startGatewayProcess({ capability: 'capability.yaml', env: { LABEL_STUDIO_API_KEY: 'k' }, args: ['--base-uri', url, '--upstream-retries', '0'] });
  t.teardown(() => gw.stop());

  for (const path of [...Object.keys(UPSTREAM), '/api/organizations/abc', '/api/organizations/1/']) {
    for (const method of ['GET', 'HEAD'] as const) {
      const fast = await request(`${gw.url}/v1${path}`, { method, headers: { 'x-request-id': `fast-${method}-${path.replace(/\W/g, '')}` } });
      const fastBody = await fast.body.text();
      const slow = await request(`${gw.url}/v1${path}?via=fastify`, { method, headers: { 'x-request-id': `slow-${method}-${path.replace(/\W/g, '')}` } });
      const slowBody = await slow.body.text();
      t.equal(fast.statusCode, slow.statusCode, `${method} ${path}: status`);
      t.same(stable(fast.headers), stable(slow.headers), `${method} ${path}: headers`);
      t.equal(fastBody.replaceAll('fast-', 'slow-'), slowBody, `${method} ${path}: body`);
      t.equal(fast.headers['x-request-id'], `fast-${method}-${path.replace(/\W/g, '')}`, `${method} ${path}: the request id is echoed`);
    }
  }
  t.notOk(seen.some((u) => u.includes('via')), 'the query string is forwarded by neither path');

  const lines = gw.logObjects().filter((l) => l['msg'] === 'request completed' && typeof l['reqId'] === 'string');
  const fastLine = lines.find((l) => l['reqId'] === 'fast-GET-apiorganizations1');
  const slowLine = lines.find((l) => l['reqId'] === 'slow-GET-apiorganizations1');
  t.ok(fastLine && slowLine, 'both log one access line');
  const fields = (l: Record<string, unknown> | undefined): string[] => Object.keys(l ?? {});
  t.same(fields(fastLine), fields(slowLine), 'with the same fields in the same order');
  t.match(fastLine, { method: 'GET', path: '/v1/api/organizations/1', operationId: 'getOrganizationSettings', statusCode: 200, upstreamStatus: 200 });

  const metrics = await (await request(`${gw.url}/metrics`)).body.text();
  t.match(metrics, /naftiko_gateway_http_requests_total\{operation="getOrganizationSettings",status="200"\} 8\n/, 'GET and HEAD of /1 and /1/, by both paths, count under the operation');
});
