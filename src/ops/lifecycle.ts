/**
 * Where a gateway is in its life. `/healthz` and `/readyz` answer 200 only
 * while it is serving: not while adapters are still coming up (the REST port
 * listens before the MCP one), and not while it drains on shutdown.
 */

/** Phase is a gateway's stage: starting → serving → stopping. */
export type Phase = 'starting' | 'serving' | 'stopping';

/** Lifecycle holds the current phase; the gateway moves it, probes read it. */
export class Lifecycle {
  phase: Phase = 'starting';
}
