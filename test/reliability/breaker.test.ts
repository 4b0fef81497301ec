/**
 * Circuit breaker per upstream: consecutive failures open it (503 + Retry-After
 * at once, visible in /readyz and /metrics); after the cool-down one trial
 * call closes it again.
 */
import t from 'tap';
import { request } from 'undici';
import { sample, scrape, startRig, waitFor } from './helpers.js';

const UPSTREAM = 'label-studio-subpackage-organizations';

t.test('breaker opens after 3 failures, fails fast, half-opens and recovers', async (t) => {
  const { sim, gw } = await startRig(t, ['--breaker-threshold', '3', '--breaker-cooldown-ms', '1500', '--upstream-retries', '0']);
  const ready = await request(`${gw.url}/readyz`);
  t.equal(ready.statusCode, 200);
  t.match(await ready.body.json(), { status: 'ready', upstreams: [{ namespace: UPSTREAM, circuit: 'closed' }] });
  // The first scrape loads prom-client (ops/metrics.ts): done before the cool-down starts, which the scrape below must beat.
  t.equal(sample(await scrape(gw.url), 'naftiko_gateway_upstream_circuit_state', { upstream: UPSTREAM })?.value, '0', 'closed at first');

  const fault = sim.fault({ kind: 'status', status: 503, pathPrefix: '/api/organizations' });
  for (let i = 0; i < 3; i++) {
    const res = await request(`${gw.url}/v1/api/organizations/1`);
    t.equal(res.statusCode, 503, `failure ${i + 1} is the upstream's own 503`);
    t.match(await res.body.text(), /nginx/);
  }
  const started = Date.now();
  const open = await request(`${gw.url}/v1/api/organizations/2`);
  t.equal(open.statusCode, 503);
  t.match(open.headers['content-type'], /^application\/problem\+json/);
  t.ok(['1', '2'].includes(String(open.headers['retry-after'])), `Retry-After ${String(open.headers['retry-after'])}: the rest of the 1.5 s cool-down, rounded up`);
  t.match(await open.body.json(), { status: 503, code: 'NGW_ERR_UPSTREAM_CIRCUIT_OPEN' });
  t.ok(Date.now() - started < 1_500, 'answered within the cool-down, without waiting on the upstream');
  t.equal(fault.hits, 3, 'the open circuit sent nothing upstream');

  const notReady = await request(`${gw.url}/readyz`);
  t.equal(notReady.statusCode, 503);
  t.ok(notReady.headers['retry-after'], 'readyz says when to look again');
  t.match(await notReady.body.json(), { status: 'unavailable', upstreams: [{ namespace: UPSTREAM, circuit: 'open' }] });
  t.equal(sample(await scrape(gw.url), 'naftiko_gateway_upstream_circuit_state', { upstream: UPSTREAM })?.value, '1');

  fault.remove();
  const reopenAt = Date.now() + 1550;
  await waitFor(() => Date.now() >= reopenAt, 3000, 'the cool-down');
  const trial = await request(`${gw.url}/v1/api/organizations/1`);
  t.equal(trial.statusCode, 200, 'the half-open trial goes through and succeeds');
  await trial.body.dump();
  const recovered = await request(`${gw.url}/readyz`);
  t.equal(recovered.statusCode, 200);
  t.match(await recovered.body.json(), { upstreams: [{ circuit: 'closed' }] });
  t.equal(sample(await scrape(gw.url), 'naftiko_gateway_upstream_circuit_state', { upstream: UPSTREAM })?.value, '0');
  const line = await gw.waitForLog((l) => l['msg'] === 'circuit open');
  t.equal(line['upstream'], UPSTREAM);
});

t.test('a failed half-open trial re-opens the circuit', async (t) => {
  const { sim, gw } = await startRig(t, ['--breaker-threshold', '2', '--breaker-cooldown-ms', '1500', '--upstream-retries', '0', '--upstream-timeout-ms', '300']);
  sim.fault({ kind: 'hang', path: '/api/organizations/1' });
  for (let i = 0; i < 2; i++) {
    const res = await request(`${gw.url}/v1/api/organizations/1`);
    t.equal(res.statusCode, 504, 'timeouts count as failures');
    await res.body.dump();
  }
  const open = await request(`${gw.url}/v1/api/organizations/1`);
  t.equal(open.statusCode, 503);
  await open.body.dump();
  const halfOpenAt = Date.now() + 1550;
  await waitFor(() => Date.now() >= halfOpenAt, 3000, 'the cool-down');
  const trial = await request(`${gw.url}/v1/api/organizations/1`);
  t.equal(trial.statusCode, 504, 'the trial times out');
  await trial.body.dump();
  const again = await request(`${gw.url}/v1/api/organizations/1`);
  t.equal(again.statusCode, 503, 'and the circuit is open again');
  t.match(await again.body.json(), { code: 'NGW_ERR_UPSTREAM_CIRCUIT_OPEN' });
  t.equal(sim.requests.length, 3);
});
