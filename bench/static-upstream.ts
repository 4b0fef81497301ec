/**
 * A lean, bench-only upstream: it asks the real Label Studio simulator once for
 * the bodies the benchmark uses (organization 1, the list, a PATCH answer), then
 * serves those exact bytes from a bare `node:http` server (and the list twice
 * over, ~105 KB, for `?ordering=large`). It still checks the
 * `Authorization` header (401 otherwise), so a gateway that forgot to inject
 * the credential cannot look fast. Used identically by every variant, so ratios
 * stay fair when the simulator (which parses, routes and records every request)
 * is the bottleneck on a small machine.
 *
 *   node --import tsx bench/static-upstream.ts [--list-size N]
 * prints one JSON line `{"url","legacyToken"}` once listening.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { request } from 'undici';
import { startLabelStudio } from '../test/fixtures/label-studio/simulator.js';

/** LARGE_LIST is the request for the large list (any other query gets the ~52 KB one). */
const LARGE_LIST = '/api/organizations/?ordering=large';

interface FixedResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

const KEPT_HEADERS = ['content-type', 'allow', 'vary'];

async function capture(base: string, token: string, method: 'GET' | 'PATCH', path: string, body?: string): Promise<FixedResponse> {
  const res = await request(base + path, {
    method,
    headers: { authorization: `Token ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body,
  });
  const bytes = Buffer.from(await res.body.arrayBuffer());
  const headers: Record<string, string> = { 'content-length': String(bytes.length) };
  for (const name of KEPT_HEADERS) {
    const value = res.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  return { status: res.statusCode, headers, body: bytes };
}

function send(response: ServerResponse, fixed: FixedResponse): void {
  response.writeHead(fixed.status, fixed.headers);
  response.end(fixed.body);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { 'list-size': { type: 'string' } }, strict: true });
  const listSize = Number(values['list-size'] ?? '400');
  const sim = await startLabelStudio({ listSize });
  const token = sim.legacyToken;
  const list = await capture(sim.url, token, 'GET', '/api/organizations/');
  const one = await capture(sim.url, token, 'GET', '/api/organizations/1');
  const patched = await capture(sim.url, token, 'PATCH', '/api/organizations/1', JSON.stringify({ title: 'Acme Labeling' }));
  const unauthorized = await capture(sim.url, 'wrong', 'GET', '/api/organizations/1');
  // Past the 64 KB the gateway collects (upstream/exchange.ts), so it streams: the list twice over (~105 KB), built once.
  const largeBody = Buffer.from(JSON.stringify([...(JSON.parse(list.body.toString('utf8')) as unknown[]), ...(JSON.parse(list.body.toString('utf8')) as unknown[])]));
  const large: FixedResponse = { status: 200, headers: { ...list.headers, 'content-length': String(largeBody.length) }, body: largeBody };
  const notFound: FixedResponse = { status: 404, headers: { 'content-type': 'text/html', 'content-length': '9' }, body: Buffer.from('Not Found') };
  await sim.close();

  const expectedAuth = `Token ${token}`;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.headers.authorization !== expectedAuth) {
      req.resume();
      send(res, unauthorized);
      return;
    }
    const url = req.url ?? '';
    if (req.method === 'GET' && url.startsWith('/api/organizations/')) {
      send(res, url === LARGE_LIST ? large : url.length === 19 || url.charCodeAt(19) === 63 ? list : url === '/api/organizations/1' ? one : notFound);
    } else if (req.method === 'PATCH' && url === '/api/organizations/1') {
      // Read the body as Label Studio would before answering.
      req.on('data', noop);
      req.on('end', () => send(res, patched));
    } else {
      req.resume();
      send(res, notFound);
    }
  });
  server.keepAliveTimeout = 72_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => process.exit(0));
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${port}`, legacyToken: token, listBytes: list.body.length, oneBytes: one.body.length })}\n`);
}

function noop(): void {}

main().catch((error: unknown) => {
  process.stderr.write(`static upstream: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
