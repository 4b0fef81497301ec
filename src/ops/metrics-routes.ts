/**
 * Request metrics for the REST server and the `/metrics` endpoint. Each
 * route gets its RouteMeter in `onRoute` (boot); the per-request functions are
 * named module functions reading it from the route config, so no closure runs per request.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { PROMETHEUS_CONTENT_TYPE, type GatewayMetrics, type RouteMeter } from './metrics.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set once the request has been counted, so an abort and a late response count once. */
    metered: boolean;
    /** The meter of a request no route's config names (see meterAs). */
    meter: RouteMeter | null;
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
  return request.routeOptions.config.meter ?? request.meter ?? (request.server as unknown as MeteredServer)[kUnmatched];
}

/** meterAs counts a request that matched no route under `name` (a 405 answer, under its path's pattern). */
export function meterAs(request: FastifyRequest, name: string): void {
  const metrics = (request.server as unknown as Partial<MeteredServer>)[kMetrics];
  if (metrics !== undefined) request.meter = metrics.meter(name);
}

/**
 * requestStarted counts a request in flight. The REST log controller calls it as each request
 * starts, and requestFinished once its response is sent: fastify calls the controller anyway,
 * while an onRequest and an onResponse hook would add two hook runs to every request.
 */
export function requestStarted(request: FastifyRequest): void {
  const metrics = (request.server as unknown as Partial<MeteredServer>)[kMetrics];
  if (metrics !== undefined) metrics.inFlight++;
}

/** requestFinished records a sent response once (see requestStarted). */
export function requestFinished(request: FastifyRequest, reply: FastifyReply): void {
  const metrics = (request.server as unknown as Partial<MeteredServer>)[kMetrics];
  if (metrics === undefined || request.metered) return;
  request.metered = true;
  metrics.inFlight--;
  meterOf(request).record(reply.statusCode, reply.elapsedTime / 1000);
}

function countAbort(this: FastifyInstance, request: FastifyRequest, done: () => void): void {
  if (!request.metered) {
    request.metered = true;
    (this as unknown as MeteredServer)[kMetrics].inFlight--;
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
  app.decorateRequest('meter', null);
  app.addHook('onRoute', function attachMeter(route: RouteOptions) {
    const config = (route.config ?? {}) as { operationId?: string; capability?: string; meter?: RouteMeter };
    route.config = { ...config, meter: metrics.meter(config.operationId ?? route.url, config.capability) };
  });
  // Starts and finishes are counted by the log controller (requestStarted/requestFinished); a client that
  // leaves never gets a finished response, so aborts need their own hook.
  app.addHook('onRequestAbort', countAbort);
  app.get('/metrics', { logLevel: 'warn' }, async function scrape(_request, reply) {
    const text = await metrics.render();
    return reply.type(PROMETHEUS_CONTENT_TYPE).send(text);
  });
}
