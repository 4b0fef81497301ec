/**
 * One circuit breaker per upstream (cockatiel `ConsecutiveBreaker`): after
 * `threshold` consecutive failures (connect errors, timeouts, 502/503/504)
 * calls fail at once with 503 until a cool-down has passed; then one trial
 * call decides between closing and re-opening.
 */
import { BrokenCircuitError, CircuitState, ConsecutiveBreaker, circuitBreaker, handleWhen, type CircuitBreakerPolicy } from 'cockatiel';
import type { CompiledUpstream } from '../capability/compiled.js';
import { GatewayError } from '../core/errors.js';
import type { UpstreamResponse } from './client.js';
import { retryAfterSeconds } from './retry-after.js';

/** CircuitStateName is how states appear in /readyz and logs. */
export type CircuitStateName = 'closed' | 'open' | 'half-open';

/** CIRCUIT_STATE_VALUES are the metric values of each state. */
export const CIRCUIT_STATE_VALUES: Readonly<Record<CircuitStateName, number>> = { closed: 0, open: 1, 'half-open': 2 };

/** BREAKER_STATUSES are upstream answers that count as failures: the upstream (or its proxy) is unwell. */
const BREAKER_STATUSES: ReadonlySet<number> = new Set([502, 503, 504]);

function isBreakerError(err: Error): boolean {
  return err instanceof GatewayError && (err.code === 'NGW_ERR_UPSTREAM_UNREACHABLE' || err.code === 'NGW_ERR_UPSTREAM_TIMEOUT');
}

function isBreakerResult(res: unknown): boolean {
  return BREAKER_STATUSES.has((res as UpstreamResponse).statusCode);
}

/** BreakerListener hears state changes, for metrics and logs. */
export type BreakerListener = (upstream: string, state: CircuitStateName) => void;

/** UpstreamBreaker guards one upstream. */
export class UpstreamBreaker {
  private readonly policy: CircuitBreakerPolicy;
  private openedAt = 0;

  constructor(
    readonly namespace: string,
    private readonly threshold: number,
    private readonly cooldownMs: number,
    listener: BreakerListener | undefined,
  ) {
    this.policy = circuitBreaker(handleWhen(isBreakerError).orWhenResult(isBreakerResult), {
      halfOpenAfter: cooldownMs,
      breaker: new ConsecutiveBreaker(threshold),
    });
    this.policy.onBreak(() => {
      this.openedAt = Date.now();
    });
    if (listener !== undefined) this.policy.onStateChange((s) => listener(namespace, stateName(s)));
  }

  /** state is the breaker's state as a caller would meet it now (open only while cooling down). */
  get state(): CircuitStateName {
    const s = this.policy.state;
    if (s === CircuitState.Open && Date.now() - this.openedAt >= this.cooldownMs) return 'half-open';
    return stateName(s);
  }

  /** execute runs one attempt through the breaker; an open circuit throws 503 with Retry-After. */
  async execute(fn: () => Promise<UpstreamResponse>): Promise<UpstreamResponse> {
    try {
      return await this.policy.execute(fn);
    } catch (err) {
      if (err instanceof BrokenCircuitError) throw this.openError();
      throw err;
    }
  }

  private openError(): GatewayError {
    const waitMs = this.openedAt + this.cooldownMs - Date.now();
    return new GatewayError(
      'NGW_ERR_UPSTREAM_CIRCUIT_OPEN',
      `upstream "${this.namespace}" failed ${this.threshold} times in a row; calls are suspended for up to ${this.cooldownMs} ms`,
      { headers: { 'retry-after': retryAfterSeconds(waitMs) } },
    );
  }
}

function stateName(s: CircuitState): CircuitStateName {
  if (s === CircuitState.Closed) return 'closed';
  if (s === CircuitState.HalfOpen) return 'half-open';
  return 'open';
}

/** CircuitBreakers holds the breaker of every upstream (none when the threshold is 0). */
export class CircuitBreakers {
  private readonly byNamespace = new Map<string, UpstreamBreaker>();

  constructor(
    upstreams: readonly CompiledUpstream[],
    private readonly threshold: number,
    private readonly cooldownMs: number,
    private readonly listener?: BreakerListener,
  ) {
    this.track(upstreams);
  }

  /** track adds a breaker for each upstream not seen before (a reload may add upstreams); existing ones keep their state. */
  track(upstreams: readonly CompiledUpstream[]): void {
    if (this.threshold <= 0) return;
    for (const u of upstreams) {
      if (!this.byNamespace.has(u.namespace)) this.byNamespace.set(u.namespace, new UpstreamBreaker(u.namespace, this.threshold, this.cooldownMs, this.listener));
    }
  }

  /** forUpstream is the upstream's breaker, or undefined when breaking is off. */
  forUpstream(upstream: CompiledUpstream): UpstreamBreaker | undefined {
    return this.byNamespace.get(upstream.namespace);
  }

  /** all lists every breaker, for /readyz and metrics. */
  all(): readonly UpstreamBreaker[] {
    return [...this.byNamespace.values()];
  }
}
