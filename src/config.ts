/**
 * Effective configuration: CLI flag > environment variable > capability file > default.
 */
import { resolveLedgerConfig, type LedgerConfig } from './ledger/config.js';
import { splitCapabilityList } from './family/paths.js';

/** GatewayConfig is everything `serve` needs, resolved. */
export interface GatewayConfig {
  /** The capability file or folder; with several, the list as GATEWAY_CAPABILITY spells it (`a.yaml,dir`). */
  readonly capabilityPath: string;
  /** Every capability file and folder to serve as one set (docs/families.md); `[capabilityPath]` when absent. */
  readonly capabilityPaths?: readonly string[] | undefined;
  readonly host: string;
  /** Overrides the rest adapter's port from the capability. */
  readonly restPort: number | undefined;
  /** Overrides the mcp adapter's port from the capability. */
  readonly mcpPort: number | undefined;
  /** MCP over HTTP without sessions: every request stands alone (for replicas behind a load balancer). */
  readonly mcpStateless: boolean;
  /** Browser origins allowed to call the MCP endpoint; any other `Origin` gets 403. */
  readonly mcpAllowedOrigins: readonly string[];
  /** Host header values allowed on the MCP port besides loopback names (DNS-rebinding protection); undefined: the default policy. */
  readonly mcpAllowedHosts?: readonly string[] | undefined;
  /** Serve the MCP tools over stdin/stdout (desktop agents) instead of HTTP; logs go to stderr. */
  readonly mcpStdio: boolean;
  /** Base URI overrides by consumes namespace; `*` applies to all. */
  readonly baseUris: Readonly<Record<string, string>>;
  readonly upstreamTimeoutMs: number;
  readonly bodyLimitBytes: number;
  readonly maxResponseBytes: number;
  readonly logLevel: string;
  // Reliability settings (issue 5) are optional so embedders and older callers need not spell them out;
  // startGateway falls back to DEFAULTS.
  /** Time to establish a TCP/TLS connection upstream. */
  readonly upstreamConnectTimeoutMs?: number;
  /** Retries of idempotent operations (0 disables). */
  readonly upstreamRetries?: number;
  /** First retry backoff ceiling; doubles per retry (full jitter). */
  readonly upstreamRetryBaseMs?: number;
  /** Consecutive upstream failures that open an upstream's circuit (0 disables the breaker). */
  readonly breakerThreshold?: number;
  /** How long an open circuit waits before letting one trial request through. */
  readonly breakerCooldownMs?: number;
  /** Outbound requests per second per upstream, token bucket with a one-second burst (0 = unlimited). */
  readonly upstreamRateLimit?: number;
  /** Inbound requests per window per client key or IP (0 = off). */
  readonly rateLimit?: number;
  readonly rateLimitWindowMs?: number;
  /** Event-loop delay beyond which requests are shed with 503 (0 = off). */
  readonly maxEventLoopDelayMs?: number;
  /** Heap use beyond which requests are shed with 503 (0 = off). */
  readonly maxHeapUsedBytes?: number;
  /** How long a SIGTERM/SIGINT waits for in-flight requests before exiting anyway. */
  readonly shutdownTimeoutMs?: number;
  /** Inbound API key entries (GATEWAY_API_KEYS), `id:sha256:scopes;…`. */
  readonly apiKeys?: string | undefined;
  /** File of inbound API key entries, one per line. */
  readonly apiKeysFile?: string | undefined;
  /** Serve a non-loopback address without inbound keys. */
  readonly allowUnauthenticated?: boolean;
  /** Allowed CORS origins; empty turns CORS off. */
  readonly corsOrigins?: readonly string[];
  /** Reload the capability when its file (or a `NAME_FILE` secret) changes. */
  readonly watch: boolean;
  /** Role-change ledger; undefined (embedders) or `off` disables it. */
  readonly ledger?: LedgerConfig | undefined;
}

/** DEFAULTS are used when neither flag, environment nor capability says otherwise. */
export const DEFAULTS = {
  capabilityPath: './capability.yaml',
  host: '127.0.0.1',
  upstreamTimeoutMs: 30_000,
  bodyLimitBytes: 1024 * 1024,
  maxResponseBytes: 16 * 1024 * 1024,
  logLevel: 'info',
  upstreamConnectTimeoutMs: 5_000,
  upstreamRetries: 2,
  upstreamRetryBaseMs: 100,
  breakerThreshold: 5,
  breakerCooldownMs: 10_000,
  upstreamRateLimit: 10_000,
  rateLimit: 0,
  rateLimitWindowMs: 60_000,
  maxEventLoopDelayMs: 0,
  maxHeapUsedBytes: 0,
  shutdownTimeoutMs: 25_000,
  watch: false,
} as const;

/** ENV names every environment variable the gateway reads for its own settings. */
export const ENV = {
  capabilityPath: 'GATEWAY_CAPABILITY',
  host: 'GATEWAY_HOST',
  restPort: 'GATEWAY_REST_PORT',
  mcpPort: 'GATEWAY_MCP_PORT',
  mcpStateless: 'GATEWAY_MCP_STATELESS',
  mcpAllowedOrigins: 'GATEWAY_MCP_ALLOWED_ORIGINS',
  mcpAllowedHosts: 'GATEWAY_MCP_ALLOWED_HOSTS',
  baseUri: 'GATEWAY_BASE_URI',
  upstreamTimeoutMs: 'GATEWAY_UPSTREAM_TIMEOUT_MS',
  bodyLimitBytes: 'GATEWAY_BODY_LIMIT_BYTES',
  logLevel: 'GATEWAY_LOG_LEVEL',
  upstreamConnectTimeoutMs: 'GATEWAY_UPSTREAM_CONNECT_TIMEOUT_MS',
  upstreamRetries: 'GATEWAY_UPSTREAM_RETRIES',
  upstreamRetryBaseMs: 'GATEWAY_UPSTREAM_RETRY_BASE_MS',
  breakerThreshold: 'GATEWAY_BREAKER_THRESHOLD',
  breakerCooldownMs: 'GATEWAY_BREAKER_COOLDOWN_MS',
  upstreamRateLimit: 'GATEWAY_UPSTREAM_RATE_LIMIT',
  rateLimit: 'GATEWAY_RATE_LIMIT',
  rateLimitWindowMs: 'GATEWAY_RATE_LIMIT_WINDOW_MS',
  maxEventLoopDelayMs: 'GATEWAY_MAX_EVENT_LOOP_DELAY_MS',
  maxHeapUsedBytes: 'GATEWAY_MAX_HEAP_USED_BYTES',
  shutdownTimeoutMs: 'GATEWAY_SHUTDOWN_TIMEOUT_MS',
  apiKeys: 'GATEWAY_API_KEYS',
  apiKeysFile: 'GATEWAY_API_KEYS_FILE',
  allowUnauthenticated: 'GATEWAY_ALLOW_UNAUTHENTICATED',
  corsOrigins: 'GATEWAY_CORS_ORIGINS',
  watch: 'GATEWAY_WATCH',
} as const;

/** ConfigError is a bad flag or environment value. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** FlagValues are the `serve` flags as parsed from argv. */
export interface FlagValues {
  readonly capability?: string | undefined;
  /** Every capability file and folder given on the command line (`capability` is the first). */
  readonly capabilities?: readonly string[] | undefined;
  readonly host?: string | undefined;
  readonly restPort?: string | undefined;
  readonly mcpPort?: string | undefined;
  readonly mcpStateless?: boolean | undefined;
  readonly mcpAllowedOrigins?: string | undefined;
  readonly mcpAllowedHosts?: string | undefined;
  readonly mcpStdio?: boolean | undefined;
  readonly baseUri?: readonly string[] | undefined;
  readonly upstreamTimeoutMs?: string | undefined;
  readonly bodyLimitBytes?: string | undefined;
  readonly logLevel?: string | undefined;
  readonly upstreamConnectTimeoutMs?: string | undefined;
  readonly upstreamRetries?: string | undefined;
  readonly upstreamRetryBaseMs?: string | undefined;
  readonly breakerThreshold?: string | undefined;
  readonly breakerCooldownMs?: string | undefined;
  readonly upstreamRateLimit?: string | undefined;
  readonly rateLimit?: string | undefined;
  readonly rateLimitWindowMs?: string | undefined;
  readonly maxEventLoopDelayMs?: string | undefined;
  readonly maxHeapUsedBytes?: string | undefined;
  readonly shutdownTimeoutMs?: string | undefined;
  readonly apiKeysFile?: string | undefined;
  readonly allowUnauthenticated?: boolean | undefined;
  readonly corsOrigins?: string | undefined;
  readonly watch?: boolean | undefined;
  readonly ledger?: string | undefined;
  readonly ledgerDir?: string | undefined;
}

function integer(name: string, raw: string | undefined, min: number, max: number): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be an integer, got "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(`${name} must be from ${min} to ${max}, got ${n}`);
  return n;
}

function flag(name: string, raw: string | undefined): boolean | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (raw === '1' || raw === 'true') return true;
  if (raw === '0' || raw === 'false') return false;
  throw new ConfigError(`${name} must be 1/true or 0/false, got "${raw}"`);
}

/** parseHosts reads a comma-separated Host allow-list (`name` or `name:port`); unset stays undefined. */
export function parseHosts(raw: string | undefined): string[] | undefined {
  if (raw === undefined) return undefined;
  return raw.split(',').map((h) => h.trim().toLowerCase()).filter((h) => h !== '');
}

/** parseOrigins reads a comma-separated origin list; a trailing slash is dropped as browsers never send one. */
export function parseOrigins(raw: string | undefined): string[] {
  if (raw === undefined) return [];
  return raw.split(',').map((o) => o.trim().replace(/\/+$/, '')).filter((o) => o !== '');
}

/**
 * parseBaseUris reads `url` (applies to every upstream) or `namespace=url`,
 * several separated by commas or given as repeated flags.
 */
export function parseBaseUris(entries: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of entries.flatMap((e) => e.split(','))) {
    const trimmed = entry.trim();
    if (trimmed === '') continue;
    const eq = trimmed.indexOf('=');
    const schemeAt = trimmed.indexOf('://');
    if (eq > 0 && (schemeAt === -1 || eq < schemeAt)) out[trimmed.slice(0, eq)] = trimmed.slice(eq + 1);
    else out['*'] = trimmed;
  }
  return out;
}

function ledgerConfig(flags: FlagValues, env: Readonly<Record<string, string | undefined>>): LedgerConfig {
  try {
    return resolveLedgerConfig(flags, env);
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
}

/** resolveConfig applies flag > env > default (the capability's own values are applied when it is loaded). */
export function resolveConfig(flags: FlagValues, env: Readonly<Record<string, string | undefined>>): GatewayConfig {
  const pick = (flag: string | undefined, envName: string): string | undefined => flag ?? (env[envName] === '' ? undefined : env[envName]);
  const baseUriEntries = [...(env[ENV.baseUri] ? [env[ENV.baseUri] as string] : []), ...(flags.baseUri ?? [])];
  const capabilityPaths =
    flags.capabilities !== undefined && flags.capabilities.length > 0
      ? [...flags.capabilities]
      : splitCapabilityList(pick(flags.capability, ENV.capabilityPath) ?? DEFAULTS.capabilityPath);
  return {
    capabilityPath: capabilityPaths.join(','),
    capabilityPaths,
    host: pick(flags.host, ENV.host) ?? DEFAULTS.host,
    restPort: integer('rest port', pick(flags.restPort, ENV.restPort), 0, 65535),
    mcpPort: integer('mcp port', pick(flags.mcpPort, ENV.mcpPort), 0, 65535),
    mcpStateless: flags.mcpStateless === true || (flag(ENV.mcpStateless, env[ENV.mcpStateless]) ?? false),
    mcpAllowedOrigins: parseOrigins(pick(flags.mcpAllowedOrigins, ENV.mcpAllowedOrigins)),
    mcpAllowedHosts: parseHosts(pick(flags.mcpAllowedHosts, ENV.mcpAllowedHosts)),
    mcpStdio: flags.mcpStdio === true,
    baseUris: parseBaseUris(baseUriEntries),
    upstreamTimeoutMs: integer('upstream timeout', pick(flags.upstreamTimeoutMs, ENV.upstreamTimeoutMs), 1, 3_600_000) ?? DEFAULTS.upstreamTimeoutMs,
    bodyLimitBytes: integer('body limit', pick(flags.bodyLimitBytes, ENV.bodyLimitBytes), 1, 1024 * 1024 * 1024) ?? DEFAULTS.bodyLimitBytes,
    maxResponseBytes: DEFAULTS.maxResponseBytes,
    logLevel: pick(flags.logLevel, ENV.logLevel) ?? DEFAULTS.logLevel,
    // Only a GATEWAY_API_KEYS set itself: GATEWAY_API_KEYS_FILE is the keys file, not also read through the NAME_FILE convention.
    apiKeys: Object.hasOwn(env, ENV.apiKeys) ? env[ENV.apiKeys] : undefined,
    apiKeysFile: pick(flags.apiKeysFile, ENV.apiKeysFile),
    allowUnauthenticated: flags.allowUnauthenticated === true || /^(1|true|yes)$/i.test(env[ENV.allowUnauthenticated] ?? ''),
    corsOrigins: (pick(flags.corsOrigins, ENV.corsOrigins) ?? '').split(',').map((o) => o.trim()).filter((o) => o !== ''),
    ...resolveReliability(flags, pick),
    watch: flags.watch ?? flag('watch', env[ENV.watch]) ?? DEFAULTS.watch,
    ledger: ledgerConfig(flags, env),
  };
}

type PickValue = (flag: string | undefined, envName: string) => string | undefined;

/** resolveReliability reads the timeout, retry, breaker, rate-limit, shedding and shutdown settings. */
function resolveReliability(flags: FlagValues, pick: PickValue): Required<Pick<GatewayConfig, ReliabilityKey>> {
  const read = (key: ReliabilityKey, name: string, min: number, max: number): number =>
    integer(name, pick(flags[key], ENV[key]), min, max) ?? DEFAULTS[key];
  return {
    upstreamConnectTimeoutMs: read('upstreamConnectTimeoutMs', 'upstream connect timeout', 1, 600_000),
    upstreamRetries: read('upstreamRetries', 'upstream retries', 0, 10),
    upstreamRetryBaseMs: read('upstreamRetryBaseMs', 'upstream retry base', 1, 600_000),
    breakerThreshold: read('breakerThreshold', 'breaker threshold', 0, 1_000_000),
    breakerCooldownMs: read('breakerCooldownMs', 'breaker cool-down', 1, 3_600_000),
    upstreamRateLimit: read('upstreamRateLimit', 'upstream rate limit', 0, 1_000_000),
    rateLimit: read('rateLimit', 'rate limit', 0, 100_000_000),
    rateLimitWindowMs: read('rateLimitWindowMs', 'rate limit window', 1, 86_400_000),
    maxEventLoopDelayMs: read('maxEventLoopDelayMs', 'max event loop delay', 0, 3_600_000),
    maxHeapUsedBytes: read('maxHeapUsedBytes', 'max heap used', 0, Number.MAX_SAFE_INTEGER),
    shutdownTimeoutMs: read('shutdownTimeoutMs', 'shutdown timeout', 1, 3_600_000),
  };
}

type ReliabilityKey =
  | 'upstreamConnectTimeoutMs'
  | 'upstreamRetries'
  | 'upstreamRetryBaseMs'
  | 'breakerThreshold'
  | 'breakerCooldownMs'
  | 'upstreamRateLimit'
  | 'rateLimit'
  | 'rateLimitWindowMs'
  | 'maxEventLoopDelayMs'
  | 'maxHeapUsedBytes'
  | 'shutdownTimeoutMs';
