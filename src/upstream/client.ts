/**
 * The upstream client: one call of a compiled operation over undici, with the
 * credential injected, the request id forwarded, a precise deadline, retries of
 * idempotent calls, the upstream's circuit breaker and outbound pacing, and
 * transport failures turned into gateway errors (502 unreachable, 504 timeout).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import type { CompiledOperation, CompiledUpstream } from '../capability/compiled.js';
import { GatewayError, type ErrorCode } from '../core/errors.js';
import type { CircuitBreakers } from './breakers.js';
import { createCredentialProvider, type CredentialProvider } from './credentials.js';
import type { CancelSignal, InputValues } from '../core/operation.js';
import { CallDeadline } from './deadline.js';
import type { UpstreamPools } from './pools.js';
import { parseRetryAfterMs } from './retry-after.js';
import { backoffMs, RETRY_STATUSES, RetryableFailure, retriesFor, retryPolicy, type AttemptResult, type RetrySettings } from './retry.js';
import type { OutboundThrottle } from './throttle.js';
import { buildUpstreamPath } from './url.js';

/** UpstreamResponse is an upstream answer whose body has not been read yet. */
export interface UpstreamResponse {
  readonly statusCode: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Dispatcher.ResponseData['body'];
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

/** PreparedRequest is what every attempt of one call sends. */
interface PreparedRequest {
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: string | undefined;
}

const NO_RETRY: RetrySettings = { retries: 0, baseMs: 100 };

/** What to ask for per `outputRawFormat`, so a negotiating upstream answers in the declared format. */
const ACCEPT_BY_FORMAT: Readonly<Record<string, string>> = {
  json: 'application/json',
  xml: 'application/xml, text/xml;q=0.9',
  csv: 'text/csv, text/plain;q=0.5',
  yaml: 'application/yaml, text/yaml;q=0.9, text/plain;q=0.5',
  text: 'text/plain, */*;q=0.5',
};

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

/** toGatewayError classifies a transport failure without echoing anything secret. */
export function toGatewayError(err: unknown, op: CompiledOperation, timeoutMs: number): GatewayError {
  if (err instanceof GatewayError) return err;
  const code = (err as { code?: unknown }).code;
  const name = (err as { name?: unknown }).name;
  if (typeof code === 'string' && TIMEOUT_CODES.has(code)) {
    return new GatewayError('NGW_ERR_UPSTREAM_TIMEOUT', `upstream "${op.upstream.namespace}" did not answer ${op.key} within ${timeoutMs} ms`, { cause: err });
  }
  if (name === 'AbortError' || code === 'UND_ERR_ABORTED') {
    return new GatewayError('NGW_ERR_UPSTREAM_UNREACHABLE', `call to ${op.key} was aborted`, { cause: err });
  }
  const reason = typeof code === 'string' ? code : 'connection failed';
  return new GatewayError('NGW_ERR_UPSTREAM_UNREACHABLE', `upstream "${op.upstream.namespace}" is unreachable for ${op.key} (${reason})`, { cause: err });
}

/** UpstreamClient sends compiled operations to their upstreams. */
export class UpstreamClient {
  private readonly retry: RetrySettings;
  private readonly credentials = new WeakMap<CompiledUpstream, CredentialProvider>();

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

  /**
   * send performs one call (retried when the operation is idempotent) within
   * the operation's deadline; the caller must consume or dump the body.
   */
  async send(op: CompiledOperation, values: InputValues, ctx: CallContext): Promise<UpstreamResponse> {
    const request = prepareRequest(op, values, ctx, this.options.userAgent);
    const deadline = new CallDeadline(this.timeoutFor(op), ctx.signal);
    try {
      const retries = retriesFor(op, this.retry);
      if (retries === 0) return await this.attempt(op, request, deadline);
      const result = await retryPolicy(retries).execute(({ attempt }) => this.attemptOrRetry(op, request, deadline, attempt, retries));
      return result.res;
    } catch (err) {
      throw err instanceof RetryableFailure ? err.error : err;
    } finally {
      deadline.settle();
    }
  }

  /** attemptOrRetry runs one attempt and decides whether another may follow within the budget. */
  private async attemptOrRetry(op: CompiledOperation, request: PreparedRequest, deadline: CallDeadline, attempt: number, retries: number): Promise<AttemptResult> {
    let res: UpstreamResponse;
    try {
      res = await this.attempt(op, request, deadline);
    } catch (err) {
      if (attempt < retries && err instanceof GatewayError && err.code === 'NGW_ERR_UPSTREAM_UNREACHABLE') {
        const delayMs = backoffMs(attempt, op, this.retry);
        if (deadline.allows(delayMs)) {
          this.options.observer?.retry(op, err.code);
          throw new RetryableFailure(err, delayMs);
        }
      }
      throw err;
    }
    const status = res.statusCode;
    if (attempt >= retries || !RETRY_STATUSES.has(status)) return { res, delayMs: -1 };
    const delayMs = parseRetryAfterMs(res.headers['retry-after'], Date.now()) ?? backoffMs(attempt, op, this.retry);
    // Beyond the budget the caller gets the upstream's own answer, Retry-After included.
    if (!deadline.allows(delayMs)) return { res, delayMs: -1 };
    await res.body.dump().catch(ignore);
    this.options.observer?.retry(op, status);
    return { res, delayMs };
  }

  /** attempt sends once through the upstream's circuit breaker. */
  private attempt(op: CompiledOperation, request: PreparedRequest, deadline: CallDeadline): Promise<UpstreamResponse> {
    const breaker = this.options.breakers?.forUpstream(op.upstream);
    if (breaker === undefined) return this.sendOnce(op, request, deadline);
    return breaker.execute(() => this.sendOnce(op, request, deadline));
  }

  /** sendOnce waits for the outbound pace, then performs one upstream request. */
  private async sendOnce(op: CompiledOperation, request: PreparedRequest, deadline: CallDeadline): Promise<UpstreamResponse> {
    const throttle = this.options.throttle;
    if (throttle !== undefined) {
      const waitMs = throttle.reserve(op, deadline.at - Date.now());
      if (waitMs < 0) {
        throw new GatewayError('NGW_ERR_UPSTREAM_THROTTLED', `calls to ${op.key} are queued beyond its ${deadline.timeoutMs} ms deadline`, {
          headers: { 'retry-after': '1' },
        });
      }
      if (waitMs > 0) {
        try {
          await deadline.wait(waitMs);
        } catch (err) {
          throw classify(err, op, deadline);
        }
      }
    }
    const observer = this.options.observer;
    const headerName = op.upstream.auth.headerName;
    const credential = this.credentialFor(op.upstream);
    const started = performance.now();
    try {
      let used = credential.headerValue();
      if (typeof used === 'object') used = await used;
      if (headerName !== undefined && used !== undefined) request.headers[headerName] = used;
      const pool = this.pools.poolFor(op.upstream);
      const options = {
        method: op.method,
        path: request.path,
        headers: request.headers,
        body: request.body,
        // Backstops only: the deadline's own timer is precise, undici's tick about once a second.
        headersTimeout: deadline.timeoutMs + 1000,
        bodyTimeout: deadline.timeoutMs,
        signal: deadline.signal,
      };
      let res = await pool.request(options);
      if (res.statusCode === 401 && credential.refreshable && headerName !== undefined && used !== undefined) {
        // The access token was refused before its exp (revoked, clock skew): refresh once and send once more.
        // The body is a string, so it can be sent again.
        await res.body.dump();
        credential.invalidate(used);
        request.headers[headerName] = (await credential.headerValue()) ?? used;
        res = await pool.request(options);
      }
      observer?.attempt(op, res.statusCode, performance.now() - started);
      return { statusCode: res.statusCode, headers: res.headers, body: res.body };
    } catch (err) {
      const error = classify(err, op, deadline);
      observer?.attempt(op, error.code, performance.now() - started);
      throw error;
    }
  }
}

function ignore(): void {
  // A body we are about to retry past may fail to drain; the socket is then discarded, which is fine.
}

/** classify names why an attempt ended: our deadline, the client leaving, or the transport. */
function classify(err: unknown, op: CompiledOperation, deadline: CallDeadline): GatewayError {
  if (err instanceof GatewayError) return err;
  if (deadline.timedOut) {
    return new GatewayError('NGW_ERR_UPSTREAM_TIMEOUT', `upstream "${op.upstream.namespace}" did not answer ${op.key} within ${deadline.timeoutMs} ms`, { cause: err });
  }
  if (deadline.clientGone) return new GatewayError('NGW_ERR_CLIENT_CLOSED_REQUEST', `the client went away during ${op.key}`);
  return toGatewayError(err, op, deadline.timeoutMs);
}

/** prepareRequest builds the path, headers and body once per call; each attempt adds the current credential. */
function prepareRequest(op: CompiledOperation, values: InputValues, ctx: CallContext, userAgent: string): PreparedRequest {
  const path = buildUpstreamPath(op, values);
  const headers: Record<string, string> = {
    accept: ACCEPT_BY_FORMAT[op.outputRawFormat] ?? '*/*',
    'accept-encoding': 'identity',
    'user-agent': userAgent,
    'x-request-id': ctx.requestId,
  };
  let body: string | undefined;
  const params = op.parameters;
  for (let i = 0; i < params.length; i++) {
    const param = params[i];
    if (param === undefined) continue;
    if (param.in === 'header') {
      const value = values[param.name];
      if (value !== undefined && value !== null) headers[param.name.toLowerCase()] = String(value);
    } else if (param.in === 'body') {
      const value = values[param.name];
      if (value !== undefined) {
        body = JSON.stringify(value);
        headers['content-type'] = 'application/json';
      }
    }
  }
  if (op.body !== undefined) {
    body = op.body.render(values);
    headers['content-type'] = op.body.contentType;
  }
  return { path, headers, body };
}
