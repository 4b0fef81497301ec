/**
 * Identity routes pass upstream bodies through byte for byte, whether the gateway buffers
 * them (small, known length) or streams them (large or unknown length), and error bodies too.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { request } from 'undici';
import { startGatewayProcess } from '../helpers/gateway-process.js';

const INVALID_UTF8 = Buffer.concat([Buffer.from('{"title":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}')]);
const LARGE = Buffer.from(JSON.stringify(Array.from({ length: 4000 }, (_, id) => ({ id, title: `Organization ${id} — ünïcödé` }))));
const ACCENTED = Buffer.from('{"title":"Café — 東京"}');

const BODIES: Record<string, { status: number; body: Buffer; chunked?: boolean }> = {
  '/api/organizations/1': { status: 200, body: INVALID_UTF8 },
  '/api/organizations/2': { status: 200, body: LARGE },
  '/api/organizations/3': { status: 200, body: ACCENTED, chunked: true },
  '/api/organizations/4': { status: 200, body: ACCENTED },
  '/api/organizations/5': { status: 403, body: INVALID_UTF8 },
};

t.test('identity bodies pass through unchanged', async (t) => {
  const upstream = createServer((req: IncomingMessage, res: ServerResponse) => {
    const answer = BODIES[req.url ?? ''] ?? { status: 404, body: Buffer.from('{}') };
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (answer.chunked !== true) headers['content-length'] = String(answer.body.length);
    res.writeHead(answer.status, headers);
    res.end(answer.body);
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => upstream.close(() => resolve())));
  const url = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  const gw = await startGatewayProcess({ capability: 'capability.yaml', env: { LABEL_STUDIO_API_KEY: 'k' }, args: ['--base-uri', url] });
  t.teardown(() => gw.stop());

  for (const [path, want] of Object.entries(BODIES)) {
    const res = await request(`${gw.url}/v1${path}`);
    const got = Buffer.from(await res.body.arrayBuffer());
    t.equal(res.statusCode, want.status, `${path} status`);
    t.ok(got.equals(want.body), `${path} body is byte-identical (${want.body.length} bytes)`);
    if (want.chunked !== true) t.equal(res.headers['content-length'], String(want.body.length), `${path} content-length`);
  }
});
