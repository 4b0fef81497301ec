/**
 * Deadlines and cancellation: a timeout answers 504 and aborts the upstream
 * request; a client that disconnects aborts its upstream request too.
 */
import t from 'tap';
import { request } from 'undici';
import { sample, scrape, startRig, TEST_DEADLINE_MS, waitFor } from './helpers.js';

t.test('timeout → 504 problem+json at the deadline, upstream request aborted', async (t) => {
  const { sim, gw } = await startRig(t, ['--upstream-timeout-ms', '300']);
  sim.fault({ kind: 'hang', path: '/api/organizations/1' });
  const started = Date.now();
  const res = await request(`${gw.url}/v1/api/organizations/1`);
  const elapsed = Date.now() - started;
  t.equal(res.statusCode, 504);
  t.match(res.headers['content-type'], /^application\/problem\+json/);
  t.match(await res.body.json(), { status: 504, code: 'NGW_ERR_UPSTREAM_TIMEOUT', detail: /within 300 ms/ });
  // The hang never ends, so any answer is the deadline's; the upper bound is loose for a loaded 2-core machine.
  t.ok(elapsed >= 290 && elapsed < 10_000, `answered after ${elapsed} ms`);
  t.equal(sim.requests.length, 1, 'a hung GET is not retried past its deadline');
  await waitFor(() => sim.requests[0]?.abortedAt !== undefined, TEST_DEADLINE_MS, 'the upstream request to be aborted');
  t.pass('the upstream connection was dropped');
});

t.test('per-operation timeoutMs overrides the global timeout', async (t) => {
  const { sim, gw } = await startRig(t, ['--upstream-timeout-ms', '30000'], 'test/fixtures/capabilities/reliability.yaml');
  sim.fault({ kind: 'delay', ms: 600, path: '/api/organizations/2' });
  sim.fault({ kind: 'delay', ms: 400, path: '/api/organizations/' });
  const started = Date.now();
  const res = await request(`${gw.url}/v1/api/organizations/2`);
  const elapsed = Date.now() - started;
  t.equal(res.statusCode, 504, 'get has timeoutMs: 200');
  t.match(await res.body.json(), { code: 'NGW_ERR_UPSTREAM_TIMEOUT', detail: /within 200 ms/ });
  t.ok(elapsed < 10_000, `answered after ${elapsed} ms, well before the global 30 s`);
  const list = await request(`${gw.url}/v1/api/organizations`);
  t.equal(list.statusCode, 200, 'list keeps the global 30 s timeout');
  await list.body.dump();
});

t.test('client disconnect aborts the upstream request', async (t) => {
  const { sim, gw } = await startRig(t, ['--upstream-timeout-ms', '10000']);
  sim.fault({ kind: 'hang', path: '/api/organizations/1' });
  const controller = new AbortController();
  const pending = request(`${gw.url}/v1/api/organizations/1`, { signal: controller.signal }).catch((err: unknown) => err);
  await waitFor(() => sim.requests.length === 1, TEST_DEADLINE_MS, 'the upstream request');
  controller.abort();
  t.type(await pending, Error, 'the client gave up');
  await waitFor(() => sim.requests[0]?.abortedAt !== undefined, TEST_DEADLINE_MS, 'the upstream request to be aborted');
  t.equal(sim.requests.length, 1, 'not retried');
  const metrics = await scrape(gw.url);
  t.equal(sample(metrics, 'naftiko_gateway_http_requests_total', { operation: 'getOrganizationSettings', status: '499' })?.value, '1', 'counted as 499');
  t.equal(sample(metrics, 'naftiko_gateway_http_requests_in_flight')?.value, '1', 'only the scrape itself is in flight');
});
