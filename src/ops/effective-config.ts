/**
 * `serve --print-config`: the effective configuration, each setting with the
 * layer it came from (flag > env > capability > default), secrets masked.
 */
import type { CheckResult } from '../capability/index.js';
import { DEFAULTS, ENV, SETTINGS, type FlagValues, type GatewayConfig, type SettingSpec } from '../settings/index.js';
import { flagKeyOf } from '../settings/resolve.js';
import { LEDGER_DEFAULT_DIR } from '../ledger/data-dir.js';
import { describeUrl } from '../ledger/url.js';
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

function sourceOf(flag: unknown, env: Environment, envName: string | undefined, fallback: Source): Source {
  if (flag !== undefined && !(Array.isArray(flag) && flag.length === 0)) return 'flag';
  const raw = envName === undefined ? undefined : env[envName];
  return raw !== undefined && raw !== '' ? 'env' : fallback;
}

/** Settings printed elsewhere in the document (base URIs per upstream), or secret (inline keys), or the ledger's own. */
function printedAsSetting(spec: SettingSpec): boolean {
  return spec.ledger !== true && spec.kind !== 'base-uris' && spec.key !== 'apiKeys';
}

/** describeConfig builds the `--print-config` document; `check` is the capability checked with the same env. */
export function describeConfig(config: GatewayConfig, flags: FlagValues, env: Environment, check: CheckResult): Record<string, unknown> {
  const compiled = check.compiled;
  // Ports left unset by flag and environment come from the capability's adapters.
  const fromCapability: Record<string, number | undefined> = { restPort: compiled?.rest[0]?.port, mcpPort: compiled?.mcp[0]?.port };
  const settings: Record<string, Setting> = {};
  const given = flags as Readonly<Record<string, unknown>>;
  const values = config as unknown as Readonly<Record<string, unknown>>;
  for (const spec of SETTINGS as readonly SettingSpec[]) {
    if (!printedAsSetting(spec)) continue;
    const key = flagKeyOf(spec);
    const capabilityValue = fromCapability[spec.key];
    const value = values[spec.key] ?? capabilityValue ?? null;
    const fallback: Source = capabilityValue !== undefined ? 'capability' : 'default';
    settings[spec.key === 'capabilityPath' ? 'capability' : spec.key] = { value, source: sourceOf(key === undefined ? undefined : given[key], env, spec.env, fallback) };
  }
  settings['ledger'] = describeLedger(config, flags, env);
  const baseUriSource = sourceOf(flags.baseUri, env, ENV.baseUris, 'capability');
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
 * describeLedger: the ledger's mode (off, embedded in a directory, or PostgreSQL), where it lives, and
 * whether DATABASE_URL is set; the URL itself is redacted (it carries the password), its host and database shown.
 */
function describeLedger(config: GatewayConfig, flags: FlagValues, env: Environment): Setting {
  const ledger = config.ledger ?? { mode: 'off' as const };
  const databaseUrl = env[ENV.databaseUrl];
  const value = {
    mode: ledger.mode,
    // auto: opened only for a capability that declares x-ledger or x-seat-guard.
    ...(ledger.mode === 'off' ? {} : { open: ledger.open ?? 'on' }),
    ...(ledger.mode === 'embedded' ? { dir: ledger.dir ?? `${LEDGER_DEFAULT_DIR} next to the capability file (default)` } : {}),
    ...(ledger.mode === 'postgres' ? { database: describeUrl(ledger.url) } : {}),
    databaseUrl: databaseUrl === undefined || databaseUrl === '' ? null : REDACTED,
  };
  const flagged = flags.ledger !== undefined || flags.ledgerDir !== undefined;
  const fromEnv = [ENV.ledger, ENV.ledgerDir, ENV.databaseUrl].some((name) => env[name] !== undefined && env[name] !== '');
  return { value, source: flagged ? 'flag' : fromEnv ? 'env' : 'default' };
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
