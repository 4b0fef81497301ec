/**
 * Wiring: load the capability, build the upstream client and one server per
 * adapter, listen, reload on request, and close everything in order.
 */
import type { CompiledCall } from './capability/compiled.js';
import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { destination, type DestinationStream, type Logger } from 'pino';
import type { CompiledCapability, CompiledMcpAdapter, CompiledRestAdapter } from './capability/index.js';
import type { CompileOptions } from './capability/compile.js';
import type { McpAdapter } from './adapters/mcp/index.js';
import { RestListener } from './adapters/rest/listener.js';
import { buildRestServer } from './adapters/rest/server.js';
import type { GatewayConfig } from './settings/index.js';
import { checkBaseUriNamespaces } from './ops/base-uri-check.js';
import { createAuditInterceptor } from './core/audit.js';
import { auditWriterOf } from './ops/audit-line.js';
import { Invoker } from './core/invoker.js';
import type { Caller } from './core/operation.js';
import { GatewayError } from './core/errors.js';
import { loadCapabilitySet, stdioToolsOf, type LoadedSet } from './family/load.js';
import { McpScopes } from './family/mcp-scopes.js';
import type { CapabilitySet } from './family/set.js';
import { filePaths, readEnvironment } from './ops/env-files.js';
import { CredentialWatch, credentialSources } from './ops/credential-watch.js';
import { Lifecycle } from './ops/lifecycle.js';
import { createLogger } from './ops/logger.js';
import { ledgerFailure, listenFailure } from './ops/startup-error.js';
import { GatewayMetrics } from './ops/metrics.js';
import { startReloading, type ReloadListener, type ReloadResult, type ReloadWarning } from './reload.js';
import { CircuitBreakers } from './upstream/breakers.js';
import { OutboundThrottle } from './upstream/throttle.js';
import type { BuiltinTool } from './core/tool.js';
import { ledgerWanted } from './ledger/config.js';
import { LedgerGate } from './ledger/gate.js';
import { ledgerTools, openLedger, warnUnguarded, type Ledger } from './ledger/index.js';
import { findCall, POLL_MS, ScheduleRunner } from './ledger/schedule-runner.js';
import { UpstreamClient } from './upstream/client.js';
import { DEFAULT_POOL_OPTIONS, UpstreamPools } from './upstream/pools.js';
import { loadApiKeys } from './security/api-keys.js';
import { checkExposure } from './security/exposure.js';
import { InboundAuth } from './security/inbound-auth.js';
import { VERSION } from './version.js';

/** RunningGateway is a started gateway. */
export interface RunningGateway {
  /** The capability being served (replaced by each successful reload); with several files, the set as one capability. */
  readonly capability: CompiledCapability;
  /** Every capability served and how they were merged (replaced by each successful reload). */
  readonly capabilitySet: CapabilitySet;
  readonly logger: Logger;
  /** Prometheus metrics (also served on the REST port at `/metrics`). */
  readonly metrics: GatewayMetrics;
  /** The first REST adapter's app new requests go to (replaced by each successful reload). */
  readonly rest: FastifyInstance | undefined;
  /** `http://host:port` of the REST server. */
  readonly restUrl: string | undefined;
  /** The MCP adapter (HTTP or stdio), once started. */
  readonly mcp: McpAdapter | undefined;
  /** `http://host:port` of the MCP server (its endpoint is `/mcp`); undefined over stdio. */
  readonly mcpUrl: string | undefined;
  /** Every MCP listener, one per declared port (the first is `mcp`). */
  readonly mcpAdapters: readonly McpAdapter[];
  /** Inbound API key checks, shared by the REST and MCP adapters. */
  readonly auth: InboundAuth;
  /** Every REST adapter's server, in capability order (the first is `rest`). */
  readonly restServers: readonly RestServer[];
  /** reload re-reads the capability file and the environment; a bad capability is reported, never thrown. */
  reload(): Promise<ReloadResult>;
  /** onReload registers a listener for each capability swapped in. */
  onReload(listener: ReloadListener): void;
  /** The effective configuration the gateway started with. */
  readonly config: GatewayConfig;
  /** The role-change ledger, once open (GATEWAY_LEDGER=auto opens it for a capability that declares x-ledger or x-seat-guard). */
  readonly ledger: Ledger | undefined;
  close(): Promise<void>;
}

/** RestServer is one listening REST adapter; its app is swapped by reloads. */
export interface RestServer {
  readonly namespace: string;
  readonly listener: RestListener;
  readonly url: string;
}

/** authenticatedCaller is the MCP access hook's check: the caller, or a thrown 401. */
function authenticatedCaller(auth: InboundAuth, headers: IncomingHttpHeaders): Caller | undefined {
  const caller = auth.authenticate(headers);
  if (caller instanceof GatewayError) throw caller;
  return caller;
}

/** knownCaller is the same check for the MCP port's node:http front: the caller, or undefined for the access hook to refuse. */
function knownCaller(auth: InboundAuth, headers: IncomingHttpHeaders): Caller | undefined {
  const caller = auth.authenticate(headers);
  return caller instanceof GatewayError ? undefined : caller;
}

/** StartOptions lets embedders (and tests) supply the environment and log destination. */
export interface StartOptions {
  /** Read again on every reload (with `NAME_FILE` variables); defaults to `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly logDestination?: DestinationStream;
  /** The ledger's clock (epoch ms), for tests of the seat guard. */
  readonly clock?: () => number;
}

/** startGateway loads the capability and starts its adapters; a broken capability throws CapabilityError. */
export async function startGateway(config: GatewayConfig, options: StartOptions = {}): Promise<RunningGateway> {
  // Over stdio, stdout belongs to JSON-RPC: logs go to stderr.
  const logger = createLogger(config.logLevel, options.logDestination ?? (config.mcpStdio ? destination({ dest: 2, sync: true }) : undefined));
  const auth = new InboundAuth(loadApiKeys({ inline: config.apiKeys, file: config.apiKeysFile }));
  const unauthenticatedWarning = checkExposure(config.host, auth.enabled, config.allowUnauthenticated === true);
  // The environment is read again (NAME_FILE secrets included) on every reload.
  const loadOptions = (): Omit<CompileOptions, 'mode'> => ({ env: readEnvironment(options.env ?? process.env), baseUris: config.baseUris });
  // Every file and folder is one set: adapters on one port share a listener (docs/families.md).
  const capabilityPaths = config.capabilityPaths ?? [config.capabilityPath];
  const setOf = new WeakMap<CompiledCapability, CapabilitySet>();
  // Over stdio one endpoint serves every MCP port's tools (docs/families.md); a clash fails the load, or the reload.
  const stdioTools = new WeakMap<CompiledCapability, CompiledMcpAdapter>();
  const loadSet = (): { loaded: LoadedSet; warnings: ReloadWarning[] } => {
    const loaded = loadCapabilitySet(capabilityPaths, loadOptions());
    const stdio = config.mcpStdio ? stdioToolsOf(loaded.set) : undefined;
    if (stdio !== undefined) stdioTools.set(loaded.set.served, stdio);
    setOf.set(loaded.set.served, loaded.set);
    return { loaded, warnings: loaded.warnings.flatMap((f) => f.problems.map((p) => ({ ...p, file: f.file }))) };
  };
  const { loaded: initial, warnings } = loadSet();
  const capability = initial.set.served;
  for (const w of warnings) logger.warn({ file: w.file, path: w.path, line: w.line }, `capability: ${w.message}`);
  if (initial.set.members.length > 1) {
    logger.info({ set: initial.set.name, capabilities: initial.set.members.map((m) => `${m.name} (${m.file})`) }, `serving ${initial.set.members.length} capabilities`);
  }
  checkBaseUriNamespaces(config.baseUris, capability.upstreams.map((u) => u.namespace));

  const lifecycle = new Lifecycle();
  const metrics = new GatewayMetrics();
  const breakerCooldownMs = config.breakerCooldownMs;
  const breakers = new CircuitBreakers(capability.upstreams, config.breakerThreshold, breakerCooldownMs, (upstream, state) =>
    logger.warn({ upstream, circuit: state }, `circuit ${state}`),
  );
  metrics.trackBreakers(breakers);
  // Sees each upstream answer on its way to the metrics: a 401/403 to the injected credential is warned about once per interval.
  const credentialWatch = new CredentialWatch(metrics, metrics, logger, credentialSources(capability.model.consumes));
  const pools = new UpstreamPools({ ...DEFAULT_POOL_OPTIONS, connectTimeoutMs: config.upstreamConnectTimeoutMs });
  const upstream = new UpstreamClient(pools, {
    timeoutMs: config.upstreamTimeoutMs,
    userAgent: `naftiko-gateway/${VERSION}`,
    retry: { retries: config.upstreamRetries, baseMs: config.upstreamRetryBaseMs },
    breakers,
    throttle: new OutboundThrottle(config.upstreamRateLimit),
    observer: credentialWatch,
  });

  // The ledger opens when the capability asks for it (auto) or always (on); a reload that adds x-ledger opens it then.
  let ledger: Ledger | undefined;
  let scheduleRunner: ScheduleRunner | undefined;
  const ledgerGate = new LedgerGate();
  // The ledger goes first: its seat guard may refuse a call, which the audit line then records.
  const invoker = new Invoker(upstream, [ledgerGate, createAuditInterceptor(logger, auditWriterOf(logger))]);
  // The capability served now (a reload replaces it): scheduled changes run the call it declares at their due time.
  let current = capability;
  const servedCalls = function* (): Generator<CompiledCall> {
    for (const adapter of current.rest) yield* adapter.routes;
    for (const adapter of current.mcp) yield* adapter.tools;
  };
  // Read by the MCP adapter on every tools/list, so a ledger opened by a reload shows up there too.
  const builtinTools: BuiltinTool[] = [];
  const openLedgerFor = async (served: CompiledCapability): Promise<void> => {
    if (ledger !== undefined || !ledgerWanted(config.ledger, served)) return;
    const ledgerConfig = config.ledger as NonNullable<GatewayConfig['ledger']>;
    const opened = await openLedger(ledgerConfig, logger, {
      capabilityPath: config.capabilityPath,
      env: options.env ?? process.env,
      upstreamTimeoutMs: config.upstreamTimeoutMs,
      clock: options.clock,
    }).catch((err: unknown) => {
      throw ledgerFailure(ledgerConfig, err);
    });
    if (opened === undefined) return;
    ledger = opened;
    ledgerGate.open(opened.interceptor);
    builtinTools.push(...ledgerTools(opened));
    // Replicas sharing PostgreSQL poll for each other's schedules; the embedded store has no other writer to poll for.
    const runner = new ScheduleRunner(opened.store, invoker, (row) => findCall(servedCalls(), row), logger, opened.clock, opened.db.kind === 'postgres' ? POLL_MS : undefined);
    opened.interceptor.onScheduled = () => runner.kick();
    scheduleRunner = runner;
    // A schedule already due (the gateway was down at its time) runs now.
    runner.start();
  };
  await openLedgerFor(capability);
  if (config.ledger === undefined || config.ledger.mode === 'off') warnUnguarded(capability, logger);
  else if (!ledgerWanted(config.ledger, capability)) logger.info({ ledger: 'auto' }, 'ledger not opened: no operation declares x-ledger or x-seat-guard');

  const requestTimeoutMs = config.upstreamTimeoutMs + 30_000;
  // Built again for every reload: fastify cannot remove routes, so a new capability gets a new app.
  const buildRest = (adapter: CompiledRestAdapter, served: CompiledCapability): FastifyInstance =>
    buildRestServer(adapter, { invoker, maxResponseBytes: config.maxResponseBytes }, {
      logger,
      bodyLimitBytes: config.bodyLimitBytes,
      requestTimeoutMs,
      keepAliveTimeoutMs: 72_000,
      model: served.model,
      mcp: served.mcp,
      metrics,
      readiness: { breakers, cooldownMs: breakerCooldownMs, capability: served.model.info?.label ?? config.capabilityPath, lifecycle, credentials: () => credentialWatch.states() },
      protection: {
        rateLimit: config.rateLimit,
        rateLimitWindowMs: config.rateLimitWindowMs,
        maxEventLoopDelayMs: config.maxEventLoopDelayMs,
        maxHeapUsedBytes: config.maxHeapUsedBytes,
      },
      auth,
      corsOrigins: config.corsOrigins,
      ledger: ledger?.db,
      schedules: ledger?.schedules,
    });

  // Every rest adapter gets its own listener and port. A --rest-port override moves the first
  // adapter; port 0 (tests) applies to all, since several adapters cannot share one fixed port.
  const restServers: RestServer[] = [];
  const opened: RestListener[] = [];
  const mcpAdapters: McpAdapter[] = [];
  const mcpScopes: McpScopes[] = [];
  try {
    // A stdio gateway is launched by one agent for itself: it serves that agent only, on no port.
    for (const [index, restAdapter] of (config.mcpStdio ? [] : capability.rest).entries()) {
      const listener = new RestListener(buildRest(restAdapter, capability), requestTimeoutMs);
      opened.push(listener);
      const port = config.restPort === 0 || (index === 0 && config.restPort !== undefined) ? config.restPort : restAdapter.port;
      const boundPort = await listener.listen(config.host, port).catch((err: unknown) => {
        throw listenFailure({ adapter: 'REST', namespace: restAdapter.namespace, host: config.host, port, setting: '--rest-port / GATEWAY_REST_PORT' }, err);
      });
      const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${boundPort}`;
      restServers.push({ namespace: restAdapter.namespace, listener, url });
      logger.info(
        { adapter: 'rest', namespace: restAdapter.namespace, url, routes: restAdapter.routes.map((r) => `${r.method} ${r.path} -> ${r.operation.key}`) },
        'rest adapter listening',
      );
    }
    if (unauthenticatedWarning !== undefined) logger.warn({ inboundAuth: 'off' }, unauthenticatedWarning);
    else logger.info({ inboundAuth: 'api-keys', keyIds: auth.keyIds }, 'inbound authentication on');
    // One MCP listener per declared port; over stdio one endpoint with every port's tools.
    const stdio = stdioTools.get(capability);
    for (const [index, mcpAdapter] of (config.mcpStdio ? (stdio === undefined ? [] : [stdio]) : capability.mcp).entries()) {
      // Loaded on demand: the MCP SDK (and zod) roughly doubles start-up time, which `check` and REST-only capabilities need not pay.
      const [{ startMcpAdapter }, { McpServers }] = await Promise.all([import('./adapters/mcp/index.js'), import('./adapters/mcp/server.js')]);
      // Over stdio the agent that launched the gateway is its only caller (it already holds the upstream key): no inbound keys.
      const mcpAuth = config.mcpStdio || !auth.enabled ? undefined : auth;
      const deps = { invoker, maxResponseBytes: config.maxResponseBytes, logger, auth: mcpAuth, builtinTools };
      const scopes = new McpScopes((scope) => new McpServers(scope, deps));
      // /mcp/<capability> is an HTTP path: stdio has none.
      if (!config.mcpStdio) await scopes.update(initial.set.mcpScopes[index] ?? new Map());
      mcpScopes.push(scopes);
      const started = await startMcpAdapter(mcpAdapter, deps, {
        transport: config.mcpStdio ? 'stdio' : 'http',
        host: config.host,
        port: config.mcpPort === 0 || (index === 0 && config.mcpPort !== undefined) ? config.mcpPort : mcpAdapter.port,
        stateless: config.mcpStateless,
        allowedOrigins: config.mcpAllowedOrigins,
        allowedHosts: config.mcpAllowedHosts,
        authenticate: mcpAuth === undefined ? undefined : (request) => authenticatedCaller(mcpAuth, request.headers),
        callerOfHeaders: mcpAuth === undefined ? undefined : (headers) => knownCaller(mcpAuth, headers),
        bodyLimitBytes: config.bodyLimitBytes,
        keepAliveTimeoutMs: 72_000,
        scopes,
      }).catch((err: unknown) => {
        throw listenFailure({ adapter: 'MCP', namespace: mcpAdapter.namespace, host: config.host, port: config.mcpPort ?? mcpAdapter.port, setting: '--mcp-port / GATEWAY_MCP_PORT' }, err);
      });
      mcpAdapters.push(started);
      logger.info(
        {
          adapter: 'mcp',
          namespace: mcpAdapter.namespace,
          transport: started.transport,
          url: started.url,
          stateless: started.transport === 'http' ? config.mcpStateless : undefined,
          tools: started.tools.list.map((t) => t.name),
          capabilityEndpoints: started.transport === 'http' && initial.set.members.length > 1 ? scopes.names.map((n) => `/mcp/${n}`) : undefined,
        },
        'mcp adapter listening',
      );
    }
  } catch (err) {
    // A port in use (REST or MCP) must not leave listeners, the pools or the ledger (and its file lock) open.
    await Promise.all(opened.map((l) => l.close()));
    await Promise.all(mcpAdapters.map((m) => m.close()));
    await Promise.all(mcpScopes.map((s) => s.closeAll()));
    await scheduleRunner?.stop();
    await pools.close();
    await ledger?.close();
    throw err;
  }
  const restUrl = restServers[0]?.url;
  for (const u of capability.upstreams) logger.info({ upstream: u.namespace, origin: u.origin + u.basePath, auth: u.auth.type }, 'upstream configured');

  const mcp = mcpAdapters[0];
  const reloading = startReloading(
    {
      file: config.capabilityPath,
      logger,
      loadOptions,
      load: () => {
        const { loaded, warnings: w } = loadSet();
        return { capability: loaded.set.served, warnings: w };
      },
      current: () => current,
      prepare: openLedgerFor,
      setCurrent: (next) => (current = next),
      rest: restServers.length === 0 ? undefined : { listeners: restServers.map((r) => r.listener), build: buildRest, portOverridden: config.restPort !== undefined },
    },
    // A watched folder also picks up capability files added to or removed from it.
    config.watch ? [...initial.files, ...initial.folders, ...filePaths(capability.model.envBinds.values(), options.env ?? process.env)] : undefined,
  );

  reloading.onReload(async (next) => {
    breakers.track(next.upstreams);
    if (!config.mcpStdio && next.mcp.length !== mcpAdapters.length) logger.warn({ from: mcpAdapters.length, to: next.mcp.length }, 'capability reload: the number of MCP ports changed; it applies at the next restart');
    for (const [i, adapter] of mcpAdapters.entries()) {
      const tools = config.mcpStdio ? stdioTools.get(next) : next.mcp[i];
      if (tools !== undefined) adapter.replaceTools(tools);
      if (!config.mcpStdio) await mcpScopes[i]?.update(setOf.get(next)?.mcpScopes[i] ?? new Map());
    }
  });

  let closed = false;
  lifecycle.phase = 'serving';
  return {
    get capability() {
      return current;
    },
    get capabilitySet() {
      return setOf.get(current) ?? initial.set;
    },
    logger,
    metrics,
    get rest() {
      return restServers[0]?.listener.app;
    },
    restUrl,
    mcp,
    mcpUrl: mcp?.url,
    mcpAdapters,
    auth,
    restServers,
    config,
    reload: reloading.reload,
    onReload: reloading.onReload,
    get ledger() {
      return ledger;
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      lifecycle.phase = 'stopping';
      // Everything stops at once (listeners first stop accepting), so shutdown is bounded by the slowest part, not their sum.
      // The schedule runner finishes the run in progress (the pools are still open) and releases a claim it did not start.
      await Promise.all([...restServers.map((r) => r.listener.close()), ...mcpAdapters.map((m) => m.close()), ...mcpScopes.map((s) => s.closeAll()), reloading.close(), scheduleRunner?.stop()]);
      await pools.close();
      await ledger?.close();
    },
  };
}
