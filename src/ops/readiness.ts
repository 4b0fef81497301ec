/**
 * Readiness: `/readyz` answers 200 while the capability is loaded and no
 * upstream circuit is open, else 503 with `Retry-After`, so a load balancer
 * stops sending traffic the gateway would only refuse.
 */
import type { FastifyInstance } from 'fastify';
import type { CircuitBreakers } from '../upstream/breakers.js';
import type { CredentialState } from './credential-watch.js';
import type { Lifecycle } from './lifecycle.js';

/** ReadinessDeps is what readiness looks at. */
export interface ReadinessDeps {
  readonly breakers: CircuitBreakers;
  readonly cooldownMs: number;
  /** Names the capability, to show what is loaded. */
  readonly capability: string;
  /** Not ready before every adapter listens, nor while draining. */
  readonly lifecycle?: Lifecycle | undefined;
  /** Upstreams whose credential was rejected (401/403): reported, without changing readiness. */
  readonly credentials?: (() => CredentialState[]) | undefined;
}

/** registerReadiness adds `/readyz`. */
export function registerReadiness(app: FastifyInstance, deps: ReadinessDeps): void {
  const retryAfter = String(Math.max(1, Math.ceil(deps.cooldownMs / 1000)));
  app.get('/readyz', { logLevel: 'warn' }, async function readyz(_request, reply) {
    const upstreams = deps.breakers.all().map((b) => ({ namespace: b.namespace, circuit: b.state }));
    const phase = deps.lifecycle?.phase ?? 'serving';
    if (phase !== 'serving') {
      reply.code(503).header('retry-after', '1');
      return { status: phase, capability: deps.capability, upstreams };
    }
    const ready = upstreams.every((u) => u.circuit !== 'open');
    if (!ready) reply.code(503).header('retry-after', retryAfter);
    const credentials = deps.credentials?.() ?? [];
    const body = { status: ready ? 'ready' : 'unavailable', capability: deps.capability, upstreams };
    return credentials.length === 0 ? body : { ...body, credentials };
  });
}
