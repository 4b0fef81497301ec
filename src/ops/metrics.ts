/**
 * Prometheus metrics on a registry of the gateway's own, so several gateways
 * in one process (tests) never share series. The per-request series are plain
 * counters in preallocated objects (a request adds to a few numbers, without
 * prom-client hashing its labels); prom-client renders them at scrape time
 * from the same value shapes its own Counter and Histogram produce, so
 * `/metrics` reads exactly as before. prom-client itself (and its
 * default process metrics) load at the first scrape: a gateway nobody scrapes
 * does not pay for them, nor for loading prom-client (~50 ms of every start).
 */
import type { Metric, Registry } from 'prom-client';
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

type Labels = Readonly<Record<string, string>>;

/** PROMETHEUS_CONTENT_TYPE is the `/metrics` content type (prom-client's Registry.PROMETHEUS_CONTENT_TYPE). */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

type PromClient = typeof import('prom-client');
/** Registration puts one metric on the registry, built at the first scrape in declaration order (the order `/metrics` lists them). */
type Registration = (prom: PromClient, registry: Registry) => void;

/** A value as prom-client's registry formats it (metricName, labels, sharedLabels: see its Histogram). */
interface ExportedValue {
  readonly labels: Record<string, string | number>;
  readonly value: number;
  readonly metricName?: string;
  readonly sharedLabels?: Labels;
  readonly exemplar?: null;
}

/** CounterSeries is one label set of a counter. */
export class CounterSeries {
  value = 0;
  constructor(readonly labels: Labels) {}
}

/** HistogramSeries is one label set of a histogram: per-bucket (not cumulative) counts, sum and count. */
class HistogramSeries {
  readonly buckets: number[] = new Array<number>(LATENCY_BUCKETS_S.length).fill(0);
  sum = 0;
  count = 0;
  constructor(readonly labels: Labels) {}

  observe(seconds: number): void {
    const bounds = LATENCY_BUCKETS_S;
    for (let i = 0; i < bounds.length; i++) {
      if (seconds <= (bounds[i] as number)) {
        (this.buckets[i] as number)++;
        break;
      }
    }
    this.sum += seconds;
    this.count++;
  }
}

/** MetricFamily is a counter or histogram whose series are kept here and read by prom-client at scrape time. */
abstract class MetricFamily<S> {
  readonly aggregator = 'sum' as const;
  /** Series in creation order, as prom-client lists a metric's label sets. */
  protected readonly series: S[] = [];

  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'histogram',
  ) {}

  /** add creates a series (once per label set, by the caller's own cache). */
  add(s: S): S {
    this.series.push(s);
    return s;
  }

  abstract get(): { name: string; help: string; type: string; values: ExportedValue[]; aggregator: 'sum' };
}

/** CounterFamily is a counter whose series are created by their users (once per label set) and read at scrape time. */
export class CounterFamily extends MetricFamily<CounterSeries> {
  constructor(name: string, help: string) {
    super(name, help, 'counter');
  }

  get(): { name: string; help: string; type: string; values: ExportedValue[]; aggregator: 'sum' } {
    const values = this.series.map((s) => ({ value: s.value, labels: { ...s.labels } }));
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }
}

class HistogramFamily extends MetricFamily<HistogramSeries> {
  constructor(name: string, help: string) {
    super(name, help, 'histogram');
  }

  get(): { name: string; help: string; type: string; values: ExportedValue[]; aggregator: 'sum' } {
    const bucketName = `${this.name}_bucket`;
    const values: ExportedValue[] = [];
    for (const s of this.series) {
      let acc = 0;
      for (let i = 0; i < LATENCY_BUCKETS_S.length; i++) {
        acc += s.buckets[i] as number;
        values.push({ labels: { le: LATENCY_BUCKETS_S[i] as number }, sharedLabels: s.labels, value: acc, metricName: bucketName, exemplar: null });
      }
      values.push({ labels: { le: '+Inf' }, sharedLabels: s.labels, value: s.count, metricName: bucketName, exemplar: null });
      values.push({ labels: {}, sharedLabels: s.labels, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: {}, sharedLabels: s.labels, value: s.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }
}

interface RequestSeries {
  readonly count: CounterSeries;
  readonly duration: HistogramSeries;
}

/** RouteMeter records the requests of one route (or operation); precreated at boot. */
export class RouteMeter {
  private readonly byStatus = new Map<number, RequestSeries>();

  constructor(
    private readonly metrics: GatewayMetrics,
    readonly operation: string,
    /** The capability serving the route, in a set of several (docs/families.md); undefined otherwise. */
    readonly capability?: string | undefined,
  ) {}

  /** record counts one finished request. */
  record(status: number, seconds: number): void {
    let series = this.byStatus.get(status);
    if (series === undefined) {
      const labels: Labels = this.capability === undefined ? { operation: this.operation, status: String(status) } : { capability: this.capability, operation: this.operation, status: String(status) };
      series = { count: this.metrics.requests.add(new CounterSeries(labels)), duration: this.metrics.requestDuration.add(new HistogramSeries(labels)) };
      this.byStatus.set(status, series);
    }
    series.count.value++;
    series.duration.observe(seconds);
  }
}

interface UpstreamSeries {
  readonly byOutcome: Map<number | string, HistogramSeries>;
  readonly retries: Map<number | string, CounterSeries>;
}

/** GatewayMetrics owns every gateway metric, and the registry that renders them once `/metrics` is first scraped. */
export class GatewayMetrics implements UpstreamObserver {
  readonly requests = new CounterFamily(`${METRIC_PREFIX}http_requests_total`, 'Requests answered, by operation (or ops route) and status code.');
  readonly requestDuration = new HistogramFamily(`${METRIC_PREFIX}http_request_duration_seconds`, 'Time from request to response, by operation (or ops route) and status code.');
  /** Requests being handled now; read by the gauge at scrape time. */
  inFlight = 0;
  readonly upstreamDuration = new HistogramFamily(
    `${METRIC_PREFIX}upstream_request_duration_seconds`,
    'Upstream attempts until response headers, by upstream, operation and status (or timeout, unreachable, client_closed).',
  );
  readonly retries = new CounterFamily(`${METRIC_PREFIX}upstream_retries_total`, 'Upstream attempts repeated, by upstream, operation and the reason (status or unreachable).');
  // Keyed by name, so a reloaded capability's routes and operations continue the same series.
  private readonly upstreamByOp = new Map<string, UpstreamSeries>();
  private readonly meters = new Map<string, RouteMeter>();
  private readonly defaultMetrics: boolean;
  private readonly registrations: Registration[] = [];
  private prom: { readonly client: PromClient; readonly registry: Registry } | undefined;

  constructor(options: { readonly defaultMetrics: boolean } = { defaultMetrics: true }) {
    this.defaultMetrics = options.defaultMetrics;
    this.declare(registerFamily(this.requests));
    this.declare(registerFamily(this.requestDuration));
    const inFlight = (): number => this.inFlight;
    this.declare((prom, registry) => {
      new prom.Gauge({
        name: `${METRIC_PREFIX}http_requests_in_flight`,
        help: 'Requests being handled now.',
        registers: [registry],
        collect(): void {
          this.set(inFlight());
        },
      });
    });
    this.declare(registerFamily(this.upstreamDuration));
    this.declare(registerFamily(this.retries));
  }

  /** counter declares one more counter whose series its user creates (listed after the metrics declared before it). */
  counter(name: string, help: string): CounterFamily {
    const family = new CounterFamily(name, help);
    this.declare(registerFamily(family));
    return family;
  }

  /** render is the `/metrics` text (Prometheus exposition format, PROMETHEUS_CONTENT_TYPE). */
  async render(): Promise<string> {
    const registry = this.prom?.registry ?? (await this.createRegistry());
    return registry.metrics();
  }

  private async createRegistry(): Promise<Registry> {
    const client = await import('prom-client');
    // Two first scrapes at once: the one that finished loading first built it.
    if (this.prom !== undefined) return this.prom.registry;
    const registry = new client.Registry();
    for (const registration of this.registrations) registration(client, registry);
    // The process metrics go last, as they always did (started by the first scrape).
    if (this.defaultMetrics) client.collectDefaultMetrics({ register: registry });
    this.prom = { client, registry };
    return registry;
  }

  private declare(registration: Registration): void {
    this.registrations.push(registration);
    if (this.prom !== undefined) registration(this.prom.client, this.prom.registry);
  }

  /** meter is the recorder of one route or operation (the same one for the same name and capability). */
  meter(operation: string, capability?: string): RouteMeter {
    const key = capability === undefined ? operation : `${capability}\0${operation}`;
    let meter = this.meters.get(key);
    if (meter === undefined) {
      meter = new RouteMeter(this, operation, capability);
      this.meters.set(key, meter);
    }
    return meter;
  }

  /** attempt implements UpstreamObserver. */
  attempt(op: CompiledOperation, outcome: number | ErrorCode, durationMs: number): void {
    const series = this.upstreamSeries(op);
    let s = series.byOutcome.get(outcome);
    if (s === undefined) {
      s = this.upstreamDuration.add(new HistogramSeries({ upstream: op.upstream.namespace, ...capabilityLabel(op), operation: op.key, status: outcomeLabel(outcome) }));
      series.byOutcome.set(outcome, s);
    }
    s.observe(durationMs / 1000);
  }

  /** retry implements UpstreamObserver. */
  retry(op: CompiledOperation, reason: number | ErrorCode): void {
    const series = this.upstreamSeries(op);
    let s = series.retries.get(reason);
    if (s === undefined) {
      s = this.retries.add(new CounterSeries({ upstream: op.upstream.namespace, ...capabilityLabel(op), operation: op.key, reason: outcomeLabel(reason) }));
      series.retries.set(reason, s);
    }
    s.value++;
  }

  /** trackBreakers reports every breaker's state at scrape time (an open circuit turns half-open by the clock, not by an event). */
  trackBreakers(breakers: CircuitBreakers): void {
    const all = breakers.all();
    this.declare((prom, registry) => {
      const gauge = new prom.Gauge({
        name: `${METRIC_PREFIX}upstream_circuit_state`,
        help: 'Circuit breaker state per upstream: 0 closed, 1 open, 2 half-open.',
        labelNames: ['upstream'],
        registers: [registry],
        collect(): void {
          for (const b of all) this.labels(b.namespace).set(CIRCUIT_STATE_VALUES[b.state]);
        },
      });
      for (const b of all) gauge.labels(b.namespace).set(0);
    });
  }

  private upstreamSeries(op: CompiledOperation): UpstreamSeries {
    // In a set, two capabilities may reuse one `namespace.operation` key.
    const key = op.capability === undefined ? op.key : `${op.capability}\0${op.key}`;
    let series = this.upstreamByOp.get(key);
    if (series === undefined) {
      series = { byOutcome: new Map(), retries: new Map() };
      this.upstreamByOp.set(key, series);
    }
    return series;
  }
}

function registerFamily(family: MetricFamily<unknown>): Registration {
  return (_prom, registry) => registry.registerMetric(family as unknown as Metric);
}

/** capabilityLabel is the `capability` label of an operation served in a set of several capabilities. */
function capabilityLabel(op: CompiledOperation): Labels {
  return op.capability === undefined ? {} : { capability: op.capability };
}

function outcomeLabel(outcome: number | ErrorCode): string {
  return typeof outcome === 'number' ? String(outcome) : (OUTCOME_LABELS[outcome] ?? outcome.slice('NGW_ERR_'.length).toLowerCase());
}
