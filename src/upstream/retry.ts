/**
 * Retry rules: which calls may repeat, on what, and how long to wait. The loop
 * itself is a stage of the operation's pipeline (pipeline.ts), present only
 * when the operation may be retried.
 */
import type { CompiledOperation } from '../capability/compiled.js';

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
