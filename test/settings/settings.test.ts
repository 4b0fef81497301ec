/**
 * One table of settings: the parser, --help and docs/configuration.md come
 * from it; one reading per kind (the boolean and origin-list twins are gone);
 * unknown settings are errors naming them.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { DEFAULTS, ENV, resolveConfig, SETTINGS, ConfigError, type SettingSpec } from '../../src/settings/index.js';
import { withSettingsTable } from '../../src/settings/doc.js';
import { helpOptions } from '../../src/settings/help.js';

const specs = SETTINGS as readonly SettingSpec[];

t.test('the table is well formed', async (t) => {
  const flags = specs.map((s) => s.flag).filter((f) => f !== undefined);
  const envs = specs.map((s) => s.env).filter((e) => e !== undefined);
  t.equal(new Set(flags).size, flags.length, 'flags are unique');
  t.equal(new Set(envs).size, envs.length, 'variables are unique');
  t.equal(new Set(specs.map((s) => s.key)).size, specs.length, 'keys are unique');
  for (const s of specs) {
    // DATABASE_URL is the conventional name every PostgreSQL host and platform sets; every other variable is the gateway's own.
    t.ok(s.env === undefined || s.env.startsWith('GATEWAY_') || s.env === 'DATABASE_URL', `${s.key}: GATEWAY_ prefix`);
    t.ok(s.doc.length > 5, `${s.key} is documented`);
    if (s.kind === 'integer' && typeof s.default === 'number') t.ok(s.default >= (s.min ?? 0) && s.default <= (s.max ?? Infinity), `${s.key}: default within bounds`);
  }
});

t.test('defaults come from the table, once', async (t) => {
  const config = resolveConfig({}, {}) as unknown as Record<string, unknown>;
  for (const s of specs) {
    if (s.ledger === true || s.default === undefined) continue;
    t.same(config[s.key], s.default, `${s.key} defaults to ${JSON.stringify(s.default)}`);
    if (!Array.isArray(s.default)) t.equal((DEFAULTS as Record<string, unknown>)[s.key], s.default);
  }
  t.equal(ENV.upstreamTimeoutMs, 'GATEWAY_UPSTREAM_TIMEOUT_MS');
});

t.test('every boolean reads the same words, every origin list the same way', async (t) => {
  for (const word of ['1', 'true', 'yes', 'on', 'TRUE', 'Yes']) {
    const c = resolveConfig({}, { GATEWAY_ALLOW_UNAUTHENTICATED: word, GATEWAY_MCP_STATELESS: word, GATEWAY_WATCH: word });
    t.same([c.allowUnauthenticated, c.mcpStateless, c.watch], [true, true, true], word);
  }
  for (const word of ['0', 'false', 'no', 'off']) {
    const c = resolveConfig({}, { GATEWAY_ALLOW_UNAUTHENTICATED: word, GATEWAY_MCP_STATELESS: word, GATEWAY_WATCH: word });
    t.same([c.allowUnauthenticated, c.mcpStateless, c.watch], [false, false, false], word);
  }
  t.throws(() => resolveConfig({}, { GATEWAY_ALLOW_UNAUTHENTICATED: 'maybe' }), { name: 'ConfigError', message: /GATEWAY_ALLOW_UNAUTHENTICATED must be/ });
  t.throws(() => resolveConfig({}, { GATEWAY_MCP_STATELESS: 'maybe' }), { name: 'ConfigError', message: /GATEWAY_MCP_STATELESS must be/ });
  const origins = ' https://a.example/, http://localhost:6274 ,';
  const c = resolveConfig({}, { GATEWAY_CORS_ORIGINS: origins, GATEWAY_MCP_ALLOWED_ORIGINS: origins });
  t.same(c.corsOrigins, ['https://a.example', 'http://localhost:6274']);
  t.same(c.mcpAllowedOrigins, c.corsOrigins);
  t.same(resolveConfig({ corsOrigins: 'https://b.example/' }, { GATEWAY_CORS_ORIGINS: origins }).corsOrigins, ['https://b.example'], 'the flag wins');
});

t.test('bad and unknown settings are errors naming them', async (t) => {
  t.throws(() => resolveConfig({ restPort: '70000' }, {}), { message: /--rest-port must be from 0 to 65535/ });
  t.throws(() => resolveConfig({}, { GATEWAY_REST_PORT: 'x' }), { message: /GATEWAY_REST_PORT must be an integer/ });
  t.throws(() => resolveConfig({}, { GATEWAY_UPSTREAM_TIMEOUT: '5000' }), new ConfigError('unknown setting GATEWAY_UPSTREAM_TIMEOUT (did you mean GATEWAY_UPSTREAM_TIMEOUT_MS?); see naftiko-gateway serve --help'));
  t.throws(() => resolveConfig({}, { GATEWAY_LOGLEVEL: 'debug' }), { message: /unknown setting GATEWAY_LOGLEVEL/ });
  t.doesNotThrow(() => resolveConfig({}, { GATEWAY_API_KEYS_FILE: '/keys', GATEWAY_LEDGER: 'off', GATEWAY_LOG_LEVEL_FILE: '/x', LABEL_STUDIO_API_KEY: 'k', HOME: '/root' }), 'settings, NAME_FILE companions and other variables');
  t.doesNotThrow(() => resolveConfig({}, { GATEWAY_SERVICE_HOST: '10.0.0.1', GATEWAY_SERVICE_PORT_HTTP: '80', GATEWAY_PORT: 'tcp://10.0.0.1:80', GATEWAY_PORT_80_TCP_ADDR: '10.0.0.1' }), 'Kubernetes service links');
});

t.test('the ledger settings are parsed by the table and folded into one LedgerConfig', async (t) => {
  t.same(resolveConfig({}, {}).ledger, { mode: 'embedded', dir: undefined, clockOffsetMs: 0, open: 'auto' });
  t.same(resolveConfig({ ledger: 'OFF' }, { GATEWAY_LEDGER: 'on' }).ledger, { mode: 'off' }, 'flag over variable, any case');
  t.same(resolveConfig({}, { GATEWAY_LEDGER: 'on', GATEWAY_LEDGER_CLOCK_OFFSET_MS: '-86400000' }).ledger, { mode: 'embedded', dir: undefined, clockOffsetMs: -86_400_000, open: 'on' });
  const url = 'postgres://u:p@127.0.0.1:5432/db';
  t.same(resolveConfig({}, { DATABASE_URL: url, GATEWAY_LEDGER_DIR: '/tmp/x' }).ledger, { mode: 'postgres', url, clockOffsetMs: 0, open: 'auto' }, 'the variable dir does not beat DATABASE_URL');
  t.same(resolveConfig({ ledgerDir: '/tmp/y' }, { DATABASE_URL: url }).ledger, { mode: 'embedded', dir: '/tmp/y', clockOffsetMs: 0, open: 'auto' }, 'the flag does');
  t.throws(() => resolveConfig({}, { GATEWAY_LEDGER: 'maybe' }), new ConfigError('GATEWAY_LEDGER must be auto, on, off, got "maybe"'));
  t.throws(() => resolveConfig({ ledger: 'sometimes' }, {}), /--ledger must be auto, on, off/);
  t.throws(() => resolveConfig({}, { GATEWAY_LEDGER_CLOCK_OFFSET_MS: '1.5' }), /GATEWAY_LEDGER_CLOCK_OFFSET_MS must be an integer/);
  t.throws(() => resolveConfig({}, { DATABASE_URL: 'mysql://x' }), /DATABASE_URL must be a postgres/);
  t.throws(() => resolveConfig({}, { GATEWAY_UPSTREAM_RETRIES: '-1' }), /must be from 0 to 10/, 'other integers stay non-negative');
});

t.test('--help lists every setting with its flag, variable and default', async (t) => {
  const help = helpOptions();
  for (const s of specs) {
    if (s.flag !== undefined) t.match(help, `--${s.flag}`, `--${s.flag}`);
    if (s.env !== undefined) t.match(help, s.env, s.env);
    t.match(help, s.doc, `${s.key} doc`);
  }
});

t.test('docs/configuration.md holds the table as generated', async (t) => {
  const committed = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
  t.equal(committed, withSettingsTable(committed), 'run: node --import tsx scripts/configuration-doc.ts');
  for (const s of specs) if (s.env !== undefined) t.match(committed, `\`${s.env}\``);
});
