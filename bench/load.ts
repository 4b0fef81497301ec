/**
 * Load generation: autocannon (programmatic) at saturation for throughput, and
 * an open-loop fixed-rate probe with microsecond timing for latency below the
 * knee (autocannon's histogram keeps whole milliseconds, too coarse for a
 * 1 ms budget).
 */
import autocannon from 'autocannon';
import { Pool } from 'undici';

/** Target is one HTTP request the load generators repeat. */
export interface Target {
  readonly url: string;
  readonly method: 'GET' | 'HEAD' | 'PATCH' | 'POST';
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

/** Saturation is one autocannon round. */
export interface Saturation {
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly requests: number;
  /** Socket errors, timeouts and non-2xx answers. */
  readonly errors: number;
  /** CPU time the server in front of the upstream spent per request (µs), when measured. */
  readonly serverCpuUsPerRequest?: number;
}

/** saturate runs autocannon against a target for `seconds`. */
export async function saturate(target: Target, seconds: number, connections: number): Promise<Saturation> {
  const result = await autocannon({
    url: target.url,
    method: target.method,
    headers: target.headers,
    body: target.body,
    connections,
    pipelining: 1,
    duration: seconds,
    timeout: 10,
  });
  return {
    rps: result.requests.total / (result.duration > 0 ? result.duration : seconds),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    maxMs: result.latency.max,
    requests: result.requests.total,
    errors: result.errors + result.timeouts + result.non2xx,
  };
}

/** Latency is one fixed-rate round, in milliseconds with microsecond resolution. */
export interface Latency {
  readonly rate: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly requests: number;
  readonly errors: number;
}

const TICK_MS = 5;

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/** fixedRate sends `rate` requests per second for `seconds` (open loop) and measures each. */
export async function fixedRate(target: Target, rate: number, seconds: number): Promise<Latency> {
  const url = new URL(target.url);
  const pool = new Pool(url.origin, { connections: 32 });
  const path = url.pathname + url.search;
  const samples: number[] = [];
  let errors = 0;
  const inFlight = new Set<Promise<void>>();
  const once = async (): Promise<void> => {
    const start = process.hrtime.bigint();
    try {
      const res = await pool.request({ method: target.method, path, headers: target.headers, body: target.body });
      await res.body.dump({ limit: Number.MAX_SAFE_INTEGER });
      if (res.statusCode >= 400) errors++;
      else samples.push(Number(process.hrtime.bigint() - start) / 1e6);
    } catch {
      errors++;
    }
  };
  const begin = performance.now();
  let sent = 0;
  const total = Math.round(rate * seconds);
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - begin) / 1000) * rate) + 1);
    while (sent < due) {
      const p = once();
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
      sent++;
    }
    await new Promise((r) => setTimeout(r, TICK_MS));
  }
  await Promise.all(inFlight);
  await pool.close();
  samples.sort((a, b) => a - b);
  return { rate, p50Ms: percentile(samples, 50), p99Ms: percentile(samples, 99), maxMs: samples[samples.length - 1] ?? 0, requests: sent, errors };
}
