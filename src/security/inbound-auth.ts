/**
 * Inbound authentication and authorization, shared by the REST and MCP
 * adapters: a presented key is hashed and compared against every configured
 * hash in constant time; read-only operations need `read`, the others `write`.
 * A key that matched is remembered (by the presented string, per key set), so
 * the next request with it skips the hash.
 *
 * For the MCP adapter: startGateway's `RunningGateway.auth` is the instance;
 * on `tools/call` call `auth.check(httpRequestHeaders, tool)` and, when it
 * returns a GatewayError, answer it as the tool error (`isError`, its code);
 * otherwise pass the Caller as `InvokeContext.caller`. Per the MCP security
 * best practices the gateway key is never passed through to the upstream.
 */
import { hash as digest, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { CompiledCall } from '../capability/compiled.js';
import type { Caller } from '../core/operation.js';
import { GatewayError } from '../core/errors.js';
import type { ApiKey, Scope } from './api-keys.js';

/** Sent with every 401 (RFC 6750 §3); the realm names what the key is for. */
export const WWW_AUTHENTICATE = 'Bearer realm="naftiko-gateway"';

/** Longer values are refused before hashing, so a huge header costs nothing. */
const MAX_KEY_CHARS = 512;
/** VERIFIED_MAX bounds the remembered keys (only keys that matched are remembered: one string per configured key in practice). */
const VERIFIED_MAX = 1024;
const ZERO_HASH = Buffer.alloc(32);

function unauthenticated(detail: string): GatewayError {
  return new GatewayError('NGW_ERR_UNAUTHENTICATED', detail, { headers: { 'www-authenticate': WWW_AUTHENTICATE } });
}

/** presentedKey reads `x-api-key: <key>`, else `Authorization: Bearer <key>` (x-api-key wins when both are sent). */
function presentedKey(headers: IncomingHttpHeaders): string | GatewayError {
  const apiKey = headers['x-api-key'];
  const authorization = headers.authorization;
  if (Array.isArray(apiKey)) return unauthenticated('send one x-api-key header');
  if (apiKey !== undefined && apiKey !== '') return apiKey;
  if (authorization !== undefined) {
    const token = bearerToken(authorization);
    if (token !== undefined) return token;
    return unauthenticated('the Authorization header must use the Bearer scheme with a gateway API key');
  }
  return unauthenticated('a gateway API key is required (Authorization: Bearer <key> or x-api-key)');
}

const BEARER_LOWER = 'bearer';

function isBlank(code: number): boolean {
  return code === 32 || code === 9;
}

/**
 * bearerToken reads `Bearer <token>` (scheme case-insensitive, RFC 6750 §2.1) as
 * /^bearer[ \t]+([^ \t]+)[ \t]*$/i would, without a match array per request.
 */
function bearerToken(value: string): string | undefined {
  if (value.length < 8 || !isBlank(value.charCodeAt(6))) return undefined;
  // ASCII case folding only, as the regex's `i` flag does here: `c | 0x20` is the letter's lower case.
  for (let i = 0; i < 6; i++) if ((value.charCodeAt(i) | 0x20) !== BEARER_LOWER.charCodeAt(i)) return undefined;
  let start = 7;
  while (start < value.length && isBlank(value.charCodeAt(start))) start++;
  let end = start;
  while (end < value.length && !isBlank(value.charCodeAt(end))) end++;
  if (end === start) return undefined;
  for (let i = end; i < value.length; i++) if (!isBlank(value.charCodeAt(i))) return undefined;
  return value.slice(start, end);
}

/** InboundAuth checks gateway API keys; with no keys configured it is disabled and lets everything through. */
export class InboundAuth {
  private readonly keys: readonly ApiKey[];
  private readonly callers: readonly Caller[];
  /**
   * Presented strings whose hash matched a key, and that key's caller. A key set never changes
   * in place (another set is another instance), so an entry cannot outlive its key.
   */
  private readonly verified = new Map<string, Caller>();

  constructor(keys: readonly ApiKey[]) {
    this.keys = keys;
    this.callers = keys.map((k) => Object.freeze({ id: k.id, scopes: k.scopes }));
  }

  /** keyIds lists the configured key ids (not secrets), for the boot log. */
  get keyIds(): string[] {
    return this.keys.map((k) => k.id);
  }

  /** enabled is true when at least one key is configured. */
  get enabled(): boolean {
    return this.keys.length > 0;
  }

  /**
   * authenticate identifies the caller from request headers, for REST and the
   * MCP HTTP transport alike. Returns the GatewayError (401) instead of throwing,
   * so adapters render it their own way. With auth disabled it returns undefined.
   */
  authenticate(headers: IncomingHttpHeaders): Caller | GatewayError | undefined {
    if (!this.enabled) return undefined;
    const key = presentedKey(headers);
    if (key instanceof GatewayError) return key;
    const known = this.verified.get(key);
    if (known !== undefined) return known;
    // One-shot hashing: no Hash object per request.
    const hash = key.length > MAX_KEY_CHARS ? ZERO_HASH : digest('sha256', key, 'buffer');
    // Every configured hash is compared, with no early exit, so timing does not reveal which key (or prefix) matched.
    let match = -1;
    for (let i = 0; i < this.keys.length; i++) {
      if (timingSafeEqual(hash, (this.keys[i] as ApiKey).hash) && match === -1) match = i;
    }
    if (match === -1 || hash === ZERO_HASH) return unauthenticated('the gateway API key is not valid');
    const caller = this.callers[match] as Caller;
    if (this.verified.size >= VERIFIED_MAX) this.verified.clear();
    this.verified.set(key, caller);
    return caller;
  }

  /** authorize returns a 403 when the caller lacks the scope the call needs, else undefined. */
  authorize(caller: Caller | undefined, call: CompiledCall): GatewayError | undefined {
    return this.authorizeScope(caller, call.scope);
  }

  /** authorizeScope returns a 403 when the caller lacks `scope`, else undefined. */
  authorizeScope(caller: Caller | undefined, scope: Scope): GatewayError | undefined {
    if (!this.enabled) return undefined;
    if (caller !== undefined && caller.scopes.includes(scope)) return undefined;
    return new GatewayError('NGW_ERR_FORBIDDEN', `the gateway API key${caller === undefined ? '' : ` "${caller.id}"`} lacks the "${scope}" scope this operation needs`);
  }

  /** check authenticates and authorizes in one step (what an MCP tools/call needs). */
  check(headers: IncomingHttpHeaders, call: CompiledCall): Caller | GatewayError | undefined {
    const caller = this.authenticate(headers);
    if (caller instanceof GatewayError) return caller;
    return this.authorize(caller, call) ?? caller;
  }
}

/** DISABLED_AUTH lets every request through (no keys configured). */
export const DISABLED_AUTH = new InboundAuth([]);
