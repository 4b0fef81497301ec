/**
 * Inbound protection of the REST server: a per-client rate limit
 * (@fastify/rate-limit, IETF RateLimit-* headers) and load shedding
 * (@fastify/under-pressure). Both answer problem+json with Retry-After
 * through the adapter's error handler. Ops endpoints are never rate limited.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import { GatewayError } from '../../core/errors.js';

/** ProtectionOptions: 0 turns a limit off. */
export interface ProtectionOptions {
  /** Requests per window per client key (or IP). */
  readonly rateLimit: number;
  readonly rateLimitWindowMs: number;
  readonly maxEventLoopDelayMs: number;
  readonly maxHeapUsedBytes: number;
}

const OPS_ROUTES: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);
/** Liveness and scraping keep answering under pressure (a 503 liveness would get the process restarted); /readyz sheds. */
const NOT_SHED: ReadonlySet<string> = new Set(['/healthz', '/metrics']);

/** A client presenting a credential is limited per credential (hashed: limiter keys never hold secrets), else per IP. */
function clientKey(request: FastifyRequest): string {
  const credential = request.headers['authorization'] ?? request.headers['x-api-key'];
  if (typeof credential === 'string' && credential !== '') return 'k:' + createHash('sha256').update(credential).digest('base64url').slice(0, 22);
  return 'ip:' + request.ip;
}

function isOpsRoute(request: FastifyRequest): boolean {
  return OPS_ROUTES.has(request.routeOptions.url ?? '');
}

function rateLimited(_request: FastifyRequest, context: { max: number; after: string }): GatewayError {
  return new GatewayError('NGW_ERR_RATE_LIMITED', `more than ${context.max} requests; retry in ${context.after}`);
}

/** OverloadedError is thrown by under-pressure (it sets Retry-After itself). */
class OverloadedError extends GatewayError {
  constructor() {
    super('NGW_ERR_OVERLOADED', 'the gateway is overloaded; retry later');
  }
}

/** A route-level pressure handler that returns nothing lets the request through (under-pressure's handlePressure). */
function letThrough(): void {
  // Intentionally empty.
}

function exemptFromShedding(route: RouteOptions): void {
  if (typeof route.url === 'string' && NOT_SHED.has(route.url)) route.config = { ...(route.config ?? {}), pressureHandler: letThrough } as RouteOptions['config'];
}

/** registerProtection registers the plugins before any route: their hooks must see every route. */
export function registerProtection(app: FastifyInstance, options: ProtectionOptions): void {
  if (options.rateLimit > 0) {
    // Loaded only when on (fastify registers a module's promise in order, like the plugin itself).
    void app.register(import('@fastify/rate-limit'), {
      global: true,
      max: options.rateLimit,
      timeWindow: options.rateLimitWindowMs,
      keyGenerator: clientKey,
      allowList: isOpsRoute,
      enableDraftSpec: true,
      errorResponseBuilder: rateLimited,
    });
  }
  if (options.maxEventLoopDelayMs > 0 || options.maxHeapUsedBytes > 0) {
    app.addHook('onRoute', exemptFromShedding);
    void app.register(import('@fastify/under-pressure'), {
      maxEventLoopDelay: options.maxEventLoopDelayMs,
      maxHeapUsedBytes: options.maxHeapUsedBytes,
      retryAfter: 10,
      customError: OverloadedError,
    });
  }
}
