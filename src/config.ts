/**
 * Effective configuration: CLI flag > environment variable > capability file > default.
 */
import { resolveLedgerConfig, type LedgerConfig } from './ledger/config.js';

/** GatewayConfig is everything `serve` needs, resolved. */
export interface GatewayConfig {
  readonly capabilityPath: string;
  readonly host: string;
  /** Overrides the rest adapter's port from the capability. */
  readonly restPort: number | undefined;
  /** Overrides the mcp adapter's port from the capability. */
  readonly mcpPort: number | undefined;
  /** Base URI overrides by consumes namespace; `*` applies to all. */
  readonly baseUris: Readonly<Record<string, string>>;
  readonly upstreamTimeoutMs: number;
  readonly bodyLimitBytes: number;
  readonly maxResponseBytes: number;
  readonly logLevel: string;
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
} as const;

/** ENV names every environment variable the gateway reads for its own settings. */
export const ENV = {
  capabilityPath: 'GATEWAY_CAPABILITY',
  host: 'GATEWAY_HOST',
  restPort: 'GATEWAY_REST_PORT',
  mcpPort: 'GATEWAY_MCP_PORT',
  baseUri: 'GATEWAY_BASE_URI',
  upstreamTimeoutMs: 'GATEWAY_UPSTREAM_TIMEOUT_MS',
  bodyLimitBytes: 'GATEWAY_BODY_LIMIT_BYTES',
  logLevel: 'GATEWAY_LOG_LEVEL',
} as const;

/** ConfigError is a bad flag or environment value. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** FlagValues are the `serve` flags as parsed from argv. */
export interface FlagValues {
  readonly capability?: string | undefined;
  readonly host?: string | undefined;
  readonly restPort?: string | undefined;
  readonly mcpPort?: string | undefined;
  readonly baseUri?: readonly string[] | undefined;
  readonly upstreamTimeoutMs?: string | undefined;
  readonly bodyLimitBytes?: string | undefined;
  readonly logLevel?: string | undefined;
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
  return {
    capabilityPath: pick(flags.capability, ENV.capabilityPath) ?? DEFAULTS.capabilityPath,
    host: pick(flags.host, ENV.host) ?? DEFAULTS.host,
    restPort: integer('rest port', pick(flags.restPort, ENV.restPort), 0, 65535),
    mcpPort: integer('mcp port', pick(flags.mcpPort, ENV.mcpPort), 0, 65535),
    baseUris: parseBaseUris(baseUriEntries),
    upstreamTimeoutMs: integer('upstream timeout', pick(flags.upstreamTimeoutMs, ENV.upstreamTimeoutMs), 1, 3_600_000) ?? DEFAULTS.upstreamTimeoutMs,
    bodyLimitBytes: integer('body limit', pick(flags.bodyLimitBytes, ENV.bodyLimitBytes), 1, 1024 * 1024 * 1024) ?? DEFAULTS.bodyLimitBytes,
    maxResponseBytes: DEFAULTS.maxResponseBytes,
    logLevel: pick(flags.logLevel, ENV.logLevel) ?? DEFAULTS.logLevel,
    ledger: ledgerConfig(flags, env),
  };
}
