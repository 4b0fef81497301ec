/**
 * Liveness: `/healthz` answers 200 while the process serves requests.
 */
import type { FastifyInstance } from 'fastify';

/** registerHealth adds `/healthz`, outside the capability's routes. */
export function registerHealth(app: FastifyInstance): void {
  app.get('/healthz', { logLevel: 'warn' }, async function healthz() {
    return { status: 'ok' };
  });
}
