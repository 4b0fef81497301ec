/**
 * The per-operation call pipeline, set up once (at an operation's first
 * call) from what is on for that operation: retries only when it may be
 * retried, the breaker only when breaking is on, pacing only when its
 * upstream is rate-limited or it is spaced. The stages are not frames that
 * wrap each other: they run inline in one async function, a stage that is off
 * is a skipped branch, and a wait is awaited only when one is due.
 */
import type { Dispatcher, Pool } from 'undici';
import type { CompiledOperation } from '../capability/compiled.js';
import { transportError, upstreamTimeout } from '../core/classify.js';
import { GatewayError } from '../core/errors.js';
import { ADMITTED, WAIT, type Admission, type UpstreamBreaker } from './breakers.js';
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
  }

  /**
   * send performs one call within the operation's deadline; the caller must consume or dump the body.
   * Every stage runs inline in this one async frame (an await per stage and attempt cost more than the
   * stages themselves); a stage that is off is a skipped branch, and a wait only happens when one is due.
   */
  async send(values: InputValues, ctx: CallContext): Promise<UpstreamResponse> {
    const op = this.op;
    const breaker = this.breaker;
    const deadline = new CallDeadline(this.timeoutMs, ctx.signal);
    try {
      const request = new UpstreamRequest(op, values, ctx, this.userAgent, deadline);
      for (let attempt = 0; ; attempt++) {
        // The breaker's admission; an open circuit throws its 503 here, before the attempt.
        let admission: Admission = ADMITTED;
        if (breaker !== undefined) {
          admission = breaker.enter();
          while (admission === WAIT) {
            await breaker.verdict();
            admission = breaker.enter();
          }
        }
        let res: UpstreamResponse;
        try {
          if (this.pacer !== undefined) {
            const waitMs = this.pace(deadline);
            if (waitMs > 0) await this.paceWait(waitMs, deadline);
          }
          const credential = this.credential;
          const used = credential.headerValue();
          if (credential.refreshable || typeof used === 'object') res = await this.refreshingTransport(request, deadline, used);
          else {
            // A cached credential that cannot be refreshed: the exchange itself, observed here.
            if (this.headerName !== undefined && used !== undefined) request.headers[this.headerName] = used;
            const started = performance.now();
            try {
              res = await exchange(this.pool, request, deadline);
            } catch (err) {
              const error = classify(err, op, deadline);
              this.observer?.attempt(op, error.code, performance.now() - started);
              throw error;
            }
            this.observer?.attempt(op, res.statusCode, performance.now() - started);
          }
        } catch (err) {
          breaker?.leave(admission, err instanceof GatewayError ? err.code : 'NGW_ERR_UPSTREAM_UNREACHABLE');
          // Attempts that failed to connect are repeated, within the deadline.
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
        breaker?.leave(admission, status);
        if (attempt >= this.retries || !RETRY_STATUSES.has(status)) return res;
        const delayMs = parseRetryAfterMs(res.headers['retry-after'], Date.now()) ?? backoffMs(attempt, op, this.retry);
        // Beyond the budget the caller gets the upstream's own answer, Retry-After included.
        if (!deadline.allows(delayMs)) return res;
        await res.discard().catch(ignore);
        this.observer?.retry(op, status);
        await sleep(delayMs);
      }
    } finally {
      deadline.settle();
    }
  }

  /** pace books the outbound slot and returns the wait for it; a wait beyond the deadline is a 503 (throttled). */
  private pace(deadline: CallDeadline): number {
    const waitMs = (this.pacer as Pacer).reserve(deadline.at - Date.now());
    if (waitMs >= 0) return waitMs;
    throw new GatewayError('NGW_ERR_UPSTREAM_THROTTLED', `calls to ${this.op.key} are queued beyond its ${deadline.timeoutMs} ms deadline`, {
      headers: { 'retry-after': '1' },
    });
  }

  private async paceWait(waitMs: number, deadline: CallDeadline): Promise<void> {
    try {
      await deadline.wait(waitMs);
    } catch (err) {
      throw classify(err, this.op, deadline);
    }
  }

  /** refreshingTransport awaits a credential being fetched, and refreshes it once when the upstream answers 401. */
  private async refreshingTransport(request: UpstreamRequest, deadline: CallDeadline, value: string | Promise<string> | undefined): Promise<UpstreamResponse> {
    const observer = this.observer;
    const headerName = this.headerName;
    const credential = this.credential;
    const started = performance.now();
    try {
      const used = typeof value === 'object' ? await value : value;
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
