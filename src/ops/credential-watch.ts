/**
 * Watches upstream answers for a rejected credential: a 401 or 403 from an
 * upstream the gateway authenticates to means the injected key is wrong,
 * expired or lacks a permission. Clients still get the upstream's answer
 * unchanged; operators get one warning per interval per upstream (not one per
 * call), a counter, and a line in `/readyz` detail. Readiness itself does not
 * change: one bad key answering 401 is no reason to pull every replica.
 */
import type { Logger } from 'pino';
import type { CompiledOperation } from '../capability/compiled.js';
import type { ErrorCode } from '../core/errors.js';
import type { UpstreamObserver } from '../upstream/client.js';
import { METRIC_PREFIX, CounterSeries, type CounterFamily, type GatewayMetrics } from './metrics.js';

/** CREDENTIAL_WARNING_INTERVAL_MS: at most one warning per upstream per minute. */
export const CREDENTIAL_WARNING_INTERVAL_MS = 60_000;

/** CredentialState is what `/readyz` shows about one upstream's credential. */
export interface CredentialState {
  readonly namespace: string;
  /** `rejected` from a 401/403 until the upstream next answers below 400. */
  readonly credential: 'ok' | 'rejected';
  readonly rejections: number;
  readonly lastRejectedStatus?: number;
  readonly lastRejectedAt?: string;
  readonly lastRejectedOperation?: string;
}

interface Watch {
  rejected: boolean;
  rejections: number;
  sinceWarning: number;
  warnedAtMs: number;
  lastStatus: number;
  lastAtMs: number;
  lastOperation: string;
}

/** CredentialWatch wraps the upstream observer (metrics) and adds the credential check to each attempt. */
export class CredentialWatch implements UpstreamObserver {
  private readonly watches = new Map<string, Watch>();
  /** Upstreams currently marked rejected: the success path checks only this number. */
  private rejectedCount = 0;
  private readonly counter: CounterFamily;
  /** The counter's series by upstream and status. */
  private readonly series = new Map<string, CounterSeries>();

  constructor(
    private readonly inner: UpstreamObserver,
    metrics: Pick<GatewayMetrics, 'counter'>,
    private readonly logger: Logger,
    /** Where each upstream's credential comes from, for the warning (e.g. `LABEL_STUDIO_API_KEY`). */
    private readonly sources: ReadonlyMap<string, readonly string[]>,
    private readonly intervalMs = CREDENTIAL_WARNING_INTERVAL_MS,
    private readonly now: () => number = Date.now,
  ) {
    this.counter = metrics.counter(
      `${METRIC_PREFIX}upstream_credential_rejected_total`,
      'Upstream answers 401 or 403 to a call carrying the injected credential, by upstream and status.',
    );
  }

  /** attempt implements UpstreamObserver. */
  attempt(op: CompiledOperation, outcome: number | ErrorCode, durationMs: number): void {
    this.inner.attempt(op, outcome, durationMs);
    if (outcome === 401 || outcome === 403) {
      if (op.upstream.auth.type !== 'none') this.rejected(op, outcome);
    } else if (this.rejectedCount > 0 && typeof outcome === 'number' && outcome < 400) {
      this.accepted(op.upstream.namespace);
    }
  }

  /** retry implements UpstreamObserver. */
  retry(op: CompiledOperation, reason: number | ErrorCode): void {
    this.inner.retry(op, reason);
  }

  /** states lists every upstream that has had a rejection (others are simply ok). */
  states(): CredentialState[] {
    return [...this.watches].map(([namespace, w]) => ({
      namespace,
      credential: w.rejected ? 'rejected' : 'ok',
      rejections: w.rejections,
      lastRejectedStatus: w.lastStatus,
      lastRejectedAt: new Date(w.lastAtMs).toISOString(),
      lastRejectedOperation: w.lastOperation,
    }));
  }

  private rejected(op: CompiledOperation, status: number): void {
    const namespace = op.upstream.namespace;
    const nowMs = this.now();
    let w = this.watches.get(namespace);
    if (w === undefined) {
      w = { rejected: false, rejections: 0, sinceWarning: 0, warnedAtMs: -Infinity, lastStatus: status, lastAtMs: nowMs, lastOperation: op.key };
      this.watches.set(namespace, w);
    }
    if (!w.rejected) this.rejectedCount++;
    w.rejected = true;
    w.rejections++;
    w.sinceWarning++;
    w.lastStatus = status;
    w.lastAtMs = nowMs;
    w.lastOperation = op.key;
    const key = `${namespace}\0${status}`;
    let series = this.series.get(key);
    if (series === undefined) {
      series = this.counter.add(new CounterSeries({ upstream: namespace, status: String(status) }));
      this.series.set(key, series);
    }
    series.value++;
    if (nowMs - w.warnedAtMs < this.intervalMs) return;
    const from = this.sources.get(namespace) ?? [];
    this.logger.warn(
      { upstream: namespace, upstreamStatus: status, operation: op.key, rejections: w.sinceWarning, credentialFrom: from },
      `upstream ${namespace} rejected the gateway's credential (HTTP ${status}); clients get its ${status} unchanged. ` +
        `Check ${from.length > 0 ? from.join(', ') : 'the credential the capability injects'} (a 403 may also be a missing permission)`,
    );
    w.warnedAtMs = nowMs;
    w.sinceWarning = 0;
  }

  private accepted(namespace: string): void {
    const w = this.watches.get(namespace);
    if (w === undefined || !w.rejected) return;
    w.rejected = false;
    this.rejectedCount--;
  }
}

const PLACEHOLDER = /\{\{\s*(?:env\.)?([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/** credentialSources names, per consumes namespace, the variables its authentication block reads. */
export function credentialSources(consumes: readonly { readonly namespace: string; readonly authentication?: unknown }[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const c of consumes) {
    if (c.authentication === undefined) continue;
    const names = [...new Set([...JSON.stringify(c.authentication).matchAll(PLACEHOLDER)].map((m) => m[1] as string))];
    out.set(c.namespace, names);
  }
  return out;
}
