/**
 * One circuit breaker per upstream: after `threshold` consecutive failures
 * (connect errors, timeouts, 502/503/504) calls fail at once with 503 until a
 * cool-down has passed; then one trial call decides between closing and
 * re-opening, while calls arriving meanwhile wait for its verdict.
 *
 * The semantics are cockatiel's ConsecutiveBreaker policy (which this replaced);
 * the call is not wrapped in a closure: the pipeline asks `enter()` before an
 * attempt and reports its outcome, so a closed breaker costs two field reads.
 */
import type { CompiledUpstream } from '../capability/compiled.js';
import { GatewayError, type ErrorCode } from '../core/errors.js';
import { retryAfterSeconds } from './retry-after.js';

/** CircuitStateName is how states appear in /readyz and logs. */
export type CircuitStateName = 'closed' | 'open' | 'half-open';

/** CIRCUIT_STATE_VALUES are the metric values of each state. */
export const CIRCUIT_STATE_VALUES: Readonly<Record<CircuitStateName, number>> = { closed: 0, open: 1, 'half-open': 2 };

/** BREAKER_STATUSES are upstream answers that count as failures: the upstream (or its proxy) is unwell. */
const BREAKER_STATUSES: ReadonlySet<number> = new Set([502, 503, 504]);

/** isBreakerFailure tells whether an attempt's outcome (status or error code) counts against the upstream. */
export function isBreakerFailure(outcome: number | ErrorCode): boolean {
  return typeof outcome === 'number' ? BREAKER_STATUSES.has(outcome) : outcome === 'NGW_ERR_UPSTREAM_UNREACHABLE' || outcome === 'NGW_ERR_UPSTREAM_TIMEOUT';
}

/** BreakerListener hears state changes, for metrics and logs. */
export type BreakerListener = (upstream: string, state: CircuitStateName) => void;

const CLOSED = 0;
const OPEN = 1;
const HALF_OPEN = 2;
type State = typeof CLOSED | typeof OPEN | typeof HALF_OPEN;

/** ADMITTED, TRIAL and WAIT are the answers of UpstreamBreaker.enter(). */
export const ADMITTED = 0;
export const TRIAL = 1;
export const WAIT = 2;
/** Admission is what enter() answered. */
export type Admission = typeof ADMITTED | typeof TRIAL | typeof WAIT;

/** Trial is the one half-open call and the callers waiting for its verdict. */
class Trial {
  readonly settled: Promise<void>;
  resolve!: () => void;
  constructor() {
    this.settled = new Promise<void>((resolve) => {
      this.resolve = resolve;
    });
  }
}

/** UpstreamBreaker guards one upstream. */
export class UpstreamBreaker {
  private current: State = CLOSED;
  private failures = 0;
  private openedAt = 0;
  private trial: Trial | undefined = undefined;

  constructor(
    readonly namespace: string,
    private readonly threshold: number,
    private readonly cooldownMs: number,
    private readonly listener: BreakerListener | undefined,
  ) {}

  /** state is the breaker's state as a caller would meet it now (open only while cooling down). */
  get state(): CircuitStateName {
    if (this.current === CLOSED) return 'closed';
    if (this.current === HALF_OPEN || Date.now() - this.openedAt >= this.cooldownMs) return 'half-open';
    return 'open';
  }

  /**
   * enter admits one attempt: ADMITTED, TRIAL (the one half-open call), or WAIT (a trial is
   * running: await `verdict()`, then ask again). An open circuit throws 503 with Retry-After.
   */
  enter(): Admission {
    const state = this.current;
    if (state === CLOSED) return ADMITTED;
    if (state === HALF_OPEN) return WAIT;
    if (Date.now() - this.openedAt < this.cooldownMs) throw this.openError();
    this.trial = new Trial();
    this.change(HALF_OPEN);
    return TRIAL;
  }

  /** verdict settles when the running trial has ended. */
  verdict(): Promise<void> {
    return this.trial?.settled ?? Promise.resolve();
  }

  /** leave records how an admitted attempt ended: an upstream status, or the error code that ended it. */
  leave(admission: Admission, outcome: number | ErrorCode): void {
    if (isBreakerFailure(outcome)) {
      this.failures++;
      if (admission === TRIAL || (this.current === CLOSED && this.failures >= this.threshold)) this.open();
      return;
    }
    // An answer resets the count; an error that says nothing of the upstream (the client left, pacing) only ends a trial.
    if (typeof outcome === 'number' || admission === TRIAL) this.failures = 0;
    if (admission === TRIAL) {
      this.change(CLOSED);
      this.endTrial();
    }
  }

  private open(): void {
    if (this.current === OPEN) return;
    const wasTrial = this.current === HALF_OPEN;
    this.openedAt = Date.now();
    this.change(OPEN);
    if (wasTrial) this.endTrial();
  }

  private endTrial(): void {
    const trial = this.trial;
    this.trial = undefined;
    trial?.resolve();
  }

  private change(state: State): void {
    this.current = state;
    this.listener?.(this.namespace, state === CLOSED ? 'closed' : state === OPEN ? 'open' : 'half-open');
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
