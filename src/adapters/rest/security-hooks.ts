/**
 * The REST adapter's security hooks: URL length limit, CORS, inbound
 * authentication and scope checks (onRequest, before any body is read),
 * a JSON nesting limit, and `nosniff` on every response.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction, RouteOptions } from 'fastify';
import { GatewayError } from '../../core/errors.js';
import type { Caller } from '../../core/operation.js';
import type { Scope } from '../../security/api-keys.js';
import { corsHook } from '../../security/cors.js';
import type { InboundAuth } from '../../security/inbound-auth.js';
import { jsonDepthExceeds, MAX_JSON_DEPTH } from '../../security/json-depth.js';
import { sendProblem } from '../http-problem.js';
import { DOCS_PREFIX, OPENAPI_PATHS } from './openapi.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated caller, or null when inbound auth is off (or not yet run). */
    caller: Caller | null;
  }
  interface FastifyContextConfig {
    /** Scope a capability route needs; unset on health, 404 and 405 routes. */
    scope?: Scope;
    operationId?: string;
  }
}

/** MAX_URL_CHARS bounds path + query; Node's maxHeaderSize (16 KiB) bounds the rest with a 431. */
export const MAX_URL_CHARS = 8192;

/**
 * Routes anyone may call: probes carry no key, and the API description holds no data
 * (Swagger UI in a browser fetches it without one). `/metrics` stays behind a key.
 */
const PUBLIC_URLS: ReadonlySet<string> = new Set(['/healthz', '/readyz', ...OPENAPI_PATHS, DOCS_PREFIX]);

function isPublic(url: string | undefined): boolean {
  return url !== undefined && (PUBLIC_URLS.has(url) || url.startsWith(DOCS_PREFIX + '/'));
}

/** SecurityHookOptions configure registerSecurityHooks. */
export interface SecurityHookOptions {
  readonly auth: InboundAuth;
  /** Allowed browser origins; empty disables CORS. */
  readonly corsOrigins: readonly string[];
}

/** registerSecurityHooks installs the hooks; call before routes are added. */
export function registerSecurityHooks(app: FastifyInstance, options: SecurityHookOptions): void {
  const { auth } = options;
  const cors = options.corsOrigins.length > 0 ? corsHook(options.corsOrigins) : undefined;
  app.decorateRequest('caller', null);
  // Callback-style hooks that finish synchronously: no promise per request, and `nosniff` is set here rather
  // than in an onSend hook, so responses skip fastify's onSend pipeline.
  app.addHook('onRequest', function guardRequest(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) {
    reply.header('x-content-type-options', 'nosniff');
    if (request.url.length > MAX_URL_CHARS) {
      sendProblem(reply, new GatewayError('NGW_ERR_URI_TOO_LONG', `the URL is longer than ${MAX_URL_CHARS} characters`));
      return;
    }
    if (cors !== undefined && cors(request, reply)) return;
    if (!auth.enabled || isPublic(request.routeOptions.url)) {
      done();
      return;
    }
    const caller = auth.authenticate(request.headers);
    if (caller instanceof GatewayError) {
      sendProblem(reply, caller);
      return;
    }
    if (caller !== undefined) {
      request.caller = caller;
      const scope = request.routeOptions.config.scope;
      const denied = scope === undefined ? undefined : auth.authorizeScope(caller, scope);
      if (denied !== undefined) {
        sendProblem(reply, denied);
        return;
      }
    }
    done();
  });
  // The nesting limit runs only on routes that can receive a body: fastify parses none for GET and HEAD.
  app.addHook('onRoute', addDepthLimit);
}

function limitJsonDepth(request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void {
  if (request.body !== undefined && jsonDepthExceeds(request.body, MAX_JSON_DEPTH)) {
    done(new GatewayError('NGW_ERR_VALIDATION', `body nests deeper than ${MAX_JSON_DEPTH} levels`, { errors: [{ field: 'body', message: `nests deeper than ${MAX_JSON_DEPTH} levels` }] }));
    return;
  }
  done();
}

function addDepthLimit(route: RouteOptions): void {
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  if (methods.every((m) => m === 'GET' || m === 'HEAD')) return;
  const existing = route.preValidation;
  route.preValidation = existing === undefined ? [limitJsonDepth] : Array.isArray(existing) ? [limitJsonDepth, ...existing] : [limitJsonDepth, existing];
}
