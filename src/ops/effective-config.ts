/**
 * `serve --print-config`: the effective configuration, each setting with the
 * layer it came from (flag > env > capability > default), secrets masked.
 */
import type { CheckResult } from '../capability/index.js';
import { DEFAULTS, ENV, type FlagValues, type GatewayConfig } from '../config.js';
import { FILE_SUFFIX, type Environment } from './env-files.js';
import { REDACTED } from './logger.js';

/** Source is the configuration layer a value came from. */
export type Source = 'flag' | 'env' | 'capability' | 'default';

/** Setting is one effective value and its layer. */
export interface Setting {
  readonly value: unknown;
  readonly source: Source;
}

/** Variable names that hold secrets even when no capability names them (inbound keys, tokens…). */
const SECRET_NAME = /KEY|TOKEN|SECRET|PASSWORD|CREDENTIAL/i;

function isSecretVariable(name: string, bound: ReadonlySet<string>): boolean {
  return bound.has(name) || (SECRET_NAME.test(name) && !name.endsWith(FILE_SUFFIX));
}

function boundVariables(check: CheckResult): Set<string> {
  return new Set(check.compiled?.model.envBinds.values() ?? []);
}

/** secretValues lists every secret the document must not show: injected credentials and secret variables. */
export function secretValues(env: Environment, check: CheckResult): string[] {
  const bound = boundVariables(check);
  const out = [...(check.compiled?.secrets ?? [])];
  for (const name of new Set([...Object.keys(env), ...bound])) {
    const value = isSecretVariable(name, bound) ? env[name] : undefined;
    if (value !== undefined && value !== '') out.push(value);
  }
  return out;
}

function sourceOf(flag: unknown, env: Environment, envName: string, fallback: Source): Source {
  if (flag !== undefined && !(Array.isArray(flag) && flag.length === 0)) return 'flag';
  const raw = env[envName];
  return raw !== undefined && raw !== '' ? 'env' : fallback;
}

/** Settings read the same way (flag > env > default) that need no special rendering. */
const LAYERED_SETTINGS = [
  'mcpStateless',
  'mcpAllowedOrigins',
  'upstreamConnectTimeoutMs',
  'upstreamRetries',
  'upstreamRetryBaseMs',
  'breakerThreshold',
  'breakerCooldownMs',
  'upstreamRateLimit',
  'rateLimit',
  'rateLimitWindowMs',
  'maxEventLoopDelayMs',
  'maxHeapUsedBytes',
  'shutdownTimeoutMs',
  'apiKeysFile',
  'allowUnauthenticated',
  'corsOrigins',
] as const satisfies readonly (keyof GatewayConfig & keyof FlagValues & keyof typeof ENV)[];

/** describeConfig builds the `--print-config` document; `check` is the capability checked with the same env. */
export function describeConfig(config: GatewayConfig, flags: FlagValues, env: Environment, check: CheckResult): Record<string, unknown> {
  const compiled = check.compiled;
  const rest = compiled?.rest[0];
  const mcp = compiled?.mcp[0];
  const settings: Record<string, Setting> = {
    capability: { value: config.capabilityPath, source: sourceOf(flags.capability, env, ENV.capabilityPath, 'default') },
    host: { value: config.host, source: sourceOf(flags.host, env, ENV.host, 'default') },
    restPort: { value: config.restPort ?? rest?.port ?? null, source: sourceOf(flags.restPort, env, ENV.restPort, rest ? 'capability' : 'default') },
    mcpPort: { value: config.mcpPort ?? mcp?.port ?? null, source: sourceOf(flags.mcpPort, env, ENV.mcpPort, mcp ? 'capability' : 'default') },
    upstreamTimeoutMs: { value: config.upstreamTimeoutMs, source: sourceOf(flags.upstreamTimeoutMs, env, ENV.upstreamTimeoutMs, 'default') },
    bodyLimitBytes: { value: config.bodyLimitBytes, source: sourceOf(flags.bodyLimitBytes, env, ENV.bodyLimitBytes, 'default') },
    logLevel: { value: config.logLevel, source: sourceOf(flags.logLevel, env, ENV.logLevel, 'default') },
    watch: { value: config.watch, source: sourceOf(flags.watch, env, ENV.watch, 'default') },
  };
  for (const key of LAYERED_SETTINGS) {
    const value = config[key] ?? (key in DEFAULTS ? DEFAULTS[key as keyof typeof DEFAULTS] : undefined);
    settings[key] = { value: value ?? null, source: sourceOf(flags[key], env, ENV[key], 'default') };
  }
  const baseUriSource = sourceOf(flags.baseUri, env, ENV.baseUri, 'capability');
  const upstreams = (compiled?.upstreams ?? []).map((u) => ({
    namespace: u.namespace,
    baseUri: { value: u.origin + u.basePath, source: (config.baseUris[u.namespace] ?? config.baseUris['*']) === undefined ? 'capability' : baseUriSource },
    auth: {
      type: u.auth.type,
      ...(u.auth.headerName === undefined ? {} : { header: u.auth.headerName, value: REDACTED }),
      ...(u.auth.queryName === undefined ? {} : { query: u.auth.queryName, value: REDACTED }),
    },
  }));
  const bound = boundVariables(check);
  const environment: Record<string, string | null> = {};
  const names = new Set([...bound, ...Object.keys(env).filter((k) => k.startsWith('GATEWAY_'))]);
  for (const name of [...names].sort()) {
    const value = env[name];
    environment[name] = value === undefined || value === '' ? null : isSecretVariable(name, bound) ? REDACTED : value;
  }
  return {
    settings,
    upstreams,
    environment,
    defaults: DEFAULTS,
    capability: {
      ok: check.ok,
      problems: check.problems.map((p) => `${p.severity}: ${p.path}: ${p.message}`),
    },
  };
}

/**
 * printableConfig renders the document and, as a last line of defence,
 * masks any secret value that slipped into another field (a key inside a baseUri…).
 */
export function printableConfig(document: Record<string, unknown>, secrets: readonly string[]): string {
  let text = JSON.stringify(document, null, 2);
  for (const secret of secrets) {
    if (secret.length >= 4) text = text.replaceAll(JSON.stringify(secret).slice(1, -1), REDACTED);
  }
  return text + '\n';
}
