/**
 * The OpenAPI documents (3.1 and its 3.0.3 rendering): served by the real
 * gateway process, valid (swagger-parser), Spectral-clean with `spectral:oas`
 * (0 errors, 0 warnings), complete enough for generators, and printed
 * byte-for-byte identically by `naftiko-gateway openapi` given the same
 * settings (port included), without an upstream key.
 */
import SwaggerParser from '@apidevtools/swagger-parser';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { request } from 'undici';
import { parse as parseYaml } from 'yaml';
import { startLabelStudio, type LabelStudioSimulator } from '../fixtures/label-studio/simulator.js';
import { ROOT, runCli, startGatewayProcess, type GatewayProcess } from '../helpers/gateway-process.js';

type Operation = {
  operationId?: string;
  summary?: string;
  description?: string;
  tags?: string[];
  parameters?: { name: string; in: string; required?: boolean; schema?: Record<string, unknown> }[];
  requestBody?: { required?: boolean; content: Record<string, { schema: Record<string, unknown> }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: Record<string, unknown> }> }>;
};
type Document = {
  openapi: string;
  info: { title: string; version: string; description?: string };
  servers: { url: string }[];
  tags: { name: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown>; securitySchemes?: Record<string, unknown> };
};

const OPERATIONS: Record<string, [string, string, string]> = {
  resetOrganizationToken: ['post', '/v1/api/invite/reset-token', '201'],
  listYourOrganizations: ['get', '/v1/api/organizations', '200'],
  getOrganizationSettings: ['get', '/v1/api/organizations/{id}', '200'],
  updateOrganization: ['patch', '/v1/api/organizations/{id}', '200'],
  updateDefaultRole: ['patch', '/v1/api/organizations/{id}/set-default-role', '200'],
  updateMemberRole: ['patch', '/v1/api/organizations/{id}/memberships', '200'],
};

let sim: LabelStudioSimulator;
let gw: GatewayProcess;
let servedJson: string;
let servedYaml: string;
let served30: string;
let doc: Document;
let port: string;
const tmp = mkdtempSync(join(tmpdir(), 'ngw-openapi-'));

t.before(async () => {
  sim = await startLabelStudio();
  gw = await startGatewayProcess({ capability: 'capability.yaml', env: { LABEL_STUDIO_API_KEY: sim.legacyToken, GATEWAY_BASE_URI: sim.url } });
  const json = await request(`${gw.url}/openapi.json`);
  t.equal(json.statusCode, 200);
  t.match(json.headers['content-type'], /^application\/json/);
  servedJson = await json.body.text();
  const yaml = await request(`${gw.url}/openapi.yaml`);
  t.equal(yaml.statusCode, 200);
  t.match(yaml.headers['content-type'], /^application\/yaml/);
  servedYaml = await yaml.body.text();
  doc = JSON.parse(servedJson) as Document;
  const v30 = await request(`${gw.url}/openapi-3.0.json`);
  t.equal(v30.statusCode, 200);
  served30 = await v30.body.text();
  port = new URL(gw.url).port;
});

t.teardown(async () => {
  await gw?.stop();
  await sim?.close();
  rmSync(tmp, { recursive: true, force: true });
});

t.test('is a valid OpenAPI 3.1 document (swagger-parser), the same in JSON and YAML', async (t) => {
  t.equal(doc.openapi, '3.1.0');
  t.same(parseYaml(servedYaml), doc, '/openapi.yaml is the same document');
  const validated = (await SwaggerParser.validate(structuredClone(doc) as never)) as unknown as Document;
  t.equal(validated.openapi, '3.1.0', 'swagger-parser validates it as 3.1');
  const v30 = JSON.parse(served30) as Document;
  t.equal(v30.openapi, '3.0.3');
  t.same(Object.keys(v30.paths), Object.keys(doc.paths), 'the 3.0 rendering has the same paths');
  await SwaggerParser.validate(structuredClone(v30) as never);
  t.notMatch(served30, /"type": \[/, '3.0: no type arrays (nullable instead)');
  t.match(served30, /"nullable": true/);
});

t.test('info, servers and tags come from the capability', async (t) => {
  t.match(doc.info, { title: 'API Reference — subpackage_organizations', version: '2026-05-19', description: /6 operations/ });
  t.same(doc.servers.map((s) => s.url), ['/', `http://localhost:${port}`], 'the absolute server URL names the served port');
  t.ok(doc.tags.length >= 5, 'one tag per exposed resource');
});

t.test('one operation per capability operation, and nothing else', async (t) => {
  const found: string[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) found.push(`${method} ${path} ${op.operationId ?? ''}`);
  }
  const expected = Object.entries(OPERATIONS).flatMap(([id, [m, p]]) => [`${m} ${p} ${id}`, ...(m === 'get' ? [`head ${p} ${id}Head`] : [])]);
  t.same(found.sort(), expected.sort(), 'GET routes have their HEAD twin; no /healthz, /docs, /openapi.* or 405 routes');
  for (const [id, [method, path, success]] of Object.entries(OPERATIONS)) {
    const op = doc.paths[path]?.[method] as Operation;
    t.notMatch(op.summary, /✨/, `${id}: summary without decoration`);
    t.notMatch(op.description, /label-studio-subpackage|Forwards to/, `${id}: no internal names`);
    t.ok(op.description && op.tags?.length === 1 && doc.tags.some((tag) => tag.name === op.tags?.[0]), `${id}: description and a declared tag`);
    const body = ['patch', 'post'].includes(method) ? ['413', '415'] : [];
    t.same(Object.keys(op.responses).sort(), [success, '400', '401', '403', '404', '408', '414', '429', '431', '500', '502', '503', '504', 'default', ...body].sort(), `${id}: success and every error status`);
    t.ok(op.responses[success]?.content?.['application/json']?.schema, `${id}: success schema`);
    t.ok(op.responses[success]?.content?.['application/json']?.['example' as never], `${id}: a success example`);
    t.same(Object.keys(op.responses['400']?.content ?? {}).slice(0, 2), ['application/json', 'application/problem+json'], `${id}: upstream JSON first, then the gateway's problem`);
    t.match(op.responses['401'], { headers: { 'www-authenticate': {}, 'x-request-id': {} } }, `${id}: 401 documents WWW-Authenticate`);
    t.match(op.responses['503'], { headers: { 'retry-after': {} } }, `${id}: 503 documents Retry-After`);
    t.notOk(op.parameters?.some((p) => p.name.toLowerCase() === 'authorization'), `${id}: the upstream credential is not a client parameter`);
  }
  t.notOk(doc.components.securitySchemes, 'no security scheme for the upstream key the gateway injects');
});

t.test('parameters and bodies carry the capability schemas', async (t) => {
  const get = doc.paths['/v1/api/organizations/{id}']?.['get'] as Operation;
  t.match(get.parameters, [{ name: 'id', in: 'path', required: true, schema: { type: 'integer', minimum: 1 } }]);
  const list = doc.paths['/v1/api/organizations']?.['get'] as Operation;
  t.match(list.parameters, [{ name: 'ordering', in: 'query', schema: { type: 'string' } }]);
  t.match(list.responses['200']?.content?.['application/json']?.schema, { type: 'array', items: { type: 'object', additionalProperties: true } });
  const update = doc.paths['/v1/api/organizations/{id}']?.['patch'] as Operation;
  t.equal(update.requestBody?.required, true, 'Label Studio refuses a PATCH without a body');
  t.match(update.requestBody?.content['application/json']?.schema, {
    type: 'object',
    additionalProperties: true,
    properties: { title: { type: ['string', 'null'], minLength: 1 }, contact_info: { format: 'email', maxLength: 254 }, token: { maxLength: 256 } },
  });
  const members = doc.paths['/v1/api/organizations/{id}/memberships']?.['patch'] as Operation;
  t.match(members.requestBody?.content['application/json']?.schema, { required: ['user_id'], properties: { user_id: { type: 'integer' }, role: { enum: ['OW', 'AD', 'MA', 'RE', 'AN', 'DI', 'NO'] } } });
  t.match(members.responses['200']?.content?.['application/json']?.schema, { properties: { concurrency: { type: ['string', 'null'] }, user: { type: ['object', 'null'] } } }, 'what Label Studio really answers');
  const reset = doc.paths['/v1/api/invite/reset-token']?.['post'] as Operation;
  t.match(reset.responses['201']?.content?.['application/json']?.schema, { properties: { invite_url: { type: 'string' }, token: { type: 'string' } } });
});

function spectral(file: string, output: string): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(join(ROOT, 'node_modules/.bin/spectral'), ['lint', file, '--ruleset', join(ROOT, '.spectral.yaml'), '--format', 'json', '--output', output, '--fail-severity', 'hint'], { cwd: ROOT, stdio: 'ignore' });
    child.once('exit', resolve);
  });
}

t.test('Spectral spectral:oas reports 0 errors and 0 warnings', async (t) => {
  t.match(readFileSync(join(ROOT, '.spectral.yaml'), 'utf8'), /extends:\s*\["spectral:oas"\]/);
  // The fullest document too: inbound keys (security schemes) and the ledger route with its tag.
  const full = await startGatewayProcess({
    capability: 'capability.yaml',
    env: { LABEL_STUDIO_API_KEY: sim.legacyToken, GATEWAY_BASE_URI: sim.url, GATEWAY_API_KEYS: `ops:${'a'.repeat(64)}:read`, GATEWAY_LEDGER_DIR: join(tmp, 'ledger') },
    // Opening the embedded ledger takes seconds on a loaded machine.
    timeoutMs: 60_000,
  });
  const fullJson = await (await request(`${full.url}/openapi.json`)).body.text();
  const full30 = await (await request(`${full.url}/openapi-3.0.json`)).body.text();
  const fullPort = new URL(full.url).port;
  await full.stop();
  t.match(JSON.parse(fullJson), { paths: { '/v1/ledger': {} }, components: { securitySchemes: { gatewayBearer: {} } } }, 'the full document has the ledger and the key schemes');
  // With the default settings (ledger on), the same keys and the same port, the CLI prints that document too.
  const printedFull = await runCli(['openapi', 'capability.yaml', '--rest-port', fullPort], { GATEWAY_API_KEYS: `ops:${'a'.repeat(64)}:read` });
  t.equal(printedFull.stdout, fullJson, '`openapi` prints the served document with the ledger route and key schemes, byte for byte');
  const printedFull30 = await runCli(['openapi', 'capability.yaml', '--rest-port', fullPort, '--version', '3.0'], { GATEWAY_API_KEYS: `ops:${'a'.repeat(64)}:read` });
  t.equal(printedFull30.stdout, full30, '`openapi --version 3.0` prints the served /openapi-3.0.json');
  t.match(JSON.parse(full30), { openapi: '3.0.3', components: { securitySchemes: { gatewayBearer: {} } } });
  // The YAML rendering is the same document (checked above), so linting the JSON covers both.
  for (const [name, text] of [['openapi.json', servedJson], ['openapi-full.json', fullJson], ['openapi-3.0.json', served30], ['openapi-3.0-full.json', full30]] as const) {
    const file = join(tmp, name);
    const output = join(tmp, `${name}.spectral.json`);
    writeFileSync(file, text);
    const code = await spectral(file, output);
    const results = JSON.parse(readFileSync(output, 'utf8')) as { code: string; severity: number; message: string }[];
    t.same(results, [], `${name}: no findings at any severity`);
    t.equal(code, 0, `${name}: spectral exits 0 with --fail-severity hint`);
  }
  // The linter does find problems when there are some.
  const broken = structuredClone(doc) as { info: Record<string, unknown> };
  delete broken.info['contact'];
  const file = join(tmp, 'broken.json');
  writeFileSync(file, JSON.stringify(broken));
  await spectral(file, join(tmp, 'broken.spectral.json'));
  t.match(JSON.parse(readFileSync(join(tmp, 'broken.spectral.json'), 'utf8')), [{ code: 'info-contact' }], 'control: a missing contact is a warning');
});

t.test('`naftiko-gateway openapi` prints the served bytes without LABEL_STUDIO_API_KEY', async (t) => {
  // The served gateway runs with the ledger off (the test helpers' default), so the CLI is told the same.
  const env = { PATH: process.env['PATH'], LABEL_STUDIO_API_KEY: undefined, GATEWAY_LEDGER: 'off' };
  const json = await runCli(['openapi', 'capability.yaml', '--rest-port', port], env);
  t.equal(json.code, 0, json.stderr);
  t.ok(json.stdout === servedJson, 'JSON: byte-for-byte the served /openapi.json');
  const yaml = await runCli(['openapi', 'capability.yaml', '--format', 'yaml', '--rest-port', port], env);
  t.equal(yaml.code, 0, yaml.stderr);
  t.ok(yaml.stdout === servedYaml, 'YAML: byte-for-byte the served /openapi.yaml');
  const v30 = await runCli(['openapi', 'capability.yaml', '--version', '3.0', '--rest-port', port], env);
  t.ok(v30.stdout === served30, '--version 3.0: byte-for-byte the served /openapi-3.0.json');
  const declared = await runCli(['openapi', 'capability.yaml'], env);
  t.match(JSON.parse(declared.stdout), { servers: [{ url: '/' }, { url: 'http://localhost:8080' }] }, 'without --rest-port: the capability port');
  const bad = await runCli(['openapi', 'capability.yaml', '--format', 'xml'], env);
  t.equal(bad.code, 2);
  t.match(bad.stderr, /--format json\|yaml/);
  const badVersion = await runCli(['openapi', 'capability.yaml', '--version', '2.0'], env);
  t.equal(badVersion.code, 2);
  t.match(badVersion.stderr, /--version 3\.1\|3\.0/);
  const broken = await runCli(['openapi', 'test/fixtures/capabilities/broken.yaml'], env);
  t.equal(broken.code, 1);
  t.match(broken.stderr, /broken\.yaml:\d+: error:/, 'a broken capability lists its problems');
});

t.test('GET /docs serves Swagger UI on the served document', async (t) => {
  const res = await request(`${gw.url}/docs/`);
  t.equal(res.statusCode, 200);
  t.match(await res.body.text(), /swagger-ui/i);
  const json = await request(`${gw.url}/docs/json`);
  t.same(await json.body.json(), doc, 'Swagger UI reads the same document');
});
