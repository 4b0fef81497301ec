/**
 * `serve --print-config`: the effective configuration with its sources, secrets masked;
 * and the NAME_FILE convention at boot.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { runCli } from '../helpers/gateway-process.js';

const UPSTREAM_KEY = 'ls-legacy-key-0123456789abcdef';
const INBOUND_KEYS = 'client-key-one-abcdef,client-key-two-ghijkl';

interface Printed {
  settings: Record<string, { value: unknown; source: string }>;
  upstreams: { namespace: string; baseUri: { value: string; source: string }; auth: Record<string, string> }[];
  environment: Record<string, string | null>;
  capability: { ok: boolean; problems: string[] };
}

t.test('print-config shows each setting with its layer (flag > env > capability > default) and masks secrets', async (t) => {
  const res = await runCli(['serve', 'capability.yaml', '--print-config', '--rest-port', '9001', '--log-level', 'debug'], {
    LABEL_STUDIO_API_KEY: UPSTREAM_KEY,
    GATEWAY_API_KEYS: INBOUND_KEYS,
    GATEWAY_REST_PORT: '9002',
    GATEWAY_UPSTREAM_TIMEOUT_MS: '5000',
    GATEWAY_BASE_URI: `https://label-studio.example.com`,
  });
  t.equal(res.code, 0, res.stderr);
  for (const secret of [UPSTREAM_KEY, ...INBOUND_KEYS.split(','), INBOUND_KEYS]) {
    t.notOk(res.stdout.includes(secret), 'a secret is never printed');
  }
  const printed = JSON.parse(res.stdout) as Printed;
  t.same(printed.settings['restPort'], { value: 9001, source: 'flag' }, 'a flag beats the environment');
  t.same(printed.settings['upstreamTimeoutMs'], { value: 5000, source: 'env' });
  t.same(printed.settings['mcpPort'], { value: 9090, source: 'capability' });
  t.same(printed.settings['host'], { value: '127.0.0.1', source: 'default' });
  t.same(printed.settings['logLevel'], { value: 'debug', source: 'flag' });
  t.same(printed.upstreams[0]?.baseUri, { value: 'https://label-studio.example.com', source: 'env' });
  t.same(printed.upstreams[0]?.auth, { type: 'bearer', header: 'authorization', value: '[Redacted]' });
  t.equal(printed.environment['LABEL_STUDIO_API_KEY'], '[Redacted]');
  t.equal(printed.environment['GATEWAY_API_KEYS'], '[Redacted]');
  t.equal(printed.environment['GATEWAY_BASE_URI'], 'https://label-studio.example.com');
  t.same(printed.capability, { ok: true, problems: [] });
});

t.test('print-config shows the ledger mode and whether DATABASE_URL is set, never its password', async (t) => {
  const embedded = JSON.parse((await runCli(['serve', 'capability.yaml', '--print-config'], { LABEL_STUDIO_API_KEY: UPSTREAM_KEY })).stdout) as Printed;
  t.same(embedded.settings['ledger'], { value: { mode: 'embedded', open: 'auto', dir: 'data/ledger next to the capability file (default)', databaseUrl: null }, source: 'default' });
  const off = JSON.parse((await runCli(['serve', 'capability.yaml', '--print-config', '--ledger', 'off'], { LABEL_STUDIO_API_KEY: UPSTREAM_KEY })).stdout) as Printed;
  t.same(off.settings['ledger'], { value: { mode: 'off', databaseUrl: null }, source: 'flag' });
  const password = 'pg-secret-password-42';
  const res = await runCli(['serve', 'capability.yaml', '--print-config'], { LABEL_STUDIO_API_KEY: UPSTREAM_KEY, DATABASE_URL: `postgres://gateway:${password}@db.internal:5432/naftiko` });
  t.equal(res.code, 0, res.stderr);
  t.notOk(res.stdout.includes(password), 'the database password is never printed');
  const pg = JSON.parse(res.stdout) as Printed;
  t.same(pg.settings['ledger'], { value: { mode: 'postgres', open: 'auto', database: 'postgres://db.internal:5432/naftiko', databaseUrl: '[Redacted]' }, source: 'env' });
});

t.test('print-config without the key still prints, and says the variable is unset', async (t) => {
  const res = await runCli(['serve', 'capability.yaml', '--print-config'], {});
  t.equal(res.code, 0, res.stderr);
  const printed = JSON.parse(res.stdout) as Printed;
  t.equal(printed.environment['LABEL_STUDIO_API_KEY'], null);
  t.match(printed.capability.problems.join('\n'), /LABEL_STUDIO_API_KEY is not set/);
});

t.test('NAME_FILE supplies a variable at boot; an unreadable file stops the gateway naming it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ngw-envfile-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const keyFile = join(dir, 'key');
  writeFileSync(keyFile, UPSTREAM_KEY + '\n');
  const ok = await runCli(['serve', 'capability.yaml', '--print-config'], { LABEL_STUDIO_API_KEY_FILE: keyFile, UNRELATED_TOOL_FILE: join(dir, 'absent') });
  t.equal(ok.code, 0, ok.stderr);
  t.equal((JSON.parse(ok.stdout) as Printed).environment['LABEL_STUDIO_API_KEY'], '[Redacted]');
  t.notOk(ok.stdout.includes(UPSTREAM_KEY));

  const missing = await runCli(['serve', 'capability.yaml', '--rest-port', '0'], { LABEL_STUDIO_API_KEY_FILE: join(dir, 'absent') });
  t.equal(missing.code, 1);
  t.match(missing.stderr, /cannot read LABEL_STUDIO_API_KEY_FILE \(.*absent\): ENOENT/);
});
