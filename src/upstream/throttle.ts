/**
 * Outbound pacing: a token bucket per upstream and an optional minimum
 * spacing per operation. Calls over the rate queue (wait) rather than fail,
 * as Label Studio asks clients to avoid rapid successive requests.
 */
import type { CompiledOperation } from '../capability/compiled.js';

/** TokenBucket refills `ratePerSecond` tokens a second up to one second's worth; a reservation may drive it negative (a queue). */
class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(private readonly ratePerSecond: number) {
    this.tokens = ratePerSecond;
    this.updatedAt = Date.now();
  }

  /** waitFor is how long a call arriving now waits for its token. */
  waitFor(now: number): number {
    this.refill(now);
    return this.tokens >= 1 ? 0 : ((1 - this.tokens) * 1000) / this.ratePerSecond;
  }

  take(now: number): void {
    this.refill(now);
    this.tokens -= 1;
  }

  private refill(now: number): void {
    const elapsed = now - this.updatedAt;
    if (elapsed <= 0) return;
    this.tokens = Math.min(this.ratePerSecond, this.tokens + (elapsed * this.ratePerSecond) / 1000);
    this.updatedAt = now;
  }
}

/** Pacer paces the calls of one operation: its upstream's bucket and its own minimum spacing. */
export class Pacer {
  /** Next free slot (epoch ms) when the operation is spaced. */
  private nextSlot = 0;

  constructor(
    private readonly bucket: TokenBucket | undefined,
    private readonly spacingMs: number,
  ) {}

  /**
   * reserve books a slot for one call and returns how long to wait for it,
   * or -1 (nothing booked) when the wait would exceed `maxWaitMs`.
   */
  reserve(maxWaitMs: number): number {
    const now = Date.now();
    const bucket = this.bucket;
    let wait = bucket === undefined ? 0 : bucket.waitFor(now);
    const spacing = this.spacingMs;
    if (spacing > 0) wait = Math.max(wait, Math.max(now, this.nextSlot) - now);
    if (wait > maxWaitMs) return -1;
    bucket?.take(now);
    if (spacing > 0) this.nextSlot = now + wait + spacing;
    return wait;
  }
}

/** OutboundThrottle paces upstream calls: one bucket per upstream, shared by its operations' pacers. */
export class OutboundThrottle {
  private readonly buckets = new Map<string, TokenBucket>();

  /** @param ratePerSecond per-upstream rate; 0 means unlimited. */
  constructor(private readonly ratePerSecond: number) {}

  /** pacerFor is the pacer of `op`, or undefined when neither its upstream's rate nor its spacing limits it. */
  pacerFor(op: CompiledOperation): Pacer | undefined {
    const spacing = op.resilience?.minSpacingMs ?? 0;
    if (this.ratePerSecond === 0 && spacing === 0) return undefined;
    let bucket: TokenBucket | undefined;
    if (this.ratePerSecond > 0) {
      bucket = this.buckets.get(op.upstream.namespace);
      if (bucket === undefined) {
        bucket = new TokenBucket(this.ratePerSecond);
        this.buckets.set(op.upstream.namespace, bucket);
      }
    }
    return new Pacer(bucket, spacing);
  }
}
