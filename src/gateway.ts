/**
 * Wiring: load the capability, build the upstream client and one server per
 * adapter, listen, and close everything in order.
 */
import type { FastifyInstance } from 'fastify';
import type { DestinationStream, Logger } from 'pino';
import { loadCapability, type CompiledCapability } from './capability/index.js';
import { registerLedgerRoute } from './adapters/rest/ledger-route.js';
import { buildRestServer } from './adapters/rest/server.js';
import type { GatewayConfig } from './config.js';
import { createLogger } from './ops/logger.js';
import { Invoker } from './engine/invoker.js';
import { openLedger, warnUnguarded, type Ledger } from './ledger/index.js';
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
  /** The role-change ledger, unless it is off. */
  readonly ledger: Ledger | undefined;
  close(): Promise<void>;
}

/** StartOptions lets embedders (and tests) supply the environment and log destination. */
export interface StartOptions {
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly logDestination?: DestinationStream;
  /** The ledger's clock (epoch ms), for tests of the seat guard. */
  readonly clock?: () => number;
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

  const ledger = config.ledger === undefined ? undefined : await openLedger(config.ledger, logger, options.clock);
  if (ledger === undefined) warnUnguarded(capability, logger);
  const invoker = new Invoker(upstream, ledger === undefined ? [] : [ledger.interceptor]);

  let rest: FastifyInstance | undefined;
  let restUrl: string | undefined;
  const restAdapter = capability.rest[0];
  if (restAdapter !== undefined) {
    rest = buildRestServer(restAdapter, { invoker, maxResponseBytes: config.maxResponseBytes }, {
      logger,
      bodyLimitBytes: config.bodyLimitBytes,
      requestTimeoutMs: config.upstreamTimeoutMs + 30_000,
      keepAliveTimeoutMs: 72_000,
    });
    if (ledger !== undefined) registerLedgerRoute(rest, ledger.db);
    const port = config.restPort ?? restAdapter.port;
    try {
      await rest.listen({ host: config.host, port });
    } catch (err) {
      await ledger?.close();
      throw err;
    }
    const address = rest.server.address();
    const boundPort = typeof address === 'object' && address !== null ? address.port : port;
    restUrl = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${boundPort}`;
    logger.info(
      { adapter: 'rest', namespace: restAdapter.namespace, url: restUrl, routes: restAdapter.routes.map((r) => `${r.method} ${r.path} -> ${r.operation.key}`) },
      'rest adapter listening',
    );
  }
  for (const u of capability.upstreams) logger.info({ upstream: u.namespace, origin: u.origin + u.basePath, auth: u.auth.type }, 'upstream configured');

  let closed = false;
  return {
    capability,
    logger,
    rest,
    restUrl,
    ledger,
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await rest?.close();
      await pools.close();
      await ledger?.close();
    },
  };
}
