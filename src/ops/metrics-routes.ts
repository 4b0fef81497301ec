/**
 * Request metrics for the REST server and the `/metrics` endpoint. Each
 * route gets its RouteMeter in `onRoute` (boot); hooks are named module
 * functions reading it from the route config, so no closure runs per request.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import type { GatewayMetrics, RouteMeter } from './metrics.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set once the request has been counted, so an abort and a late response count once. */
    metered: boolean;
  }
  interface FastifyContextConfig {
    operationId?: string;
    meter?: RouteMeter;
  }
}

const kMetrics = Symbol('naftiko.metrics');
const kUnmatched = Symbol('naftiko.metrics.unmatched');

interface MeteredServer {
  [kMetrics]: GatewayMetrics;
  [kUnmatched]: RouteMeter;
}

/** CLIENT_CLOSED_STATUS is nginx's 499, recorded for requests whose client left before the answer. */
const CLIENT_CLOSED_STATUS = 499;

function meterOf(request: FastifyRequest): RouteMeter {
  return request.routeOptions.config.meter ?? (request.server as unknown as MeteredServer)[kUnmatched];
}

function countIn(this: FastifyInstance, _request: FastifyRequest, _reply: FastifyReply, done: () => void): void {
  (this as unknown as MeteredServer)[kMetrics].inFlight.inc();
  done();
}

function countOut(this: FastifyInstance, request: FastifyRequest, reply: FastifyReply, done: () => void): void {
  if (!request.metered) {
    request.metered = true;
    (this as unknown as MeteredServer)[kMetrics].inFlight.dec();
    meterOf(request).record(reply.statusCode, reply.elapsedTime / 1000);
  }
  done();
}

function countAbort(this: FastifyInstance, request: FastifyRequest, done: () => void): void {
  if (!request.metered) {
    request.metered = true;
    (this as unknown as MeteredServer)[kMetrics].inFlight.dec();
    meterOf(request).record(CLIENT_CLOSED_STATUS, 0);
  }
  done();
}

/** registerMetrics instruments every route registered after it and serves `/metrics`. */
export function registerMetrics(app: FastifyInstance, metrics: GatewayMetrics): void {
  const server = app as unknown as MeteredServer;
  server[kMetrics] = metrics;
  server[kUnmatched] = metrics.meter('unmatched');
  app.decorateRequest('metered', false);
  app.addHook('onRoute', function attachMeter(route: RouteOptions) {
    const config = (route.config ?? {}) as { operationId?: string; meter?: RouteMeter };
    route.config = { ...config, meter: metrics.meter(config.operationId ?? route.url) };
  });
  app.addHook('onRequest', countIn);
  app.addHook('onResponse', countOut);
  app.addHook('onRequestAbort', countAbort);
  app.get('/metrics', { logLevel: 'warn' }, async function scrape(_request, reply) {
    const text = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(text);
  });
}
