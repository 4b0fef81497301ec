/**
 * Inbound authentication end to end: keys from GATEWAY_API_KEYS, scopes per
 * operation, problem+json 401/403, the key id in the log line, and the
 * gateway key never travelling upstream. Plus safe bind defaults and hash-key.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { hashApiKey, parseApiKeys } from '../../src/security/api-keys.js';
import { isLoopbackHost } from '../../src/security/exposure.js';
import { startLabelStudio } from '../fixtures/label-studio/simulator.js';
import { CLI, ROOT, runCli, startGatewayProcess } from '../helpers/gateway-process.js';
import { ADMIN_KEY, logViolations, READ_KEY, responseViolations, send, startSecureGateway, UPSTREAM_KEY, upstreamViolations, WRITE_KEY, type SecureSetup } from './fixture.js';

let setup: SecureSetup;
t.before(async () => {
  setup = await startSecureGateway(['--cors-origins', 'https://app.example.com']);
});
t.teardown(() => setup?.close());
t.beforeEach(() => setup.sim.clear());

const JSON_HEADERS = { 'content-type': 'application/json' };

t.test('scopes: table of key × operation', async (t) => {
  const { gw, sim } = setup;
  const rows: { name: string; method: string; path: string; headers: Record<string, string>; body?: string; want: number; code?: string; upstream: number }[] = [
    { name: 'no key → 401', method: 'GET', path: '/v1/api/organizations/1', headers: {}, want: 401, code: 'NGW_ERR_UNAUTHENTICATED', upstream: 0 },
    { name: 'no key on PATCH → 401', method: 'PATCH', path: '/v1/api/organizations/1', headers: JSON_HEADERS, body: '{"title":"x"}', want: 401, code: 'NGW_ERR_UNAUTHENTICATED', upstream: 0 },
    { name: 'unknown key → 401', method: 'GET', path: '/v1/api/organizations', headers: { authorization: 'Bearer nope' }, want: 401, code: 'NGW_ERR_UNAUTHENTICATED', upstream: 0 },
    { name: 'upstream key presented → 401', method: 'GET', path: '/v1/api/organizations', headers: { authorization: `Token ${UPSTREAM_KEY}` }, want: 401, code: 'NGW_ERR_UNAUTHENTICATED', upstream: 0 },
    { name: 'Basic scheme → 401', method: 'GET', path: '/v1/api/organizations', headers: { authorization: `Basic ${Buffer.from(`a:${READ_KEY}`).toString('base64')}` }, want: 401, code: 'NGW_ERR_UNAUTHENTICATED', upstream: 0 },
    { name: 'read key GET → 200', method: 'GET', path: '/v1/api/organizations/1', headers: { authorization: `Bearer ${READ_KEY}` }, want: 200, upstream: 1 },
    { name: 'read key via x-api-key → 200', method: 'GET', path: '/v1/api/organizations?ordering=-id', headers: { 'x-api-key': READ_KEY }, want: 200, upstream: 1 },
    { name: 'read key on PATCH → 403', method: 'PATCH', path: '/v1/api/organizations/1', headers: { ...JSON_HEADERS, authorization: `Bearer ${READ_KEY}` }, body: '{"title":"x"}', want: 403, code: 'NGW_ERR_FORBIDDEN', upstream: 0 },
    { name: 'read key on POST reset-token → 403', method: 'POST', path: '/v1/api/invite/reset-token', headers: { authorization: `Bearer ${READ_KEY}` }, want: 403, code: 'NGW_ERR_FORBIDDEN', upstream: 0 },
    { name: 'write key on PATCH → 200', method: 'PATCH', path: '/v1/api/organizations/1', headers: { ...JSON_HEADERS, authorization: `Bearer ${WRITE_KEY}` }, body: '{"title":"Renamed by writer"}', want: 200, upstream: 1 },
    { name: 'write key on GET → 403 (write does not imply read)', method: 'GET', path: '/v1/api/organizations/1', headers: { 'x-api-key': WRITE_KEY }, want: 403, code: 'NGW_ERR_FORBIDDEN', upstream: 0 },
    { name: 'write key on HEAD → 403 (HEAD is a read)', method: 'HEAD', path: '/v1/api/organizations/1', headers: { 'x-api-key': WRITE_KEY }, want: 403, upstream: 0 },
    { name: 'read key on HEAD → 200', method: 'HEAD', path: '/v1/api/organizations/1', headers: { 'x-api-key': READ_KEY }, want: 200, upstream: 1 },
    { name: 'admin key on POST → 201', method: 'POST', path: '/v1/api/invite/reset-token', headers: { 'x-api-key': ADMIN_KEY }, want: 201, upstream: 1 },
    { name: 'admin key, lower-case bearer → 200', method: 'GET', path: '/v1/api/organizations/2', headers: { authorization: `bearer ${ADMIN_KEY}` }, want: 200, upstream: 1 },
    { name: 'unknown route with no key → 401', method: 'GET', path: '/v1/nothing', headers: {}, want: 401, code: 'NGW_ERR_UNAUTHENTICATED', upstream: 0 },
    { name: 'unknown route with a key → 404', method: 'GET', path: '/v1/nothing', headers: { 'x-api-key': READ_KEY }, want: 404, code: 'NGW_ERR_NOT_FOUND', upstream: 0 },
    { name: 'healthz needs no key', method: 'GET', path: '/healthz', headers: {}, want: 200, upstream: 0 },
  ];
  for (const row of rows) {
    sim.clear();
    const res = await send(gw.url, row.method, row.path, row.headers, row.body);
    t.equal(res.status, row.want, `${row.name}: have ${res.status}, want ${row.want}`);
    if (row.method !== 'HEAD') t.same(responseViolations(res), [], `${row.name}: response is clean`);
    if (row.code !== undefined) {
      t.match(res.headers['content-type'], /^application\/problem\+json/, `${row.name}: problem+json`);
      t.equal((JSON.parse(res.text) as { code: string }).code, row.code, `${row.name}: code`);
    }
    if (row.want === 401) t.equal(res.headers['www-authenticate'], 'Bearer realm="naftiko-gateway"', `${row.name}: WWW-Authenticate`);
    t.equal(sim.requests.length, row.upstream, `${row.name}: ${row.upstream} upstream request(s)`);
    t.same(upstreamViolations(sim.requests), [], `${row.name}: upstream requests are clean`);
  }
});

t.test('the gateway key is never forwarded upstream, only the injected credential', async (t) => {
  const { gw, sim } = setup;
  for (const headers of [{ authorization: `Bearer ${ADMIN_KEY}` }, { 'x-api-key': ADMIN_KEY }] as Record<string, string>[]) {
    sim.clear();
    const res = await send(gw.url, 'PATCH', '/v1/api/organizations/1/set-default-role', { ...headers, ...JSON_HEADERS }, '{"default_role":"AN"}');
    t.equal(res.status, 200);
    const seen = sim.requests[0];
    t.equal(seen?.headers['authorization'], `Token ${UPSTREAM_KEY}`);
    t.equal(seen?.headers['x-api-key'], undefined, 'x-api-key not forwarded');
    t.notOk(JSON.stringify(seen).includes(ADMIN_KEY), 'the gateway key appears nowhere in the upstream request');
  }
});

t.test('the key id is in the request log line; no secret in any log line', async (t) => {
  const { gw } = setup;
  await send(gw.url, 'GET', '/v1/api/organizations/3', { 'x-request-id': 'auth-log-1', 'x-api-key': READ_KEY });
  const line = await gw.waitForLog((l) => l['reqId'] === 'auth-log-1' && l['msg'] === 'request completed');
  t.equal(line['keyId'], 'reader');
  t.equal(line['operationId'] !== undefined, true);
  await send(gw.url, 'PATCH', '/v1/api/organizations/3/set-default-role', { 'x-request-id': 'auth-log-2', 'x-api-key': WRITE_KEY, 'content-type': 'application/json' }, JSON.stringify({ default_role: 'AN' }));
  const audit = await gw.waitForLog((l) => l['reqId'] === 'auth-log-2' && l['msg'] === 'audit');
  t.equal(audit['keyId'], 'writer', 'the audit line of a mutating call names the key id');
  const boot = await gw.waitForLog((l) => l['msg'] === 'inbound authentication on');
  t.same(boot['keyIds'], ['reader', 'writer', 'admin']);
  t.same(logViolations(gw.logs), []);
});

t.test('CORS: allow-listed origin only, preflight answered without a key', async (t) => {
  const { gw } = setup;
  const pre = await send(gw.url, 'OPTIONS', '/v1/api/organizations/1', { origin: 'https://app.example.com', 'access-control-request-method': 'PATCH' });
  t.equal(pre.status, 204);
  t.equal(pre.headers['access-control-allow-origin'], 'https://app.example.com');
  t.match(String(pre.headers['access-control-allow-headers']), /x-api-key/);
  const evil = await send(gw.url, 'OPTIONS', '/v1/api/organizations/1', { origin: 'https://evil.example.com', 'access-control-request-method': 'PATCH' });
  t.equal(evil.headers['access-control-allow-origin'], undefined, 'other origins get no CORS headers');
  t.equal(evil.status, 401, 'and no preflight answer');
  const get = await send(gw.url, 'GET', '/v1/api/organizations/1', { origin: 'https://app.example.com', 'x-api-key': READ_KEY });
  t.equal(get.status, 200);
  t.equal(get.headers['access-control-allow-origin'], 'https://app.example.com');
});

t.test('key file and GATEWAY_API_KEYS_FILE; bad entries stop the boot with exit 2', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ngw-keys-'));
  const file = join(dir, 'keys.txt');
  writeFileSync(file, `# gateway keys\nfile-reader:${hashApiKey('file-secret')}:read\n`);
  const sim = await startLabelStudio({ legacyTokens: [UPSTREAM_KEY] });
  t.teardown(() => sim.close());
  const gw = await startGatewayProcess({ capability: 'capability.yaml', env: { LABEL_STUDIO_API_KEY: UPSTREAM_KEY, GATEWAY_BASE_URI: sim.url }, args: ['--api-keys-file', file] });
  t.teardown(() => gw.stop());
  t.equal((await send(gw.url, 'GET', '/v1/api/organizations/1', { authorization: 'Bearer file-secret' })).status, 200);
  t.equal((await send(gw.url, 'GET', '/v1/api/organizations/1')).status, 401);

  writeFileSync(file, `bad:not-a-hash:read\n`);
  const bad = await runCli(['serve', 'capability.yaml', '--rest-port', '0', '--api-keys-file', file], { LABEL_STUDIO_API_KEY: UPSTREAM_KEY });
  t.equal(bad.code, 2);
  t.match(bad.stderr, /SHA-256/);
  const missing = await runCli(['serve', 'capability.yaml', '--rest-port', '0'], { LABEL_STUDIO_API_KEY: UPSTREAM_KEY, GATEWAY_API_KEYS_FILE: join(dir, 'absent') });
  t.equal(missing.code, 2);
  t.match(missing.stderr, /cannot read the API keys file/);
});

t.test('parseApiKeys: format and errors', async (t) => {
  const h = hashApiKey('s');
  t.same(parseApiKeys(`a:${h}:read; b:${h.toUpperCase()}:read,write # comment\n\n`, 'x').map((k) => [k.id, k.scopes]), [['a', ['read']], ['b', ['read', 'write']]]);
  const bad: [string, RegExp][] = [
    [`a:${h}`, /expected <id>:<sha256-hex>:<scopes>/],
    [`a b:${h}:read`, /key id/],
    [`a:${h}:admin`, /unknown scope "admin"/],
    [`a:${h.slice(1)}:read`, /SHA-256/],
    [`a:${h}:read;a:${h}:write`, /duplicate key id/],
  ];
  for (const [text, message] of bad) t.throws(() => parseApiKeys(text, 'x'), { message }, text);
});

t.test('safe defaults: loopback binds unauthenticated with a warning; other addresses need --allow-unauthenticated', async (t) => {
  for (const [host, loopback] of [['127.0.0.1', true], ['127.1.2.3', true], ['::1', true], ['[::1]', true], ['localhost', true], ['0.0.0.0', false], ['::', false], ['10.0.0.5', false], ['::ffff:127.0.0.1', true]] as const) {
    t.equal(isLoopbackHost(host), loopback, host);
  }
  const refused = await runCli(['serve', 'capability.yaml', '--rest-port', '0', '--host', '0.0.0.0'], { LABEL_STUDIO_API_KEY: UPSTREAM_KEY });
  t.equal(refused.code, 2, 'exit 2');
  t.match(refused.stderr, /refusing to bind 0\.0\.0\.0 without inbound authentication/);

  const sim = await startLabelStudio({ legacyTokens: [UPSTREAM_KEY] });
  t.teardown(() => sim.close());
  const open = await startGatewayProcess({ capability: 'capability.yaml', env: { LABEL_STUDIO_API_KEY: UPSTREAM_KEY, GATEWAY_BASE_URI: sim.url, GATEWAY_ALLOW_UNAUTHENTICATED: '1' }, args: ['--host', '0.0.0.0'] });
  t.teardown(() => open.stop());
  const warning = await open.waitForLog((l) => l['inboundAuth'] === 'off');
  t.equal(warning['level'], 40, 'logged as a warning');
  t.match(String(warning['msg']), /INBOUND AUTHENTICATION IS OFF/);
  const res = await send(open.url.replace('0.0.0.0', '127.0.0.1'), 'GET', '/v1/api/organizations/1');
  t.equal(res.status, 200, 'serves without a key when explicitly allowed');
});

t.test('hash-key prints the SHA-256 of the first stdin line', async (t) => {
  const out = spawnSync(process.execPath, [CLI, 'hash-key'], { cwd: ROOT, input: 'my-secret\n', encoding: 'utf8' });
  t.equal(out.status, 0);
  t.equal(out.stdout.trim(), hashApiKey('my-secret'));
  t.equal(out.stdout.trim(), '186ef76e9d6a723ecb570d4d9c287487d001e5d35f7ed4a313350a407950318e', 'matches sha256sum');
  const empty = spawnSync(process.execPath, [CLI, 'hash-key'], { cwd: ROOT, input: '', encoding: 'utf8' });
  t.equal(empty.status, 2);
});
