/**
 * CORS, off by default: a browser page may call the gateway only from an
 * allow-listed origin. Written here rather than with @fastify/cors: a preflight
 * is answered in the onRequest hook, before routing decides between a route,
 * a 405 and a 404, without a wildcard OPTIONS route.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';

const ALLOW_METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE';
const ALLOW_HEADERS = 'authorization, content-type, x-api-key, x-request-id';
const EXPOSE_HEADERS = 'x-request-id, retry-after';
const PREFLIGHT_MAX_AGE_S = '600';

/** corsHook builds the onRequest hook; it answers preflights itself and returns true when it did. */
export function corsHook(origins: readonly string[]): (request: FastifyRequest, reply: FastifyReply) => boolean {
  const allowed = new Set(origins.map((o) => o.replace(/\/+$/, '').toLowerCase()));
  const any = allowed.has('*');
  return function applyCors(request: FastifyRequest, reply: FastifyReply): boolean {
    const origin = request.headers.origin;
    if (origin === undefined) return false;
    reply.header('vary', 'origin');
    if (!any && !allowed.has(origin.toLowerCase())) return false;
    reply.header('access-control-allow-origin', any ? '*' : origin);
    if (request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined) {
      reply
        .code(204)
        .header('access-control-allow-methods', ALLOW_METHODS)
        .header('access-control-allow-headers', ALLOW_HEADERS)
        .header('access-control-max-age', PREFLIGHT_MAX_AGE_S)
        .send();
      return true;
    }
    reply.header('access-control-expose-headers', EXPOSE_HEADERS);
    return false;
  };
}
