/**
 * HEAD of a route whose upstream body would be streamed (no content-length, or
 * more than the buffered maximum): the fast path and the fastify path (a
 * percent-encoded path, see fast-path.test.ts) answer the same headers without a
 * body, and the gateway keeps serving (the fast path once died on the undici
 * body stream it dropped unread). GET routes answer HEAD from their own route
 * (routes.ts), as fastify's automatic HEAD route did.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import { request } from 'undici';
import { startGatewayProcess } from '../helpers/gateway-process.js';

const LARGE = JSON.stringify({ items: Array.from({ length: 8000 }, (_, i) => ({ id: i, title: `org ${i}` })) });

function answer(req: IncomingMessage, res: ServerResponse): void {
  if (req.url === '/api/organizations/1') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"id":1,');
    res.end('"title":"chunked"}');
  } else if (req.url === '/api/organizations/2') {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(LARGE)) });
    res.end(LARGE);
  } else if (req.url === '/api/organizations/3') {
    res.writeHead(204);
    res.end();
  } else {
    res.writeHead(404, { 'content-type': 'application/json', 'content-length': '2' });
    res.end('{}');
  }
}

async function startUpstream(t: Test): Promise<string> {
  const upstream = createServer(answer);
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => upstream.close(() => resolve())));
  return `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
}

function stable(headers: Record<string, string | string[] | undefined>): Record<string, string | string[] | undefined> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => name !== 'x-request-id' && name !== 'date'));
}

t.test('HEAD of streamed, large and empty upstream bodies: both paths alike, and the gateway stays up', async (t) => {
  const upstream = await startUpstream(t);
  const gw = await startGatewayProcess({ capability: 'capability.yaml', env: { LABEL_STUDIO_API_KEY: 'k' }, args: ['--base-uri', upstream, '--upstream-retries', '0'] });
  t.teardown(() => gw.stop());
  for (const id of ['1', '2', '3']) {
    const fast = await request(`${gw.url}/v1/api/organizations/${id}`, { method: 'HEAD' });
    const fastBody = await fast.body.text();
    const slow = await request(`${gw.url}/%761/api/organizations/${id}`, { method: 'HEAD' });
    const slowBody = await slow.body.text();
    t.equal(fast.statusCode, id === '3' ? 204 : 200, `HEAD ${id}: the upstream's status`);
    t.equal(slow.statusCode, fast.statusCode, `HEAD ${id}: both paths' status`);
    t.same(stable(slow.headers), stable(fast.headers), `HEAD ${id}: both paths' headers`);
    t.equal(fastBody + slowBody, '', `HEAD ${id}: no body`);
    if (id === '2') t.equal(fast.headers['content-length'], String(Buffer.byteLength(LARGE)), 'HEAD 2: the length of the GET answer');
    if (id === '1') t.equal(fast.headers['content-length'], undefined, 'HEAD 1: no length for a streamed body');
  }
  for (const id of ['1', '2']) {
    const get = await request(`${gw.url}/v1/api/organizations/${id}`);
    const body = await get.body.text();
    t.equal(get.statusCode, 200, `GET ${id} after the HEADs: still served`);
    t.equal(body, id === '1' ? '{"id":1,"title":"chunked"}' : LARGE, `GET ${id}: the upstream's bytes`);
  }
  t.notOk(gw.logs.some((line) => line.includes('fatal error')), 'no fatal error logged');
  t.equal(gw.child.exitCode, null, 'the gateway is still running');
});
