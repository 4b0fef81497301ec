/**
 * An in-process REST server of a capability file (not listening unless the
 * test listens), for tests that look at what the server built: the fast-path
 * routes, what was loaded at start-up, socket limits. Closed at teardown.
 */
import type { FastifyInstance } from 'fastify';
import type { Test } from 'tap';
import { buildRestServer, type RestServerOptions } from '../../src/adapters/rest/server.js';
import { loadCapability } from '../../src/capability/index.js';
import { Invoker } from '../../src/core/invoker.js';
import { createLogger } from '../../src/ops/logger.js';
import { DISABLED_AUTH } from '../../src/security/inbound-auth.js';
import { UpstreamClient } from '../../src/upstream/client.js';
import { UpstreamPools } from '../../src/upstream/pools.js';

/** RestServerSetup says what differs from the defaults (upstream at a closed port, 1 MB limits, 5 s upstream timeout). */
export interface RestServerSetup {
  readonly env: Record<string, string>;
  /** Where every consumed namespace points (a closed port by default). */
  readonly baseUri?: string;
  readonly upstreamTimeoutMs?: number;
  readonly maxResponseBytes?: number;
  readonly options?: Partial<RestServerOptions>;
}

/** buildTestRestServer builds the REST server of `file`'s first REST adapter. */
export function buildTestRestServer(t: Test, file: string, setup: RestServerSetup): FastifyInstance {
  const { capability } = loadCapability(file, { env: setup.env, baseUris: { '*': setup.baseUri ?? 'http://127.0.0.1:9' } });
  const pools = new UpstreamPools();
  const invoker = new Invoker(new UpstreamClient(pools, { timeoutMs: setup.upstreamTimeoutMs ?? 5_000, userAgent: 'test' }), []);
  const app = buildRestServer(capability.rest[0]!, { invoker, maxResponseBytes: setup.maxResponseBytes ?? 1 << 20 }, {
    logger: createLogger('silent'),
    bodyLimitBytes: 1 << 20,
    requestTimeoutMs: 30_000,
    keepAliveTimeoutMs: 5_000,
    model: capability.model,
    mcp: capability.mcp,
    auth: DISABLED_AUTH,
    ...setup.options,
  });
  t.teardown(async () => {
    await app.close();
    await pools.close();
  });
  return app;
}
