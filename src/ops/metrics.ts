/**
 * Prometheus metrics (prom-client) on a registry of the gateway's own, so
 * several gateways in one process (tests) never share series. Label children
 * are looked up once per route/operation and status and then reused: the hot
 * path does a Map lookup and two observations.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CompiledOperation } from '../capability/compiled.js';
import type { ErrorCode } from '../core/errors.js';
import { CIRCUIT_STATE_VALUES, type CircuitBreakers } from '../upstream/breakers.js';
import type { UpstreamObserver } from '../upstream/client.js';

/** METRIC_PREFIX starts every gateway metric name (process metrics keep prom-client's standard names). */
export const METRIC_PREFIX = 'naftiko_gateway_';

// Latencies of a gateway in front of a SaaS API: from sub-millisecond (errors) to the 30 s default timeout.
const LATENCY_BUCKETS_S = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** Error outcomes as upstream status labels. */
const OUTCOME_LABELS: Partial<Record<ErrorCode, string>> = {
  NGW_ERR_UPSTREAM_TIMEOUT: 'timeout',
  NGW_ERR_UPSTREAM_UNREACHABLE: 'unreachable',
  NGW_ERR_CLIENT_CLOSED_REQUEST: 'client_closed',
  NGW_ERR_UPSTREAM_CIRCUIT_OPEN: 'circuit_open',
  NGW_ERR_UPSTREAM_THROTTLED: 'throttled',
};

interface RequestChildren {
  readonly count: Counter.Internal;
  readonly duration: Histogram.Internal<string>;
}

/** RouteMeter records the requests of one route (or operation); precreated at boot. */
export class RouteMeter {
  private readonly byStatus = new Map<number, RequestChildren>();

  constructor(
    private readonly metrics: GatewayMetrics,
    readonly operation: string,
  ) {}

  /** record counts one finished request. */
  record(status: number, seconds: number): void {
    let children = this.byStatus.get(status);
    if (children === undefined) {
      const label = String(status);
      children = {
        count: this.metrics.requests.labels(this.operation, label),
        duration: this.metrics.requestDuration.labels(this.operation, label),
      };
      this.byStatus.set(status, children);
    }
    children.count.inc();
    children.duration.observe(seconds);
  }
}

interface UpstreamChildren {
  readonly byOutcome: Map<number | string, Histogram.Internal<string>>;
  readonly retries: Map<number | string, Counter.Internal>;
}

/** GatewayMetrics owns the registry and every gateway metric. */
export class GatewayMetrics implements UpstreamObserver {
  readonly registry = new Registry();
  readonly requests: Counter<'operation' | 'status'>;
  readonly requestDuration: Histogram<'operation' | 'status'>;
  readonly inFlight: Gauge;
  readonly upstreamDuration: Histogram<'upstream' | 'operation' | 'status'>;
  readonly retries: Counter<'upstream' | 'operation' | 'reason'>;
  private readonly upstreamByOp = new Map<string, UpstreamChildren>();

  constructor(options: { readonly defaultMetrics: boolean } = { defaultMetrics: true }) {
    const registers = [this.registry];
    this.requests = new Counter({
      name: `${METRIC_PREFIX}http_requests_total`,
      help: 'Requests answered, by operation (or ops route) and status code.',
      labelNames: ['operation', 'status'],
      registers,
    });
    this.requestDuration = new Histogram({
      name: `${METRIC_PREFIX}http_request_duration_seconds`,
      help: 'Time from request to response, by operation (or ops route) and status code.',
      labelNames: ['operation', 'status'],
      buckets: LATENCY_BUCKETS_S,
      registers,
    });
    this.inFlight = new Gauge({ name: `${METRIC_PREFIX}http_requests_in_flight`, help: 'Requests being handled now.', registers });
    this.upstreamDuration = new Histogram({
      name: `${METRIC_PREFIX}upstream_request_duration_seconds`,
      help: 'Upstream attempts until response headers, by upstream, operation and status (or timeout, unreachable, client_closed).',
      labelNames: ['upstream', 'operation', 'status'],
      buckets: LATENCY_BUCKETS_S,
      registers,
    });
    this.retries = new Counter({
      name: `${METRIC_PREFIX}upstream_retries_total`,
      help: 'Upstream attempts repeated, by upstream, operation and the reason (status or unreachable).',
      labelNames: ['upstream', 'operation', 'reason'],
      registers,
    });
    if (options.defaultMetrics) collectDefaultMetrics({ register: this.registry });
  }

  /** meter creates the recorder of one route or operation. */
  meter(operation: string): RouteMeter {
    return new RouteMeter(this, operation);
  }

  /** attempt implements UpstreamObserver. */
  attempt(op: CompiledOperation, outcome: number | ErrorCode, durationMs: number): void {
    const children = this.upstreamChildren(op);
    let child = children.byOutcome.get(outcome);
    if (child === undefined) {
      child = this.upstreamDuration.labels(op.upstream.namespace, op.key, outcomeLabel(outcome));
      children.byOutcome.set(outcome, child);
    }
    child.observe(durationMs / 1000);
  }

  /** retry implements UpstreamObserver. */
  retry(op: CompiledOperation, reason: number | ErrorCode): void {
    const children = this.upstreamChildren(op);
    let child = children.retries.get(reason);
    if (child === undefined) {
      child = this.retries.labels(op.upstream.namespace, op.key, outcomeLabel(reason));
      children.retries.set(reason, child);
    }
    child.inc();
  }

  /** trackBreakers reports every breaker's state at scrape time (an open circuit turns half-open by the clock, not by an event). */
  trackBreakers(breakers: CircuitBreakers): void {
    const all = breakers.all();
    const gauge = new Gauge({
      name: `${METRIC_PREFIX}upstream_circuit_state`,
      help: 'Circuit breaker state per upstream: 0 closed, 1 open, 2 half-open.',
      labelNames: ['upstream'],
      registers: [this.registry],
      collect(): void {
        for (const b of all) this.labels(b.namespace).set(CIRCUIT_STATE_VALUES[b.state]);
      },
    });
    for (const b of all) gauge.labels(b.namespace).set(0);
  }

  private upstreamChildren(op: CompiledOperation): UpstreamChildren {
    let children = this.upstreamByOp.get(op.key);
    if (children === undefined) {
      children = { byOutcome: new Map(), retries: new Map() };
      this.upstreamByOp.set(op.key, children);
    }
    return children;
  }
}

function outcomeLabel(outcome: number | ErrorCode): string {
  return typeof outcome === 'number' ? String(outcome) : (OUTCOME_LABELS[outcome] ?? outcome.slice('NGW_ERR_'.length).toLowerCase());
}
