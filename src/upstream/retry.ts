/**
 * Retry rules: which calls may repeat, on what, and how long to wait.
 * cockatiel's RetryPolicy runs the loop; each attempt decides itself whether
 * another is allowed (status, Retry-After, remaining budget), because that
 * decision needs the call's own deadline.
 */
import { DelegateBackoff, handleType, retry, type IRetryBackoffContext, type RetryPolicy } from 'cockatiel';
import type { CompiledOperation } from '../capability/compiled.js';
import type { GatewayError } from '../core/errors.js';
import type { UpstreamResponse } from './client.js';

/** RetrySettings are the gateway-wide retry defaults. */
export interface RetrySettings {
  /** Retries after the first attempt (0 disables). */
  readonly retries: number;
  /** Ceiling of the first backoff; it doubles per retry. */
  readonly baseMs: number;
}

/** RETRY_MAX_DELAY_MS caps one computed backoff (a Retry-After may ask for more, within the budget). */
export const RETRY_MAX_DELAY_MS = 10_000;

/** RETRY_STATUSES are upstream answers worth another attempt (RFC 9110: 429 and 503 may carry Retry-After). */
export const RETRY_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);

/** retriesFor is how often `op` may be retried: never unless it is idempotent (method or hints). */
export function retriesFor(op: CompiledOperation, settings: RetrySettings): number {
  if (!op.hints.idempotent) return 0;
  return op.resilience?.retries ?? settings.retries;
}

/** backoffMs is exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"). */
export function backoffMs(attempt: number, op: CompiledOperation, settings: RetrySettings): number {
  const base = op.resilience?.retryBaseMs ?? settings.baseMs;
  return Math.floor(Math.random() * Math.min(RETRY_MAX_DELAY_MS, base * 2 ** attempt));
}

/** RetryableFailure wraps a failed attempt that should be retried after `delayMs`. */
export class RetryableFailure extends Error {
  constructor(
    readonly error: GatewayError,
    readonly delayMs: number,
  ) {
    super(error.message);
    this.name = 'RetryableFailure';
  }
}

/** AttemptResult is an attempt's answer and, when `delayMs >= 0`, the wait before the next attempt (its body already dumped). */
export interface AttemptResult {
  readonly res: UpstreamResponse;
  readonly delayMs: number;
}

function wantsRetry(result: AttemptResult): boolean {
  return result.delayMs >= 0;
}

function delayOf(context: IRetryBackoffContext<unknown>): number {
  const r = context.result;
  if ('error' in r) return r.error instanceof RetryableFailure ? r.error.delayMs : 0;
  return (r.value as AttemptResult).delayMs;
}

const policies = new Map<number, RetryPolicy>();

/** retryPolicy is the shared cockatiel policy for `retries` retries. */
export function retryPolicy(retries: number): RetryPolicy {
  let policy = policies.get(retries);
  if (policy === undefined) {
    policy = retry(handleType(RetryableFailure).orWhenResult((r) => wantsRetry(r as AttemptResult)), {
      maxAttempts: retries,
      backoff: new DelegateBackoff(delayOf),
    });
    policies.set(retries, policy);
  }
  return policy;
}
