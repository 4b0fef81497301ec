/**
 * The one table of gateway settings: name, CLI flag, environment variable,
 * type, default and documentation. The parser (settings/resolve.ts), `serve
 * --help`, `--print-config` and docs/configuration.md are all generated from
 * it, so a setting cannot be read one way and documented another.
 */
import { LEDGER_DEFAULT_DIR } from '../ledger/data-dir.js';

/** SettingKind says how a setting's text is read. */
export type SettingKind = 'string' | 'integer' | 'boolean' | 'origins' | 'hosts' | 'base-uris';

/** SettingSpec is one row of the table. */
export interface SettingSpec {
  /** Key in GatewayConfig. */
  readonly key: string;
  /** Long flag without dashes (`rest-port`); undefined when the setting has no flag. */
  readonly flag: string | undefined;
  /** The flag's value placeholder in `--help` (`<n>`); booleans have none. */
  readonly placeholder?: string;
  readonly env: string | undefined;
  readonly kind: SettingKind;
  /** Inclusive bounds of an integer. */
  readonly min?: number;
  readonly max?: number;
  /** The value when neither flag nor environment sets it; undefined means "unset" (e.g. the capability decides). */
  readonly default: string | number | boolean | readonly string[] | undefined;
  /** How the default reads in docs and `--help` when the value alone does not say it. */
  readonly defaultDoc?: string;
  /** One line for `--help` and docs/configuration.md. */
  readonly doc: string;
  /** A flag that may repeat (`--base-uri a --base-uri b`). */
  readonly multiple?: boolean;
  /** Read only when the variable itself is set: `GATEWAY_API_KEYS_FILE` is a setting of its own, not this one's NAME_FILE. */
  readonly direct?: boolean;
  /** The values a `string` setting may take (compared lower-case). */
  readonly choices?: readonly string[];
  /** Parsed here like every setting, then folded into GatewayConfig.ledger (ledger/config.ts ledgerConfigOf) and printed as its section. */
  readonly ledger?: boolean;
}

const MAX_MS = 3_600_000;
/** A clock offset beyond ten years is a typo, not a drill. */
const MAX_OFFSET_MS = 10 * 365 * 86_400_000;

/** SETTINGS is every setting of `serve`, in the order `--help` and the docs list them. */
export const SETTINGS = [
  { key: 'capabilityPath', flag: undefined, env: 'GATEWAY_CAPABILITY', kind: 'string', default: './capability.yaml', doc: 'capability files and folders, comma-separated (also the positional arguments of serve; docs/families.md)' },
  { key: 'host', flag: 'host', placeholder: '<addr>', env: 'GATEWAY_HOST', kind: 'string', default: '127.0.0.1', doc: 'address to bind' },
  { key: 'restPort', flag: 'rest-port', placeholder: '<n>', env: 'GATEWAY_REST_PORT', kind: 'integer', min: 0, max: 65535, default: undefined, defaultDoc: "the capability's rest port", doc: 'REST adapter port' },
  { key: 'mcpPort', flag: 'mcp-port', placeholder: '<n>', env: 'GATEWAY_MCP_PORT', kind: 'integer', min: 0, max: 65535, default: undefined, defaultDoc: "the capability's mcp port", doc: 'MCP adapter port' },
  { key: 'mcpStateless', flag: 'mcp-stateless', env: 'GATEWAY_MCP_STATELESS', kind: 'boolean', default: false, doc: 'MCP without sessions (replicas behind a load balancer)' },
  { key: 'mcpAllowedOrigins', flag: 'mcp-allowed-origins', placeholder: '<list>', env: 'GATEWAY_MCP_ALLOWED_ORIGINS', kind: 'origins', default: [], defaultDoc: 'none', doc: "browser origins allowed to call /mcp (comma-separated; others get 403; a page on the MCP port's own localhost origin is always allowed)" },
  { key: 'mcpAllowedHosts', flag: 'mcp-allowed-hosts', placeholder: '<list>', env: 'GATEWAY_MCP_ALLOWED_HOSTS', kind: 'hosts', default: undefined, defaultDoc: 'localhost names when bound to loopback; any when bound elsewhere', doc: 'Host headers allowed on the MCP port besides localhost names (comma-separated; DNS-rebinding protection)' },
  { key: 'mcpStdio', flag: 'mcp-stdio', env: undefined, kind: 'boolean', default: false, doc: 'serve the MCP tools over stdin/stdout only (logs to stderr, no ports)' },
  { key: 'baseUris', flag: 'base-uri', placeholder: '[ns=]<url>', env: 'GATEWAY_BASE_URI', kind: 'base-uris', default: undefined, defaultDoc: "the capability's baseUri", multiple: true, doc: 'override an upstream baseUri (repeatable or comma-separated; no ns = every upstream)' },
  { key: 'upstreamTimeoutMs', flag: 'upstream-timeout-ms', placeholder: '<n>', env: 'GATEWAY_UPSTREAM_TIMEOUT_MS', kind: 'integer', min: 1, max: MAX_MS, default: 30_000, doc: 'upstream deadline for response headers (retries and queueing included) and between body chunks' },
  { key: 'upstreamConnectTimeoutMs', flag: 'upstream-connect-timeout-ms', placeholder: '<n>', env: 'GATEWAY_UPSTREAM_CONNECT_TIMEOUT_MS', kind: 'integer', min: 1, max: 600_000, default: 5_000, doc: 'upstream connect timeout' },
  { key: 'upstreamRetries', flag: 'upstream-retries', placeholder: '<n>', env: 'GATEWAY_UPSTREAM_RETRIES', kind: 'integer', min: 0, max: 10, default: 2, doc: 'retries of idempotent calls' },
  { key: 'upstreamRetryBaseMs', flag: 'upstream-retry-base-ms', placeholder: '<n>', env: 'GATEWAY_UPSTREAM_RETRY_BASE_MS', kind: 'integer', min: 1, max: 600_000, default: 100, doc: 'first retry backoff ceiling (doubles per retry, full jitter)' },
  { key: 'breakerThreshold', flag: 'breaker-threshold', placeholder: '<n>', env: 'GATEWAY_BREAKER_THRESHOLD', kind: 'integer', min: 0, max: 1_000_000, default: 5, doc: "consecutive failures that open an upstream's circuit (0 = no breaker)" },
  { key: 'breakerCooldownMs', flag: 'breaker-cooldown-ms', placeholder: '<n>', env: 'GATEWAY_BREAKER_COOLDOWN_MS', kind: 'integer', min: 1, max: MAX_MS, default: 10_000, doc: 'open-circuit cool-down' },
  { key: 'upstreamRateLimit', flag: 'upstream-rate-limit', placeholder: '<n>', env: 'GATEWAY_UPSTREAM_RATE_LIMIT', kind: 'integer', min: 0, max: 1_000_000, default: 10_000, doc: 'outbound requests/s per upstream (0 = unlimited)' },
  { key: 'rateLimit', flag: 'rate-limit', placeholder: '<n>', env: 'GATEWAY_RATE_LIMIT', kind: 'integer', min: 0, max: 100_000_000, default: 0, defaultDoc: '0 (off)', doc: 'inbound requests per window per client (0 = off)' },
  { key: 'rateLimitWindowMs', flag: 'rate-limit-window-ms', placeholder: '<n>', env: 'GATEWAY_RATE_LIMIT_WINDOW_MS', kind: 'integer', min: 1, max: 86_400_000, default: 60_000, doc: 'inbound rate-limit window' },
  { key: 'maxEventLoopDelayMs', flag: 'max-event-loop-delay-ms', placeholder: '<n>', env: 'GATEWAY_MAX_EVENT_LOOP_DELAY_MS', kind: 'integer', min: 0, max: MAX_MS, default: 0, defaultDoc: '0 (off)', doc: 'shed load beyond this event-loop delay (0 = off)' },
  { key: 'maxHeapUsedBytes', flag: 'max-heap-used-bytes', placeholder: '<n>', env: 'GATEWAY_MAX_HEAP_USED_BYTES', kind: 'integer', min: 0, max: Number.MAX_SAFE_INTEGER, default: 0, defaultDoc: '0 (off)', doc: 'shed load beyond this heap use (0 = off)' },
  { key: 'shutdownTimeoutMs', flag: 'shutdown-timeout-ms', placeholder: '<n>', env: 'GATEWAY_SHUTDOWN_TIMEOUT_MS', kind: 'integer', min: 1, max: MAX_MS, default: 25_000, doc: 'drain time on SIGTERM/SIGINT' },
  { key: 'bodyLimitBytes', flag: 'body-limit-bytes', placeholder: '<n>', env: 'GATEWAY_BODY_LIMIT_BYTES', kind: 'integer', min: 1, max: 1024 * 1024 * 1024, default: 1024 * 1024, defaultDoc: '1048576 (1 MiB)', doc: 'request body limit' },
  { key: 'logLevel', flag: 'log-level', placeholder: '<level>', env: 'GATEWAY_LOG_LEVEL', kind: 'string', default: 'info', doc: 'pino log level (fatal, error, warn, info, debug, trace, silent)' },
  { key: 'apiKeys', flag: undefined, env: 'GATEWAY_API_KEYS', kind: 'string', direct: true, default: undefined, defaultDoc: 'none', doc: 'inbound API keys, "id:sha256-hex:read,write" entries separated by ";"' },
  { key: 'apiKeysFile', flag: 'api-keys-file', placeholder: '<path>', env: 'GATEWAY_API_KEYS_FILE', kind: 'string', default: undefined, defaultDoc: 'none (unauthenticated, loopback only)', doc: 'file of inbound API keys, one "id:sha256-hex:read,write" a line' },
  { key: 'allowUnauthenticated', flag: 'allow-unauthenticated', env: 'GATEWAY_ALLOW_UNAUTHENTICATED', kind: 'boolean', default: false, doc: 'serve a non-loopback host without inbound API keys' },
  { key: 'corsOrigins', flag: 'cors-origins', placeholder: '<list>', env: 'GATEWAY_CORS_ORIGINS', kind: 'origins', default: [], defaultDoc: 'none (CORS off)', doc: 'allowed browser origins (comma-separated)' },
  { key: 'watch', flag: 'watch', env: 'GATEWAY_WATCH', kind: 'boolean', default: false, doc: 'reload when the capability file changes' },
  { key: 'ledger', flag: 'ledger', placeholder: '<auto|on|off>', env: 'GATEWAY_LEDGER', kind: 'string', choices: ['auto', 'on', 'off'], default: 'auto', ledger: true, doc: 'role-change ledger: auto (on when an operation declares x-ledger or x-seat-guard), on or off (docs/ledger.md)' },
  { key: 'ledgerDir', flag: 'ledger-dir', placeholder: '<dir>', env: 'GATEWAY_LEDGER_DIR', kind: 'string', default: undefined, defaultDoc: `${LEDGER_DEFAULT_DIR} next to the capability file`, ledger: true, doc: "embedded ledger's data directory (the flag wins over DATABASE_URL, the variable does not)" },
  { key: 'databaseUrl', flag: undefined, env: 'DATABASE_URL', kind: 'string', default: undefined, defaultDoc: 'none (embedded ledger)', ledger: true, doc: 'postgres://… : a PostgreSQL ledger shared by replicas instead of the embedded file' },
  { key: 'ledgerClockOffsetMs', flag: undefined, env: 'GATEWAY_LEDGER_CLOCK_OFFSET_MS', kind: 'integer', min: -MAX_OFFSET_MS, max: MAX_OFFSET_MS, default: 0, ledger: true, doc: "shifts the ledger's clock (tests and drills of the seat guard only)" },
] as const satisfies readonly SettingSpec[];

/** SettingKey names a setting. */
export type SettingKey = (typeof SETTINGS)[number]['key'];

/** SETTING_BY_ENV finds a setting by its environment variable. */
export const SETTING_BY_ENV: ReadonlyMap<string, SettingSpec> = new Map(SETTINGS.filter((s) => s.env !== undefined).map((s) => [s.env as string, s]));
