/**
 * Wiring: load the capability, build the upstream client and one server per
 * adapter, listen, and close everything in order.
 */
import type { FastifyInstance } from 'fastify';
import type { DestinationStream, Logger } from 'pino';
import { loadCapability, type CompiledCapability } from './capability/index.js';
import { buildRestServer } from './adapters/rest/server.js';
import type { GatewayConfig } from './config.js';
import { createLogger } from './ops/logger.js';
import { Invoker } from './engine/invoker.js';
import { UpstreamClient } from './upstream/client.js';
import { UpstreamPools } from './upstream/pools.js';
import { VERSION } from './version.js';

/** RunningGateway is a started gateway. */
export interface RunningGateway {
  readonly capability: CompiledCapability;
  readonly logger: Logger;
  /** The REST server, once listening. */
  readonly rest: FastifyInstance | undefined;
  /** `http://host:port` of the REST server. */
  readonly restUrl: string | undefined;
  /** Every REST adapter's server, in capability order (the first is `rest`). */
  readonly restServers: readonly RestServer[];
  close(): Promise<void>;
}

/** RestServer is one listening REST adapter. */
export interface RestServer {
  readonly namespace: string;
  readonly app: FastifyInstance;
  readonly url: string;
}

/** StartOptions lets embedders (and tests) supply the environment and log destination. */
export interface StartOptions {
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly logDestination?: DestinationStream;
}

/** startGateway loads the capability and starts its adapters; a broken capability throws CapabilityError. */
export async function startGateway(config: GatewayConfig, options: StartOptions = {}): Promise<RunningGateway> {
  const logger = createLogger(config.logLevel, options.logDestination);
  const { capability, warnings } = loadCapability(config.capabilityPath, {
    env: options.env ?? process.env,
    baseUris: config.baseUris,
  });
  for (const w of warnings) logger.warn({ path: w.path, line: w.line }, `capability: ${w.message}`);

  const pools = new UpstreamPools();
  const upstream = new UpstreamClient(pools, { timeoutMs: config.upstreamTimeoutMs, userAgent: `naftiko-gateway/${VERSION}` });

  const invoker = new Invoker(upstream, []);

  // Every rest adapter gets its own server and port. A --rest-port override moves the first
  // adapter; port 0 (tests) applies to all, since several adapters cannot share one fixed port.
  const restServers: RestServer[] = [];
  for (const [index, restAdapter] of capability.rest.entries()) {
    const app = buildRestServer(restAdapter, { invoker, maxResponseBytes: config.maxResponseBytes }, {
      logger,
      bodyLimitBytes: config.bodyLimitBytes,
      requestTimeoutMs: config.upstreamTimeoutMs + 30_000,
      keepAliveTimeoutMs: 72_000,
    });
    const port = config.restPort === 0 || (index === 0 && config.restPort !== undefined) ? config.restPort : restAdapter.port;
    await app.listen({ host: config.host, port });
    const address = app.server.address();
    const boundPort = typeof address === 'object' && address !== null ? address.port : port;
    const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${boundPort}`;
    restServers.push({ namespace: restAdapter.namespace, app, url });
    logger.info(
      { adapter: 'rest', namespace: restAdapter.namespace, url, routes: restAdapter.routes.map((r) => `${r.method} ${r.path} -> ${r.operation.key}`) },
      'rest adapter listening',
    );
  }
  const rest = restServers[0]?.app;
  const restUrl = restServers[0]?.url;
  for (const u of capability.upstreams) logger.info({ upstream: u.namespace, origin: u.origin + u.basePath, auth: u.auth.type }, 'upstream configured');

  let closed = false;
  return {
    capability,
    logger,
    rest,
    restUrl,
    restServers,
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await Promise.all(restServers.map((r) => r.app.close()));
      await pools.close();
    },
  };
}
