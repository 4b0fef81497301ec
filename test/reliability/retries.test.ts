/**
 * Retries: idempotent operations only; on connect errors, 502/503/504 and
 * 429; Retry-After honoured; beyond the budget the upstream answer passes.
 */
import t from 'tap';
import { request } from 'undici';
import { parseRetryAfterMs } from '../../src/upstream/retry-after.js';
import { sample, scrape, startRig } from './helpers.js';

t.test('Retry-After parsing: seconds and HTTP dates', async (t) => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  t.equal(parseRetryAfterMs('3', now), 3000);
  t.equal(parseRetryAfterMs(' 0 ', now), 0);
  t.equal(parseRetryAfterMs('Thu, 01 Jan 2026 00:00:05 GMT', now), 5000);
  t.equal(parseRetryAfterMs('Wed, 31 Dec 2025 23:59:00 GMT', now), 0, 'a date in the past means now');
  t.equal(parseRetryAfterMs('soon', now), undefined);
  t.equal(parseRetryAfterMs('-1', now), undefined);
  t.equal(parseRetryAfterMs(undefined, now), undefined);
});

t.test('retries against the simulator', async (t) => {
  const { sim, gw } = await startRig(t, ['--upstream-timeout-ms', '3000']);
  t.afterEach(() => {
    sim.clearFaults();
    sim.clear();
  });

  t.test('503 with Retry-After: 1 → waits a second, then 200', async (t) => {
    sim.fault({ kind: 'status', status: 503, retryAfter: '1', path: '/api/organizations/1', times: 1 });
    const started = Date.now();
    const res = await request(`${gw.url}/v1/api/organizations/1`);
    const elapsed = Date.now() - started;
    t.equal(res.statusCode, 200);
    t.match(await res.body.json(), { id: 1 });
    t.equal(sim.requests.length, 2);
    const gap = (sim.requests[1]?.receivedAt ?? 0) - (sim.requests[0]?.receivedAt ?? 0);
    t.ok(gap >= 950, `second attempt ${gap} ms after the first`);
    t.ok(elapsed < 10_000, `answered after ${elapsed} ms`);
  });

  t.test('429 twice with an HTTP-date Retry-After → third attempt succeeds', async (t) => {
    sim.fault({ kind: 'status', status: 429, retryAfter: new Date(Date.now() - 1000).toUTCString(), path: '/api/organizations/', times: 2 });
    const res = await request(`${gw.url}/v1/api/organizations`);
    t.equal(res.statusCode, 200);
    await res.body.dump();
    t.equal(sim.requests.length, 3);
    const metrics = await scrape(gw.url);
    t.equal(sample(metrics, 'naftiko_gateway_upstream_retries_total', { operation: 'label-studio-subpackage-organizations.list', reason: '429' })?.value, '2');
  });

  t.test('a PATCH marked idempotent (member role) is retried with its body', async (t) => {
    sim.fault({ kind: 'status', status: 502, path: '/api/organizations/1/memberships', times: 1 });
    const res = await request(`${gw.url}/v1/api/organizations/1/memberships`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user_id: 14, role: 'AN' }),
    });
    t.equal(res.statusCode, 200);
    t.match(await res.body.json(), { role: 'AN' });
    t.equal(sim.requests.length, 2);
    t.same(sim.requests.map((r) => r.json), [{ user_id: 14, role: 'AN' }, { user_id: 14, role: 'AN' }]);
  });

  t.test('a dropped connection (connect error) is retried', async (t) => {
    sim.fault({ kind: 'close', path: '/api/organizations/2', times: 1 });
    const res = await request(`${gw.url}/v1/api/organizations/2`);
    t.equal(res.statusCode, 200);
    await res.body.dump();
    t.equal(sim.requests.length, 2);
  });

  t.test('reset-token (POST, not idempotent) is never retried', async (t) => {
    sim.fault({ kind: 'status', status: 503, retryAfter: '0', path: '/api/invite/reset-token' });
    const res = await request(`${gw.url}/v1/api/invite/reset-token`, { method: 'POST' });
    t.equal(res.statusCode, 503, 'the upstream 503 passes through');
    t.equal(res.headers['retry-after'], '0');
    t.match(await res.body.text(), /nginx/);
    t.equal(sim.requests.length, 1);
  });

  t.test('Retry-After beyond the budget → the 429 passes through at once with its Retry-After', async (t) => {
    sim.fault({ kind: 'status', status: 429, retryAfter: '5', path: '/api/organizations/3' });
    const started = Date.now();
    const res = await request(`${gw.url}/v1/api/organizations/3`);
    const elapsed = Date.now() - started;
    t.equal(res.statusCode, 429);
    t.equal(res.headers['retry-after'], '5');
    t.match(await res.body.json(), { status_code: 429, detail: /throttled/ });
    t.equal(sim.requests.length, 1, 'no attempt that could not finish in time');
    t.ok(elapsed < 4_500, `answered after ${elapsed} ms, before the 5 s Retry-After`);
  });

  t.test('a persistent 503 ends after two retries with the upstream answer', async (t) => {
    sim.fault({ kind: 'status', status: 503, path: '/api/organizations/2' });
    const res = await request(`${gw.url}/v1/api/organizations/2`);
    t.equal(res.statusCode, 503);
    await res.body.dump();
    t.equal(sim.requests.length, 3);
  });
});
