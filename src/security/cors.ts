/**
 * CORS, off by default on REST: a browser page may call the gateway only from
 * an allow-listed origin. Written here rather than with @fastify/cors: a
 * preflight is answered in the onRequest hook, before routing decides between
 * a route, a 405 and a 404, without a wildcard OPTIONS route. The MCP port
 * answers with the same function and its own header lists.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';

/** CorsHeaders are the lists one listener announces to browsers. */
export interface CorsHeaders {
  readonly methods: string;
  readonly allowHeaders: string;
  readonly exposeHeaders: string;
}

const PREFLIGHT_MAX_AGE_S = '600';

/** REST_CORS are the REST listener's lists (also written by its fast path, adapters/rest/fast-path.ts). */
export const REST_CORS: CorsHeaders = {
  methods: 'GET, HEAD, POST, PUT, PATCH, DELETE',
  allowHeaders: 'authorization, content-type, x-api-key, x-request-id',
  exposeHeaders: 'x-request-id, retry-after',
};

/**
 * answerCors marks the answer for an allowed `allowOrigin`; it answers a preflight itself and then returns true.
 * Headers go on the raw response, so they survive a transport (the MCP SDK) taking the reply over.
 */
export function answerCors(request: FastifyRequest, reply: FastifyReply, allowOrigin: string, headers: CorsHeaders): boolean {
  const raw = reply.raw;
  raw.setHeader('access-control-allow-origin', allowOrigin);
  raw.setHeader('vary', 'origin');
  if (request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined) {
    void reply
      .code(204)
      .header('access-control-allow-methods', headers.methods)
      .header('access-control-allow-headers', headers.allowHeaders)
      .header('access-control-max-age', PREFLIGHT_MAX_AGE_S)
      .send();
    return true;
  }
  raw.setHeader('access-control-expose-headers', headers.exposeHeaders);
  return false;
}

/** allowedOriginOf builds the origin check for `origins`: the Access-Control-Allow-Origin value for an allowed origin, else undefined. */
export function allowedOriginOf(origins: readonly string[]): (origin: string) => string | undefined {
  const allowed = new Set(origins.map((o) => o.replace(/\/+$/, '').toLowerCase()));
  const any = allowed.has('*');
  return function allowOrigin(origin: string): string | undefined {
    return any ? '*' : allowed.has(origin.toLowerCase()) ? origin : undefined;
  };
}

/** corsHook builds the REST onRequest check for `origins`; it answers preflights itself and returns true when it did. */
export function corsHook(origins: readonly string[]): (request: FastifyRequest, reply: FastifyReply) => boolean {
  const allowOrigin = allowedOriginOf(origins);
  return function applyCors(request: FastifyRequest, reply: FastifyReply): boolean {
    const origin = request.headers.origin;
    if (origin === undefined) return false;
    const allowed = allowOrigin(origin);
    if (allowed === undefined) {
      reply.raw.setHeader('vary', 'origin');
      return false;
    }
    return answerCors(request, reply, allowed, REST_CORS);
  };
}
