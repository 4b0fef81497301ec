/**
 * Building the REST server: fastify with the gateway's limits, error shape,
 * request ids, one log line per request, health and the capability's routes.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { CompiledMcpAdapter, CompiledRestAdapter } from '../../capability/compiled.js';
import type { CapabilityModel } from '../../capability/model.js';
import { GatewayError } from '../../core/errors.js';
import type { SqlRunner } from '../../ledger/database.js';
import type { ScheduleService } from '../../ledger/schedule.js';
import { registerHealth } from '../../ops/health.js';
import type { GatewayMetrics } from '../../ops/metrics.js';
import { meterAs, registerMetrics } from '../../ops/metrics-routes.js';
import { registerReadiness, type ReadinessDeps } from '../../ops/readiness.js';
import { genRequestId } from '../../ops/request-id.js';
import { accessLogOf, requestLoggerFactory } from '../../ops/logger.js';
import { GatewayLogController } from '../../ops/request-log.js';
import { clientErrorHandler } from '../../security/client-error.js';
import { allowedOriginOf } from '../../security/cors.js';
import type { InboundAuth } from '../../security/inbound-auth.js';
import { registerSecurityHooks } from './security-hooks.js';
import { createValidatorCompiler } from '../validation.js';
import { RestFastPath } from './fast-path.js';
import { LEDGER_DOCUMENTATION, registerLedgerRoute } from './ledger-route.js';
import { registerScheduleRoutes } from './schedule-routes.js';
import { MethodIndex } from './method-index.js';
import { registerOpenApi } from './openapi.js';
import { errorHandler, frameworkErrorHandler, sendProblem } from '../http-problem.js';
import { registerProtection, type ProtectionOptions } from './protection.js';
import { compileRestTable } from './route-table.js';
import { registerRestRoutes, type RestDeps } from './routes.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Status the upstream answered, 0 when no upstream call was made. */
    upstreamStatus: number;
  }
}

/** RestServerOptions are the REST server's limits. */
export interface RestServerOptions {
  readonly logger: Logger;
  readonly bodyLimitBytes: number;
  /** Bounds the whole request (slow-loris protection); longer than any upstream timeout. */
  readonly requestTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  /** The capability's model: `info` for the OpenAPI document. */
  readonly model: CapabilityModel;
  /** The capability's MCP adapters: a route is named (operationId) after the tool calling its operation. */
  readonly mcp: readonly Pick<CompiledMcpAdapter, 'tools'>[];
  /** Request metrics and `/metrics`, when given. */
  readonly metrics?: GatewayMetrics | undefined;
  /** `/readyz`, when given. */
  readonly readiness?: ReadinessDeps | undefined;
  /** Inbound rate limit and load shedding, when given. */
  readonly protection?: ProtectionOptions | undefined;
  /** Bounds the arrival of the request headers (slow-loris); at most requestTimeoutMs. */
  readonly headersTimeoutMs?: number;
  /** Inbound API keys; disabled when none are configured. */
  readonly auth: InboundAuth;
  /** Allowed CORS origins; empty (the default) turns CORS off. */
  readonly corsOrigins?: readonly string[];
  /** The role-change ledger served at `GET /v1/ledger`, when it is on. */
  readonly ledger?: SqlRunner | undefined;
  /** The ledger's scheduled changes, served under `/v1/ledger/schedules` with it. */
  readonly schedules?: ScheduleService | undefined;
}

/** DEFAULT_HEADERS_TIMEOUT_MS: headers arrive in one round trip from any honest client. */
const DEFAULT_HEADERS_TIMEOUT_MS = 15_000;
const CONNECTIONS_CHECK_INTERVAL_MS = 1_000;

/** notFoundHandler answers 405 with Allow for a path served under other methods, else 404. */
function notFoundHandler(methods: MethodIndex) {
  return function notFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
    const path = request.url.split('?')[0] ?? '';
    const match = methods.match(path);
    if (match === undefined) return sendProblem(reply, new GatewayError('NGW_ERR_NOT_FOUND', `no route for ${request.method} ${path}`));
    // Counted under the path's router pattern, as a 405 route of its own would be.
    meterAs(request, match.url);
    reply.header('allow', match.allow);
    return sendProblem(reply, new GatewayError('NGW_ERR_METHOD_NOT_ALLOWED', `${request.method} is not allowed here; allowed: ${match.allow}`));
  };
}

function echoRequestId(request: FastifyRequest, reply: FastifyReply, done: () => void): void {
  reply.header('x-request-id', request.id);
  done();
}

/** Only JSON bodies are accepted; fastify's built-in text/plain parser would let other types through. */
function removeNonJsonParsers(app: FastifyInstance): void {
  app.removeContentTypeParser('text/plain');
}

/**
 * Response schemas document the upstream's bodies; they must never reshape them
 * (fast-json-stringify would drop unknown fields), so replies are plain JSON.
 */
function plainJsonSerializer(): (data: unknown) => string {
  return serializeJson;
}

function serializeJson(data: unknown): string {
  return JSON.stringify(data);
}

const kFastPath = Symbol('naftiko.restFastPath');

interface WithFastPath {
  [kFastPath]?: RestFastPath;
}

/** fastPathOf is the compiled happy path built with `app`, if any (see fast-path.ts). */
export function fastPathOf(app: FastifyInstance): RestFastPath | undefined {
  return (app as unknown as WithFastPath)[kFastPath];
}

/** Inbound rate limiting and load shedding run as fastify plugins: with either on, every request takes the fastify path. */
function protectionOn(protection: ProtectionOptions | undefined): boolean {
  return protection !== undefined && (protection.rateLimit > 0 || protection.maxEventLoopDelayMs > 0 || protection.maxHeapUsedBytes > 0);
}

/** buildRestServer creates (but does not start) the REST server of one adapter. */
export function buildRestServer(adapter: CompiledRestAdapter, deps: RestDeps, options: RestServerOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    logController: new GatewayLogController({ requestIdLogLabel: 'reqId' }, accessLogOf(options.logger)),
    childLoggerFactory: requestLoggerFactory,
    genReqId: genRequestId,
    bodyLimit: options.bodyLimitBytes,
    requestTimeout: options.requestTimeoutMs,
    keepAliveTimeout: options.keepAliveTimeoutMs,
    return503OnClosing: true,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 256 },
    clientErrorHandler,
    frameworkErrors: frameworkErrorHandler,
    http: {
      headersTimeout: Math.min(options.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS, options.requestTimeoutMs),
      // Node checks header/request timeouts on this interval (default 30 s), which would stretch a 15 s limit to 45 s.
      connectionsCheckingInterval: CONNECTIONS_CHECK_INTERVAL_MS,
    },
  });
  app.decorateRequest('upstreamStatus', 0);
  app.decorateRequest('errorCode', '');
  removeNonJsonParsers(app);
  // One compiler for fastify and the fast path: both validate with the same functions.
  const validators = createValidatorCompiler();
  app.setValidatorCompiler(validators);
  app.setSerializerCompiler(plainJsonSerializer);
  app.setErrorHandler(errorHandler);
  const methods = new MethodIndex();
  app.setNotFoundHandler(notFoundHandler(methods));
  app.addHook('onRequest', echoRequestId);
  registerSecurityHooks(app, { auth: options.auth, corsOrigins: options.corsOrigins ?? [] });
  if (options.protection !== undefined) registerProtection(app, options.protection);
  if (options.metrics !== undefined) registerMetrics(app, options.metrics);
  const table = compileRestTable(adapter, options.mcp);
  const ledgerOn = options.ledger !== undefined;
  registerOpenApi(
    app,
    table.routes,
    options.model.info,
    { authenticated: options.auth.enabled, ledger: ledgerOn, rateLimited: (options.protection?.rateLimit ?? 0) > 0 },
    ledgerOn ? LEDGER_DOCUMENTATION : undefined,
  );
  // Routes go in a plugin registered after the protection and metrics plugins, so their onRoute hooks see every route.
  void app.register(async function gatewayRoutes(instance: FastifyInstance) {
    registerHealth(instance, options.readiness?.lifecycle);
    if (options.readiness !== undefined) registerReadiness(instance, options.readiness);
    registerRestRoutes(instance, table, deps, methods);
    if (options.ledger !== undefined) registerLedgerRoute(instance, options.ledger);
    if (options.schedules !== undefined) registerScheduleRoutes(instance, options.schedules);
  });
  if (!protectionOn(options.protection)) {
    const fast = new RestFastPath(table, {
      invoker: deps.invoker,
      maxResponseBytes: deps.maxResponseBytes,
      auth: options.auth,
      cors: (options.corsOrigins ?? []).length > 0 ? allowedOriginOf(options.corsOrigins ?? []) : undefined,
      metrics: options.metrics,
      logger: options.logger,
      access: accessLogOf(options.logger),
      validators,
      bodyLimitBytes: options.bodyLimitBytes,
      routing: app.routing,
    });
    if (fast.size > 0) (app as unknown as WithFastPath)[kFastPath] = fast;
  }
  return app;
}
