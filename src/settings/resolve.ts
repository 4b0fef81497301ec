/**
 * The settings parser, generated from the table: flag > environment variable >
 * default (the capability's own values apply when it is loaded). Defaults are
 * applied here, once; an unknown `GATEWAY_*` variable is an error naming it.
 */
import { ledgerConfigOf, type LedgerConfig } from '../ledger/config.js';
import { splitCapabilityList } from '../family/paths.js';
import { DEFAULT_MAX_RESPONSE_BYTES } from '../upstream/response.js';
import { SETTING_BY_ENV, SETTINGS, type SettingSpec } from './table.js';
import { ConfigError, parseBaseUris, parseBoolean, parseChoice, parseHosts, parseInteger, parseOrigins } from './values.js';

type Spec = (typeof SETTINGS)[number];
type CamelCase<S extends string> = S extends `${infer H}-${infer T}` ? `${H}${Capitalize<CamelCase<T>>}` : S;
type Flagged = Extract<Spec, { flag: string }>;
type FlagValueOf<S> = S extends { kind: 'boolean' } ? boolean : S extends { multiple: true } ? readonly string[] : string;

/** FlagValues are the `serve` flags as parsed from argv, keyed by the flag in camelCase (`--rest-port` → `restPort`). */
export type FlagValues = { readonly [S in Flagged as CamelCase<S['flag']>]?: FlagValueOf<S> | undefined } & {
  /** The capability file (serve's first positional argument). */
  readonly capability?: string | undefined;
  /** Every capability file and folder given on the command line (`capability` is the first). */
  readonly capabilities?: readonly string[] | undefined;
};

type Resolved = Exclude<Spec, { ledger: true }>;
type ValueOf<S> = S extends { kind: 'integer' }
  ? S extends { default: number }
    ? number
    : number | undefined
  : S extends { kind: 'boolean' }
    ? boolean
    : S extends { kind: 'origins' }
      ? readonly string[]
      : S extends { kind: 'hosts' }
        ? readonly string[] | undefined
      : S extends { kind: 'base-uris' }
        ? Readonly<Record<string, string>>
        : S extends { default: string }
          ? string
          : string | undefined;

/** GatewayConfig is everything `serve` needs, resolved: one field per setting of the table, defaults applied. */
export type GatewayConfig = { readonly [S in Resolved as S['key']]: ValueOf<S> } & {
  /** Every capability file and folder to serve as one set (docs/families.md); `capabilityPath` is them joined by commas. */
  readonly capabilityPaths: readonly string[];
  /** Bounds what the gateway buffers to map one response (not a setting). */
  readonly maxResponseBytes: number;
  /** Role-change ledger; `off` disables it. */
  readonly ledger: LedgerConfig;
};

type Defaults = { readonly [S in Extract<Resolved, { default: string | number | boolean }> as S['key']]: S['default'] } & { readonly maxResponseBytes: number };

/** DEFAULTS are the table's defaults (the values used when neither flag nor environment says otherwise). */
export const DEFAULTS = Object.freeze({
  ...Object.fromEntries(SETTINGS.filter((s) => !('ledger' in s) && (typeof s.default === 'string' || typeof s.default === 'number' || typeof s.default === 'boolean')).map((s) => [s.key, s.default])),
  maxResponseBytes: DEFAULT_MAX_RESPONSE_BYTES,
}) as Defaults;

/** ENV names the environment variable of every setting that has one. */
export const ENV = Object.freeze(Object.fromEntries(SETTINGS.filter((s) => s.env !== undefined).map((s) => [s.key, s.env]))) as {
  readonly [S in Extract<Spec, { env: string }> as S['key']]: S['env'];
};

/** flagKeyOf is a setting's key in FlagValues. */
export function flagKeyOf(spec: SettingSpec): string | undefined {
  if (spec.key === 'capabilityPath') return 'capability';
  return spec.flag?.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
}

/**
 * Variables Kubernetes injects for a Service named `gateway…` (service links: `GATEWAY_SERVICE_HOST`,
 * `GATEWAY_PORT_8080_TCP_ADDR`…) are not settings; every other unknown `GATEWAY_*` name is a typo to report.
 */
const SERVICE_LINK = /_SERVICE_HOST$|_SERVICE_PORT(_[A-Z0-9_]+)?$|_PORT(_\d+_(TCP|UDP|SCTP)(_PROTO|_PORT|_ADDR)?)?$/;
const FILE_SUFFIX = '_FILE';

/** checkEnvironment refuses `GATEWAY_*` variables that name no setting, suggesting the closest one. */
export function checkEnvironment(env: Readonly<Record<string, string | undefined>>): void {
  for (const name of Object.keys(env)) {
    if (!name.startsWith('GATEWAY_') || SETTING_BY_ENV.has(name) || SERVICE_LINK.test(name)) continue;
    if (name.endsWith(FILE_SUFFIX) && SETTING_BY_ENV.has(name.slice(0, -FILE_SUFFIX.length))) continue;
    const near = [...SETTING_BY_ENV.keys()].find((known) => known.startsWith(name) || name.startsWith(known));
    throw new ConfigError(`unknown setting ${name}${near === undefined ? '' : ` (did you mean ${near}?)`}; see naftiko-gateway serve --help`);
  }
}

function envValue(spec: SettingSpec, env: Readonly<Record<string, string | undefined>>): string | undefined {
  if (spec.env === undefined || (spec.direct === true && !Object.hasOwn(env, spec.env))) return undefined;
  const raw = env[spec.env];
  return raw === '' ? undefined : raw;
}

function resolveOne(spec: SettingSpec, flags: Readonly<Record<string, unknown>>, env: Readonly<Record<string, string | undefined>>): unknown {
  const key = flagKeyOf(spec);
  const flag = key === undefined ? undefined : flags[key];
  const fromEnv = envValue(spec, env);
  switch (spec.kind) {
    case 'boolean':
      if (typeof flag === 'boolean') return flag;
      if (typeof flag === 'string') return parseBoolean(spec, 'flag', flag);
      return fromEnv === undefined ? spec.default : parseBoolean(spec, 'env', fromEnv);
    case 'integer':
      if (typeof flag === 'string' && flag !== '') return parseInteger(spec, 'flag', flag);
      return fromEnv === undefined ? spec.default : parseInteger(spec, 'env', fromEnv);
    case 'origins':
      return parseOrigins(typeof flag === 'string' ? flag : fromEnv);
    case 'hosts':
      return parseHosts(typeof flag === 'string' ? flag : fromEnv);
    case 'base-uris':
      // Environment first, flags after: a flag for a namespace overrides the environment's entry.
      return parseBaseUris([...(fromEnv === undefined ? [] : [fromEnv]), ...(Array.isArray(flag) ? (flag as string[]) : typeof flag === 'string' ? [flag] : [])]);
    case 'string': {
      const given = typeof flag === 'string' && flag !== '' ? flag : undefined;
      if (spec.choices !== undefined && (given ?? fromEnv) !== undefined) return given !== undefined ? parseChoice(spec, 'flag', given) : parseChoice(spec, 'env', fromEnv as string);
      return given ?? fromEnv ?? spec.default;
    }
  }
}

/** ledgerConfig folds the ledger's rows, parsed like every other setting, into the one LedgerConfig. */
function ledgerConfig(values: Readonly<Record<string, unknown>>, flags: FlagValues): LedgerConfig {
  try {
    return ledgerConfigOf({
      ledger: values['ledger'] as string,
      ledgerDir: values['ledgerDir'] as string | undefined,
      ledgerDirFromFlag: flags.ledgerDir !== undefined && flags.ledgerDir !== '',
      databaseUrl: values['databaseUrl'] as string | undefined,
      ledgerClockOffsetMs: values['ledgerClockOffsetMs'] as number,
    });
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
}

/** resolveConfig applies flag > env > default to every setting of the table. */
export function resolveConfig(flags: FlagValues, env: Readonly<Record<string, string | undefined>>): GatewayConfig {
  checkEnvironment(env);
  const config: Record<string, unknown> = {};
  const ledgerValues: Record<string, unknown> = {};
  for (const spec of SETTINGS as readonly SettingSpec[]) (spec.ledger === true ? ledgerValues : config)[spec.key] = resolveOne(spec, flags, env);
  const listed = flags.capabilities;
  const paths = listed !== undefined && listed.length > 0 ? [...listed] : splitCapabilityList(config['capabilityPath'] as string);
  config['capabilityPath'] = paths.join(',');
  config['capabilityPaths'] = paths;
  config['maxResponseBytes'] = DEFAULT_MAX_RESPONSE_BYTES;
  config['ledger'] = ledgerConfig(ledgerValues, flags);
  return config as GatewayConfig;
}
