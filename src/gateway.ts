/**
 * Wiring: load the capability, build the upstream client and one server per
 * adapter, listen, reload on request, and close everything in order.
 */
import type { FastifyInstance } from 'fastify';
import type { DestinationStream, Logger } from 'pino';
import { loadCapability, type CompiledCapability, type CompiledRestAdapter } from './capability/index.js';
import type { CompileOptions } from './capability/compile.js';
import { RestListener } from './adapters/rest/listener.js';
import { buildRestServer } from './adapters/rest/server.js';
import type { GatewayConfig } from './config.js';
import { filePaths, readEnvironment } from './ops/env-files.js';
import { createLogger } from './ops/logger.js';
import { startReloading, type ReloadListener, type ReloadResult } from './reload.js';
import { Invoker } from './engine/invoker.js';
import { UpstreamClient } from './upstream/client.js';
import { UpstreamPools } from './upstream/pools.js';
import { VERSION } from './version.js';

/** RunningGateway is a started gateway. */
export interface RunningGateway {
  /** The capability being served (replaced by each successful reload). */
  readonly capability: CompiledCapability;
  readonly logger: Logger;
  /** The REST app new requests go to (replaced by each successful reload). */
  readonly rest: FastifyInstance | undefined;
  /** `http://host:port` of the REST server. */
  readonly restUrl: string | undefined;
  /** reload re-reads the capability file and the environment; a bad capability is reported, never thrown. */
  reload(): Promise<ReloadResult>;
  /** onReload registers a listener for each capability swapped in (e.g. MCP `tools/list_changed`). */
  onReload(listener: ReloadListener): void;
  close(): Promise<void>;
}

/** StartOptions lets embedders (and tests) supply the environment and log destination. */
export interface StartOptions {
  /** Read again on every reload (with `NAME_FILE` variables); defaults to `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly logDestination?: DestinationStream;
}

/** startGateway loads the capability and starts its adapters; a broken capability throws CapabilityError. */
export async function startGateway(config: GatewayConfig, options: StartOptions = {}): Promise<RunningGateway> {
  const logger = createLogger(config.logLevel, options.logDestination);
  const loadOptions = (): Omit<CompileOptions, 'mode'> => ({ env: readEnvironment(options.env ?? process.env), baseUris: config.baseUris });
  const { capability, warnings } = loadCapability(config.capabilityPath, loadOptions());
  for (const w of warnings) logger.warn({ path: w.path, line: w.line }, `capability: ${w.message}`);

  const pools = new UpstreamPools();
  const upstream = new UpstreamClient(pools, { timeoutMs: config.upstreamTimeoutMs, userAgent: `naftiko-gateway/${VERSION}` });

  const invoker = new Invoker(upstream, []);

  const requestTimeoutMs = config.upstreamTimeoutMs + 30_000;
  const buildRest = (adapter: CompiledRestAdapter): FastifyInstance =>
    buildRestServer(adapter, { invoker, maxResponseBytes: config.maxResponseBytes }, {
      logger,
      bodyLimitBytes: config.bodyLimitBytes,
      requestTimeoutMs,
      keepAliveTimeoutMs: 72_000,
    });

  let listener: RestListener | undefined;
  let restUrl: string | undefined;
  const restAdapter = capability.rest[0];
  if (restAdapter !== undefined) {
    listener = new RestListener(buildRest(restAdapter), requestTimeoutMs);
    const port = config.restPort ?? restAdapter.port;
    const boundPort = await listener.listen(config.host, port);
    restUrl = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${boundPort}`;
    logger.info(
      { adapter: 'rest', namespace: restAdapter.namespace, url: restUrl, routes: restAdapter.routes.map((r) => `${r.method} ${r.path} -> ${r.operation.key}`) },
      'rest adapter listening',
    );
  }
  for (const u of capability.upstreams) logger.info({ upstream: u.namespace, origin: u.origin + u.basePath, auth: u.auth.type }, 'upstream configured');

  let current = capability;
  const reloading = startReloading(
    {
      file: config.capabilityPath,
      logger,
      loadOptions,
      current: () => current,
      setCurrent: (next) => (current = next),
      rest: listener === undefined ? undefined : { listener, build: buildRest, portOverridden: config.restPort !== undefined },
    },
    config.watch ? [config.capabilityPath, ...filePaths(capability.model.envBinds.values(), options.env ?? process.env)] : undefined,
  );

  let closed = false;
  return {
    get capability() {
      return current;
    },
    logger,
    get rest() {
      return listener?.app;
    },
    restUrl,
    reload: reloading.reload,
    onReload: reloading.onReload,
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await reloading.close();
      await listener?.close();
      await pools.close();
    },
  };
}
