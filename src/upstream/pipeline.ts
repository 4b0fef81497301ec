/**
 * The per-operation call pipeline, composed once (at an operation's first
 * call) from what is on for that operation: the retry loop only when it may
 * be retried, the breaker only when breaking is on, pacing only when its
 * upstream is rate-limited or it is spaced. A stage that is off is not a
 * pass-through frame: it is absent, so a call walks only what it needs.
 */
import type { Dispatcher, Pool } from 'undici';
import type { CompiledOperation } from '../capability/compiled.js';
import { transportError, upstreamTimeout } from '../core/classify.js';
import { GatewayError } from '../core/errors.js';
import { WAIT, type UpstreamBreaker } from './breakers.js';
import type { CredentialProvider } from './credentials.js';
import { CallDeadline } from './deadline.js';
import { openExchange, type UpstreamExchange } from './exchange.js';
import { parseRetryAfterMs } from './retry-after.js';
import { backoffMs, RETRY_STATUSES, type RetrySettings } from './retry.js';
import type { Pacer } from './throttle.js';
import type { CallContext, UpstreamObserver, UpstreamResponse } from './client.js';
import type { InputValues } from '../core/operation.js';
import { buildUpstreamPath } from './url.js';

/** PipelineParts are what composing one operation's pipeline needs. */
export interface PipelineParts {
  readonly op: CompiledOperation;
  readonly pool: Pool;
  readonly credential: CredentialProvider;
  readonly userAgent: string;
  readonly timeoutMs: number;
  readonly retries: number;
  readonly retry: RetrySettings;
  readonly breaker: UpstreamBreaker | undefined;
  readonly pacer: Pacer | undefined;
  readonly observer: UpstreamObserver | undefined;
}

/** What to ask for per `outputRawFormat`, so a negotiating upstream answers in the declared format. */
const ACCEPT_BY_FORMAT: Readonly<Record<string, string>> = {
  json: 'application/json',
  xml: 'application/xml, text/xml;q=0.9',
  csv: 'text/csv, text/plain;q=0.5',
  yaml: 'application/yaml, text/yaml;q=0.9, text/plain;q=0.5',
  text: 'text/plain, */*;q=0.5',
};

/** toGatewayError classifies a transport failure of `op` (core/classify.ts). */
export function toGatewayError(err: unknown, op: CompiledOperation, timeoutMs: number): GatewayError {
  return transportError(err, { namespace: op.upstream.namespace, key: op.key, timeoutMs });
}

/** classify names why an attempt ended: our deadline, the client leaving, or the transport. */
function classify(err: unknown, op: CompiledOperation, deadline: CallDeadline): GatewayError {
  if (err instanceof GatewayError) return err;
  if (deadline.timedOut) return upstreamTimeout({ namespace: op.upstream.namespace, key: op.key, timeoutMs: deadline.timeoutMs }, err);
  if (deadline.clientGone) return new GatewayError('NGW_ERR_CLIENT_CLOSED_REQUEST', `the client went away during ${op.key}`);
  return toGatewayError(err, op, deadline.timeoutMs);
}

function ignore(): void {
  // A body we are about to retry past may fail to drain; the socket is then discarded, which is fine.
}

/** exchange sends one attempt with undici's dispatch (exchange.ts), the deadline re-armed for it. */
function exchange(pool: Pool, request: UpstreamRequest, deadline: CallDeadline): Promise<UpstreamExchange> {
  deadline.arm();
  const ex = openExchange(request.method, deadline);
  pool.dispatch(request, ex);
  return ex.promise;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * UpstreamRequest is one call's undici options, built once and reused by every
 * attempt (only the credential header may change between attempts).
 */
class UpstreamRequest implements Dispatcher.DispatchOptions {
  readonly method: Dispatcher.HttpMethod;
  readonly path: string;
  readonly headers: Record<string, string>;
  body: string | undefined = undefined;
  // The headers' backstop only (the deadline's own timer is precise, undici's ticks every 0.5 s), and the
  // between-chunks timeout of the body. Equal values let undici refresh one parser timer instead of
  // replacing it twice per request.
  readonly headersTimeout: number;
  readonly bodyTimeout: number;

  constructor(op: CompiledOperation, values: InputValues, ctx: CallContext, userAgent: string, deadline: CallDeadline) {
    this.method = op.method as Dispatcher.HttpMethod;
    this.path = buildUpstreamPath(op, values);
    this.headersTimeout = deadline.timeoutMs;
    this.bodyTimeout = deadline.timeoutMs;
    const headers: Record<string, string> = {
      accept: ACCEPT_BY_FORMAT[op.outputRawFormat] ?? '*/*',
      'accept-encoding': 'identity',
      'user-agent': userAgent,
      'x-request-id': ctx.requestId,
    };
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
          this.body = JSON.stringify(value);
          headers['content-type'] = 'application/json';
        }
      }
    }
    if (op.body !== undefined) {
      this.body = op.body.render(values);
      headers['content-type'] = op.body.contentType;
    }
    this.headers = headers;
  }
}

type Attempt = (this: CallPipeline, request: UpstreamRequest, deadline: CallDeadline) => Promise<UpstreamResponse>;
type Send = (this: CallPipeline, request: UpstreamRequest, deadline: CallDeadline) => Promise<UpstreamResponse>;

/** CallPipeline sends one operation's calls through the stages that are on for it. */
export class CallPipeline {
  readonly op: CompiledOperation;
  readonly timeoutMs: number;
  private readonly pool: Pool;
  private readonly credential: CredentialProvider;
  private readonly headerName: string | undefined;
  private readonly userAgent: string;
  private readonly retries: number;
  private readonly retry: RetrySettings;
  private readonly breaker: UpstreamBreaker | undefined;
  private readonly pacer: Pacer | undefined;
  private readonly observer: UpstreamObserver | undefined;
  /** The outermost stage: the retry loop, or one attempt. */
  private readonly run: Send;
  /** One attempt: through the breaker, paced, or the bare transport. */
  private readonly attempt: Attempt;
  /** Below the breaker: paced, or the bare transport. */
  private readonly guarded: Attempt;

  constructor(parts: PipelineParts) {
    this.op = parts.op;
    this.timeoutMs = parts.timeoutMs;
    this.pool = parts.pool;
    this.credential = parts.credential;
    this.headerName = parts.op.upstream.auth.headerName;
    this.userAgent = parts.userAgent;
    this.retries = parts.retries;
    this.retry = parts.retry;
    this.breaker = parts.breaker;
    this.pacer = parts.pacer;
    this.observer = parts.observer;
    this.guarded = this.pacer === undefined ? this.transport : this.paced;
    this.attempt = this.breaker === undefined ? this.guarded : this.broken;
    this.run = this.retries > 0 ? this.retrying : this.attempt;
  }

  /** send performs one call within the operation's deadline; the caller must consume or dump the body. */
  async send(values: InputValues, ctx: CallContext): Promise<UpstreamResponse> {
    const deadline = new CallDeadline(this.timeoutMs, ctx.signal);
    try {
      return await this.run(new UpstreamRequest(this.op, values, ctx, this.userAgent, deadline), deadline);
    } finally {
      deadline.settle();
    }
  }

  /** retrying repeats attempts that failed to connect or answered a retryable status, within the deadline. */
  private async retrying(request: UpstreamRequest, deadline: CallDeadline): Promise<UpstreamResponse> {
    const op = this.op;
    for (let attempt = 0; ; attempt++) {
      let res: UpstreamResponse;
      try {
        res = await this.attempt(request, deadline);
      } catch (err) {
        if (attempt < this.retries && err instanceof GatewayError && err.code === 'NGW_ERR_UPSTREAM_UNREACHABLE') {
          const delayMs = backoffMs(attempt, op, this.retry);
          if (deadline.allows(delayMs)) {
            this.observer?.retry(op, err.code);
            await sleep(delayMs);
            continue;
          }
        }
        throw err;
      }
      const status = res.statusCode;
      if (attempt >= this.retries || !RETRY_STATUSES.has(status)) return res;
      const delayMs = parseRetryAfterMs(res.headers['retry-after'], Date.now()) ?? backoffMs(attempt, op, this.retry);
      // Beyond the budget the caller gets the upstream's own answer, Retry-After included.
      if (!deadline.allows(delayMs)) return res;
      await res.discard().catch(ignore);
      this.observer?.retry(op, status);
      await sleep(delayMs);
    }
  }

  /** broken sends one attempt through the upstream's circuit breaker. */
  private async broken(request: UpstreamRequest, deadline: CallDeadline): Promise<UpstreamResponse> {
    const breaker = this.breaker as UpstreamBreaker;
    let admission = breaker.enter();
    while (admission === WAIT) {
      await breaker.verdict();
      admission = breaker.enter();
    }
    let res: UpstreamResponse;
    try {
      res = await this.guarded(request, deadline);
    } catch (err) {
      breaker.leave(admission, err instanceof GatewayError ? err.code : 'NGW_ERR_UPSTREAM_UNREACHABLE');
      throw err;
    }
    breaker.leave(admission, res.statusCode);
    return res;
  }

  /** paced waits for the outbound pace, then sends (no async frame when there is no wait). */
  private paced(request: UpstreamRequest, deadline: CallDeadline): Promise<UpstreamResponse> {
    const waitMs = (this.pacer as Pacer).reserve(deadline.at - Date.now());
    if (waitMs < 0) {
      return Promise.reject(
        new GatewayError('NGW_ERR_UPSTREAM_THROTTLED', `calls to ${this.op.key} are queued beyond its ${deadline.timeoutMs} ms deadline`, {
          headers: { 'retry-after': '1' },
        }),
      );
    }
    return waitMs === 0 ? this.transport(request, deadline) : this.pacedAfter(waitMs, request, deadline);
  }

  private async pacedAfter(waitMs: number, request: UpstreamRequest, deadline: CallDeadline): Promise<UpstreamResponse> {
    try {
      await deadline.wait(waitMs);
    } catch (err) {
      throw classify(err, this.op, deadline);
    }
    return this.transport(request, deadline);
  }

  /** transport performs one upstream request with the current credential. */
  private async transport(request: UpstreamRequest, deadline: CallDeadline): Promise<UpstreamResponse> {
    const observer = this.observer;
    const headerName = this.headerName;
    const credential = this.credential;
    const started = performance.now();
    try {
      let used = credential.headerValue();
      if (typeof used === 'object') used = await used;
      if (headerName !== undefined && used !== undefined) request.headers[headerName] = used;
      let res = await exchange(this.pool, request, deadline);
      if (res.statusCode === 401 && credential.refreshable && headerName !== undefined && used !== undefined) {
        // The access token was refused before its exp (revoked, clock skew): refresh once and send once more.
        // The body is a string, so it can be sent again.
        await res.discard();
        credential.invalidate(used);
        request.headers[headerName] = (await credential.headerValue()) ?? used;
        res = await exchange(this.pool, request, deadline);
      }
      observer?.attempt(this.op, res.statusCode, performance.now() - started);
      return res;
    } catch (err) {
      const error = classify(err, this.op, deadline);
      observer?.attempt(this.op, error.code, performance.now() - started);
      throw error;
    }
  }
}
