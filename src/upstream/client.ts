/**
 * The upstream client: one call of a compiled operation over undici, with the
 * credential injected, the request id forwarded and transport failures turned
 * into gateway errors (502 unreachable, 504 timeout).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import type { CompiledOperation, CompiledUpstream } from '../capability/compiled.js';
import { GatewayError } from '../errors.js';
import { createCredentialProvider, type CredentialProvider } from './credentials.js';
import type { UpstreamPools } from './pools.js';
import { buildUpstreamPath, type InputValues } from './url.js';

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
  readonly signal?: AbortSignal | undefined;
}

/** UpstreamClientOptions are the client's limits. */
export interface UpstreamClientOptions {
  /** Default time to wait for response headers, and between body chunks. */
  readonly timeoutMs: number;
  readonly userAgent: string;
}

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
  private readonly credentials = new WeakMap<CompiledUpstream, CredentialProvider>();

  constructor(
    private readonly pools: UpstreamPools,
    readonly options: UpstreamClientOptions,
  ) {}

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

  /** send performs one upstream request; the caller must consume or dump the body. */
  async send(op: CompiledOperation, values: InputValues, ctx: CallContext): Promise<UpstreamResponse> {
    const path = buildUpstreamPath(op, values);
    const headers: Record<string, string> = {
      accept: ACCEPT_BY_FORMAT[op.outputRawFormat] ?? '*/*',
      'accept-encoding': 'identity',
      'user-agent': this.options.userAgent,
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
    const headerName = op.upstream.auth.headerName;
    const credential = this.credentialFor(op.upstream);
    const timeoutMs = this.timeoutFor(op);
    try {
      let used = credential.headerValue();
      if (typeof used === 'object') used = await used;
      if (headerName !== undefined && used !== undefined) headers[headerName] = used;
      const pool = this.pools.poolFor(op.upstream);
      const options = { method: op.method, path, headers, body, headersTimeout: timeoutMs, bodyTimeout: timeoutMs, signal: ctx.signal };
      let res = await pool.request(options);
      if (res.statusCode === 401 && credential.refreshable && headerName !== undefined && used !== undefined) {
        // The access token was refused before its exp (revoked, clock skew): refresh once and retry once.
        // The body is a string, so it can be sent again.
        await res.body.dump();
        credential.invalidate(used);
        headers[headerName] = await credential.headerValue() ?? used;
        res = await pool.request(options);
      }
      return { statusCode: res.statusCode, headers: res.headers, body: res.body };
    } catch (err) {
      throw toGatewayError(err, op, timeoutMs);
    }
  }
}
