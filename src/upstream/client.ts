/**
 * The upstream client: one call of a compiled operation over undici, with the
 * credential injected, the request id forwarded, a precise deadline, retries of
 * idempotent calls, the upstream's circuit breaker and outbound pacing, and
 * transport failures turned into gateway errors (502 unreachable, 504 timeout).
 * Each operation gets its own pipeline (pipeline.ts) holding only the stages that are on for it.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { CompiledOperation, CompiledUpstream } from '../capability/compiled.js';
import type { ErrorCode } from '../core/errors.js';
import type { CircuitBreakers } from './breakers.js';
import { createCredentialProvider, type CredentialProvider } from './credentials.js';
import type { CancelSignal, InputValues } from '../core/operation.js';
import type { UpstreamBodyStream } from './exchange.js';
import { CallPipeline } from './pipeline.js';
import type { UpstreamPools } from './pools.js';
import { retriesFor, type RetrySettings } from './retry.js';
import type { OutboundThrottle } from './throttle.js';

export { toGatewayError } from './pipeline.js';

/** UpstreamResponse is an upstream answer: its body collected (`bytes`) or not read yet (`body`). */
export interface UpstreamResponse {
  readonly statusCode: number;
  readonly headers: IncomingHttpHeaders;
  /** The whole body when it was collected with the answer (a small Content-Length, see exchange.ts). */
  readonly bytes: Buffer | undefined;
  /** The body as a stream (made from `bytes` when those hold it). */
  readonly body: UpstreamBodyStream;
  /** discard lets go of the body unread. */
  discard(): Promise<void>;
}

/** CallContext carries what one call needs beyond its inputs. */
export interface CallContext {
  readonly requestId: string;
  /** Aborted when the client goes away or cancels. */
  readonly signal?: CancelSignal | undefined;
}

/** UpstreamObserver hears about upstream attempts (metrics); it must be cheap and must not throw. */
export interface UpstreamObserver {
  /** One attempt ended: an HTTP status, or the gateway error code that ended it. */
  attempt(op: CompiledOperation, outcome: number | ErrorCode, durationMs: number): void;
  /** Another attempt will follow, because of `reason` (a status or an error code). */
  retry(op: CompiledOperation, reason: number | ErrorCode): void;
}

/** UpstreamClientOptions are the client's limits and resilience policies. */
export interface UpstreamClientOptions {
  /** Default deadline for response headers (retries and queueing included), and between body chunks. */
  readonly timeoutMs: number;
  readonly userAgent: string;
  /** Retry defaults; none when absent. */
  readonly retry?: RetrySettings | undefined;
  readonly breakers?: CircuitBreakers | undefined;
  readonly throttle?: OutboundThrottle | undefined;
  readonly observer?: UpstreamObserver | undefined;
}

const NO_RETRY: RetrySettings = { retries: 0, baseMs: 100 };

/** UpstreamClient sends compiled operations to their upstreams. */
export class UpstreamClient {
  private readonly retry: RetrySettings;
  private readonly credentials = new WeakMap<CompiledUpstream, CredentialProvider>();
  private readonly pipelines = new WeakMap<CompiledOperation, CallPipeline>();

  constructor(
    private readonly pools: UpstreamPools,
    readonly options: UpstreamClientOptions,
  ) {
    this.retry = options.retry ?? NO_RETRY;
  }

  /** timeoutFor is the operation's own timeout, else the default. */
  timeoutFor(op: CompiledOperation): number {
    return op.timeoutMs ?? this.options.timeoutMs;
  }

  /** credentialFor returns the upstream's credential provider, created on first use. */
  credentialFor(upstream: CompiledUpstream): CredentialProvider {
    let provider = this.credentials.get(upstream);
    if (provider === undefined) {
      provider = createCredentialProvider(upstream, {
        pool: this.pools.poolFor(upstream),
        timeoutMs: this.options.timeoutMs,
        userAgent: this.options.userAgent,
      });
      this.credentials.set(upstream, provider);
    }
    return provider;
  }

  /** pipelineFor is the operation's pipeline, composed on its first call (after any reload tracked its breaker). */
  pipelineFor(op: CompiledOperation): CallPipeline {
    let pipeline = this.pipelines.get(op);
    if (pipeline === undefined) {
      pipeline = new CallPipeline({
        op,
        pool: this.pools.poolFor(op.upstream),
        credential: this.credentialFor(op.upstream),
        userAgent: this.options.userAgent,
        timeoutMs: this.timeoutFor(op),
        retries: retriesFor(op, this.retry),
        retry: this.retry,
        breaker: this.options.breakers?.forUpstream(op.upstream),
        pacer: this.options.throttle?.pacerFor(op),
        observer: this.options.observer,
      });
      this.pipelines.set(op, pipeline);
    }
    return pipeline;
  }

  /**
   * send performs one call (retried when the operation is idempotent) within
   * the operation's deadline; the caller must consume or dump the body.
   */
  send(op: CompiledOperation, values: InputValues, ctx: CallContext): Promise<UpstreamResponse> {
    return this.pipelineFor(op).send(values, ctx);
  }
}
