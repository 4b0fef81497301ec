/**
 * Credential providers: the value of the credential header for one upstream.
 * A static credential is a string computed at boot. A refresh-exchange
 * credential (the `refresh:` extension of bearer auth) trades a long-lived
 * refresh token for short-lived access tokens, caches each until shortly
 * before its `exp`, and never runs two exchanges at once.
 */
import { compile, type JSONPathQuery, type JSONValue } from 'json-p3';
import type { Pool } from 'undici';
import { hasScheme } from '../capability/compile-upstream.js';
import type { CompiledRefresh, CompiledUpstream } from '../capability/compiled.js';
import { GatewayError } from '../core/errors.js';
import { isJwtRefreshToken, readJwtClaims } from './jwt.js';

/** CredentialProvider yields the credential header value of one upstream. */
export interface CredentialProvider {
  /** True when an upstream 401 may be cured by `invalidate` and a new value. */
  readonly refreshable: boolean;
  /** headerValue is a plain string when cached (no await on the hot path), else a promise; undefined for no header. */
  headerValue(): string | Promise<string> | undefined;
  /** invalidate drops the cached value if it is still `used`, so the next headerValue() exchanges again. */
  invalidate(used: string): void;
}

/** ExchangeDeps are what a refresh exchange needs from the upstream client. */
export interface ExchangeDeps {
  readonly pool: Pool;
  readonly timeoutMs: number;
  readonly userAgent: string;
  /** Clock in milliseconds; tests may move it. */
  readonly nowMs?: () => number;
}

/** MAX_EXCHANGE_BODY_BYTES bounds the exchange response the gateway reads. */
const MAX_EXCHANGE_BODY_BYTES = 64 * 1024;
/** MAX_EXPIRY_MARGIN_MS: refresh this long before `exp` at most (clock skew, request latency). */
const MAX_EXPIRY_MARGIN_MS = 30_000;
/** An access token is refreshed once 90% of its lifetime has passed, when that is sooner than the margin. */
const EXPIRY_MARGIN_FRACTION = 0.1;
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;
/** A refused refresh token is not tried again for this long: a revoked PAT must not hammer the exchange endpoint. */
const REJECTION_HOLD_MS = 10_000;

class StaticCredential implements CredentialProvider {
  readonly refreshable = false;
  constructor(private readonly value: string | undefined) {}

  headerValue(): string | undefined {
    return this.value;
  }

  invalidate(): void {}
}

/** RefreshingCredential exchanges a refresh token for access tokens, single-flight. */
class RefreshingCredential implements CredentialProvider {
  readonly refreshable = true;
  #cached: string | undefined = undefined;
  #refreshAtMs = 0;
  #inflight: Promise<string> | undefined = undefined;
  #rejection: GatewayError | undefined = undefined;
  #rejectedUntilMs = 0;
  readonly #accessQuery: JSONPathQuery;
  readonly #expiresInQuery: JSONPathQuery | undefined;
  readonly #path: string;
  readonly #body: string;
  readonly #now: () => number;

  constructor(
    private readonly upstream: CompiledUpstream,
    private readonly refresh: CompiledRefresh,
    private readonly deps: ExchangeDeps,
  ) {
    this.#accessQuery = compile(refresh.accessToken);
    this.#expiresInQuery = refresh.expiresIn === undefined ? undefined : compile(refresh.expiresIn);
    this.#path = upstream.basePath + refresh.path;
    this.#body = JSON.stringify({ [refresh.requestField]: refresh.credential });
    this.#now = deps.nowMs ?? Date.now;
  }

  headerValue(): string | Promise<string> {
    const cached = this.#cached;
    const now = this.#now();
    if (cached !== undefined && now < this.#refreshAtMs) return cached;
    if (this.#rejection !== undefined && now < this.#rejectedUntilMs) return Promise.reject(this.#rejection);
    this.#inflight ??= this.#exchange().finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  invalidate(used: string): void {
    if (this.#cached === used) this.#cached = undefined;
  }

  async #exchange(): Promise<string> {
    const res = await this.deps.pool.request({
      method: 'POST',
      path: this.#path,
      headers: { 'content-type': 'application/json', accept: 'application/json', 'user-agent': this.deps.userAgent },
      body: this.#body,
      headersTimeout: this.deps.timeoutMs,
      bodyTimeout: this.deps.timeoutMs,
    });
    const text = await readBounded(res.body);
    const where = `the refresh endpoint of upstream "${this.upstream.namespace}" (POST ${this.refresh.path})`;
    if (res.statusCode === 400 || res.statusCode === 401 || res.statusCode === 403) {
      // The refresh token itself was refused (revoked, expired, wrong type): the gateway's credential, not the client's.
      this.#rejection = new GatewayError('NGW_ERR_UPSTREAM_CREDENTIAL_REJECTED', `${where} rejected the gateway's refresh token (${res.statusCode}); rotate the credential`);
      this.#rejectedUntilMs = this.#now() + REJECTION_HOLD_MS;
      throw this.#rejection;
    }
    if (res.statusCode < 200 || res.statusCode >= 300) {
      throw new GatewayError('NGW_ERR_UPSTREAM_BAD_RESPONSE', `${where} answered ${res.statusCode}`);
    }
    let document: JSONValue;
    try {
      document = JSON.parse(text) as JSONValue;
    } catch {
      throw new GatewayError('NGW_ERR_UPSTREAM_BAD_RESPONSE', `${where} answered a body that is not JSON`);
    }
    const access = this.#accessQuery.query(document).nodes[0]?.value;
    if (typeof access !== 'string' || access === '' || CONTROL_CHARS.test(access)) {
      throw new GatewayError('NGW_ERR_UPSTREAM_BAD_RESPONSE', `${where} answered without an access token at ${this.refresh.accessToken}`);
    }
    const value = `Bearer ${access}`;
    this.#rejection = undefined;
    this.#cached = value;
    this.#refreshAtMs = this.#refreshTime(access, document);
    return value;
  }

  /** #refreshTime is shortly before the access token's `exp` (or the response's lifetime); never, without either. */
  #refreshTime(access: string, document: JSONValue): number {
    const now = this.#now();
    const claims = readJwtClaims(access);
    let expMs: number | undefined;
    let lifetimeMs: number | undefined;
    if (claims?.exp !== undefined) {
      expMs = claims.exp * 1000;
      lifetimeMs = claims.iat === undefined ? expMs - now : (claims.exp - claims.iat) * 1000;
    } else if (this.#expiresInQuery !== undefined) {
      const seconds = this.#expiresInQuery.query(document).nodes[0]?.value;
      if (typeof seconds === 'number' && seconds > 0) {
        lifetimeMs = seconds * 1000;
        expMs = now + lifetimeMs;
      }
    }
    if (expMs === undefined || lifetimeMs === undefined) return Number.POSITIVE_INFINITY;
    return expMs - Math.min(MAX_EXPIRY_MARGIN_MS, Math.max(0, lifetimeMs) * EXPIRY_MARGIN_FRACTION);
  }
}

async function readBounded(body: AsyncIterable<unknown> & { destroy(): unknown }): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_EXCHANGE_BODY_BYTES) {
      body.destroy();
      throw new GatewayError('NGW_ERR_UPSTREAM_BAD_RESPONSE', `refresh endpoint response exceeds ${MAX_EXCHANGE_BODY_BYTES} bytes`);
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks, size).toString('utf8');
}

/**
 * createCredentialProvider picks the provider for an upstream. With a `refresh:`
 * block, a value that already carries a scheme goes as is, a value the block
 * says to exchange (a JWT refresh token, by default) is exchanged, and any
 * other value goes as `<fallbackScheme> <value>` (Label Studio's legacy `Token <key>`).
 */
export function createCredentialProvider(upstream: CompiledUpstream, deps: ExchangeDeps): CredentialProvider {
  const refresh = upstream.auth.refresh;
  if (refresh === undefined) return new StaticCredential(upstream.auth.headerValue);
  const credential = refresh.credential;
  if (hasScheme(credential)) return new StaticCredential(credential);
  if (refresh.when === 'always' || isJwtRefreshToken(credential)) return new RefreshingCredential(upstream, refresh, deps);
  return new StaticCredential(`${refresh.fallbackScheme} ${credential}`);
}
