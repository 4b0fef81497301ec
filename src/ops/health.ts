/**
 * Liveness: `/healthz` answers 200 while the process serves requests, and 503
 * until every adapter listens (with a lifecycle to say so).
 */
import type { FastifyInstance } from 'fastify';
import type { Lifecycle } from './lifecycle.js';

/** registerHealth adds `/healthz`, outside the capability's routes. */
export function registerHealth(app: FastifyInstance, lifecycle?: Lifecycle): void {
  app.get('/healthz', { logLevel: 'warn' }, async function healthz(_request, reply) {
    if (lifecycle === undefined || lifecycle.phase === 'serving') return { status: 'ok' };
    reply.code(503).header('retry-after', '1');
    return { status: lifecycle.phase };
  });
}
