/**
 * Gateway-made upstream errors: 502 when the upstream is unreachable, 504 when it is too slow.
 */
import { createServer } from 'node:net';
import t from 'tap';
import { request } from 'undici';
import { startLabelStudio } from '../fixtures/label-studio/simulator.js';
import { startGatewayProcess } from '../helpers/gateway-process.js';

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

t.test('unreachable upstream → 502 problem+json without the key', async (t) => {
  const port = await closedPort();
  const gw = await startGatewayProcess({
    capability: 'capability.yaml',
    env: { LABEL_STUDIO_API_KEY: 'secret-key-for-502', GATEWAY_BASE_URI: `http://127.0.0.1:${port}` },
  });
  t.teardown(() => gw.stop());
  const res = await request(`${gw.url}/v1/api/organizations/1`);
  t.equal(res.statusCode, 502);
  t.match(res.headers['content-type'], /^application\/problem\+json/);
  const text = await res.body.text();
  t.match(JSON.parse(text), { status: 502, code: 'NGW_ERR_UPSTREAM_UNREACHABLE', detail: /unreachable/ });
  t.notOk(text.includes('secret-key-for-502'));
  t.notOk(gw.logs.join('\n').includes('secret-key-for-502'));
});

t.test('slow upstream → 504 after the configured timeout', async (t) => {
  const sim = await startLabelStudio();
  t.teardown(() => sim.close());
  const gw = await startGatewayProcess({
    capability: 'capability.yaml',
    env: { LABEL_STUDIO_API_KEY: sim.legacyToken, GATEWAY_BASE_URI: sim.url },
    args: ['--upstream-timeout-ms', '300'],
  });
  t.teardown(() => gw.stop());
  sim.fault({ kind: 'hang', path: '/api/organizations/1' });
  const started = Date.now();
  const res = await request(`${gw.url}/v1/api/organizations/1`);
  const elapsed = Date.now() - started;
  t.equal(res.statusCode, 504);
  t.match(await res.body.json(), { status: 504, code: 'NGW_ERR_UPSTREAM_TIMEOUT' });
  t.ok(elapsed >= 250 && elapsed < 5000, `answered after ${elapsed} ms`);
});
