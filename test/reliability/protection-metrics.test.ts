/**
 * Inbound rate limiting per client (429 problem+json, Retry-After, RateLimit-*)
 * and `/metrics` as Prometheus text exposition, read with a real parser.
 */
import t from 'tap';
import { request } from 'undici';
import { sample, scrape, startRig } from './helpers.js';

t.test('inbound rate limit: per client key, 429 problem+json with Retry-After and RateLimit-* headers', async (t) => {
  const { gw } = await startRig(t, ['--rate-limit', '3', '--rate-limit-window-ms', '60000']);
  for (let i = 0; i < 3; i++) {
    const res = await request(`${gw.url}/v1/api/organizations/1`);
    t.equal(res.statusCode, 200);
    t.equal(res.headers['ratelimit-limit'], '3');
    t.equal(res.headers['ratelimit-remaining'], String(2 - i));
    await res.body.dump();
  }
  const limited = await request(`${gw.url}/v1/api/organizations/1`);
  t.equal(limited.statusCode, 429);
  t.match(limited.headers['content-type'], /^application\/problem\+json/);
  t.ok(Number(limited.headers['retry-after']) > 0, `Retry-After: ${String(limited.headers['retry-after'])}`);
  t.equal(limited.headers['ratelimit-remaining'], '0');
  t.ok(limited.headers['x-request-id'], 'still carries the request id');
  t.match(await limited.body.json(), { status: 429, code: 'NGW_ERR_RATE_LIMITED', detail: /more than 3 requests/ });

  const other = await request(`${gw.url}/v1/api/organizations/1`, { headers: { authorization: 'Bearer another-client' } });
  t.equal(other.statusCode, 200, 'another client key has its own budget');
  await other.body.dump();
  for (const path of ['/healthz', '/readyz', '/metrics']) {
    const ops = await request(`${gw.url}${path}`);
    t.equal(ops.statusCode, 200, `${path} is never rate limited`);
    await ops.body.dump();
  }
  const metrics = await scrape(gw.url);
  t.equal(sample(metrics, 'naftiko_gateway_http_requests_total', { operation: 'getOrganizationSettings', status: '429' })?.value, '1');
});

t.test('/metrics parses as Prometheus text exposition', async (t) => {
  const { sim, gw } = await startRig(t, ['--upstream-retries', '1']);
  sim.fault({ kind: 'status', status: 503, retryAfter: '0', path: '/api/organizations/2', times: 1 });
  for (const path of ['/v1/api/organizations/1', '/v1/api/organizations/1', '/v1/api/organizations/2', '/v1/api/organizations/x', '/nowhere']) {
    const res = await request(`${gw.url}${path}`);
    await res.body.dump();
  }
  const res = await request(`${gw.url}/metrics`);
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /^text\/plain; version=0\.0\.4/);
  const families = await scrape(gw.url);
  const byName = new Map(families.map((f) => [f.name, f]));
  t.equal(byName.get('naftiko_gateway_http_requests_total')?.type, 'COUNTER');
  t.equal(byName.get('naftiko_gateway_http_request_duration_seconds')?.type, 'HISTOGRAM');
  t.equal(byName.get('naftiko_gateway_http_requests_in_flight')?.type, 'GAUGE');
  t.equal(byName.get('naftiko_gateway_upstream_request_duration_seconds')?.type, 'HISTOGRAM');
  t.equal(byName.get('naftiko_gateway_upstream_retries_total')?.type, 'COUNTER');
  t.equal(byName.get('naftiko_gateway_upstream_circuit_state')?.type, 'GAUGE');
  t.equal(byName.get('process_cpu_seconds_total')?.type, 'COUNTER', 'default process metrics');
  t.ok(byName.has('nodejs_eventloop_lag_seconds'), 'event-loop lag');

  t.equal(sample(families, 'naftiko_gateway_http_requests_total', { operation: 'getOrganizationSettings', status: '200' })?.value, '3');
  t.equal(sample(families, 'naftiko_gateway_http_requests_total', { operation: 'getOrganizationSettings', status: '400' })?.value, '1');
  t.equal(sample(families, 'naftiko_gateway_http_requests_total', { operation: 'unmatched', status: '404' })?.value, '1');
  t.equal(sample(families, 'naftiko_gateway_upstream_retries_total', { operation: 'label-studio-subpackage-organizations.get', reason: '503' })?.value, '1');
  t.equal(sample(families, 'naftiko_gateway_upstream_circuit_state', { upstream: 'label-studio-subpackage-organizations' })?.value, '0');
  t.equal(sample(families, 'naftiko_gateway_http_requests_in_flight')?.value, '1', 'the scrape itself');
  // parse-prometheus-text-format flattens labelled histograms (prom2json's shape), so histograms are checked by type above.
});

t.test('load shedding under pressure: 503 problem+json with Retry-After; liveness and metrics still answer', async (t) => {
  // A 1-byte heap ceiling is always exceeded once under-pressure has taken its first sample (after ~1 s).
  const { sim, gw } = await startRig(t, ['--max-heap-used-bytes', '1']);
  let status = 0;
  let answer: Awaited<ReturnType<typeof request>> | undefined;
  for (let i = 0; i < 40 && status !== 503; i++) {
    await answer?.body.dump();
    answer = await request(`${gw.url}/v1/api/organizations/1`);
    status = answer.statusCode;
    if (status !== 503) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  t.equal(status, 503);
  t.equal(answer?.headers['retry-after'], '10');
  t.match(answer?.headers['content-type'], /^application\/problem\+json/);
  t.match(await answer?.body.json(), { status: 503, code: 'NGW_ERR_OVERLOADED' });
  sim.clear();
  const shed = await request(`${gw.url}/v1/api/organizations/2`);
  t.equal(shed.statusCode, 503);
  await shed.body.dump();
  t.equal(sim.requests.length, 0, 'shed requests never reach the upstream');
  for (const [path, expected] of [['/healthz', 200], ['/metrics', 200], ['/readyz', 503]] as const) {
    const res = await request(`${gw.url}${path}`);
    t.equal(res.statusCode, expected, `${path} answers ${expected}`);
    await res.body.dump();
  }
});
