/**
 * A real OpenAPI consumer: openapi-typescript generates types from the served
 * document, a small openapi-fetch client is type-checked with `tsc --noEmit`
 * (strict) and then calls every route of the running gateway against the
 * Label Studio simulator.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';
import t from 'tap';
import { startGatewayWithSimulator, type GatewayWithSimulator } from '../helpers/in-process-gateway.js';
import { ROOT } from '../helpers/gateway-process.js';

/** The client a user would write; `@ts-expect-error` lines prove the generated types are not `any`. */
const CLIENT_SOURCE = `import createClient from 'openapi-fetch';
import type { paths } from './schema.js';

export async function callEveryRoute(baseUrl: string) {
  const client = createClient<paths>({ baseUrl });
  const reset = await client.POST('/v1/api/invite/reset-token');
  const list = await client.GET('/v1/api/organizations', { params: { query: { ordering: '-id' } } });
  const get = await client.GET('/v1/api/organizations/{id}', { params: { path: { id: 1 } } });
  const update = await client.PATCH('/v1/api/organizations/{id}', { params: { path: { id: 1 } }, body: { title: 'Generated client', contact_info: null } });
  const role = await client.PATCH('/v1/api/organizations/{id}/set-default-role', { params: { path: { id: 1 } }, body: { default_role: 'RE' } });
  const member = await client.PATCH('/v1/api/organizations/{id}/memberships', { params: { path: { id: 1 } }, body: { user_id: 14, role: 'MA' } });
  const inviteToken: string | undefined = reset.data?.token;
  const ids: (number | undefined)[] = (list.data ?? []).map((organization) => organization.id);
  const title: string | null | undefined = get.data?.title;
  const updatedTitle: string | null | undefined = update.data?.title;
  const defaultRole: string | null | undefined = role.data?.default_role;
  const memberRole: string | undefined = member.data?.role;
  // Label Studio answers null here; the generated type must say so.
  const concurrency: string | null | undefined = member.data?.concurrency;
  const statuses = [reset, list, get, update, role, member].map((r) => r.response.status);
  return { statuses, inviteToken, ids, title, updatedTitle, defaultRole, memberRole, concurrency };
}

/** Error answers come back as typed errors, never as exceptions. */
export async function callFailingRoutes(baseUrl: string) {
  const client = createClient<paths>({ baseUrl });
  const missing = await client.GET('/v1/api/organizations/{id}', { params: { path: { id: 999 } } });
  const invalid = await client.PATCH('/v1/api/organizations/{id}', { params: { path: { id: 1 } }, body: { title: '' } });
  const noUser = await client.PATCH('/v1/api/organizations/{id}/memberships', { params: { path: { id: 1 } }, body: { user_id: 999_999, role: 'AN' } });
  const head = await client.HEAD('/v1/api/organizations/{id}', { params: { path: { id: 1 } } });
  return {
    statuses: [missing, invalid, noUser, head].map((r) => r.response.status),
    errors: [missing.error, invalid.error, noUser.error],
    requestIds: [missing, invalid, noUser, head].map((r) => r.response.headers.get('x-request-id')),
  };
}

export async function neverCalled(baseUrl: string) {
  const client = createClient<paths>({ baseUrl });
  // @ts-expect-error role codes are an enum
  await client.PATCH('/v1/api/organizations/{id}/memberships', { params: { path: { id: 1 } }, body: { user_id: 14, role: 'XX' } });
  // @ts-expect-error ids are integers
  await client.GET('/v1/api/organizations/{id}', { params: { path: { id: 'one' } } });
  // @ts-expect-error no such route
  await client.GET('/v1/api/nothing');
}
`;

const TSCONFIG = {
  compilerOptions: { strict: true, target: 'es2022', module: 'nodenext', moduleResolution: 'nodenext', lib: ['es2022', 'dom'], types: ['node'], noEmit: true, skipLibCheck: true },
  files: ['client.ts'],
};

function tsc(project: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', project], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (output += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (output += c));
    child.once('exit', (code) => resolve({ code, output }));
  });
}

let env: GatewayWithSimulator;
// Inside the repository, so the client resolves openapi-fetch from node_modules (test/artifacts is gitignored).
mkdirSync(join(ROOT, 'test/artifacts'), { recursive: true });
const dir = mkdtempSync(join(ROOT, 'test/artifacts/openapi-client-'));

t.before(async () => {
  env = await startGatewayWithSimulator();
});

t.teardown(async () => {
  await env?.close();
  rmSync(dir, { recursive: true, force: true });
});

t.test('openapi-typescript + openapi-fetch: generated, type-checked, calls every route', async (t) => {
  const ast = await openapiTS(new URL(`${env.url}/openapi.json`));
  const types = astToString(ast);
  t.match(types, /"\/v1\/api\/organizations\/\{id\}\/memberships"/, 'types for the served paths');
  writeFileSync(join(dir, 'schema.d.ts'), types);
  writeFileSync(join(dir, 'client.ts'), CLIENT_SOURCE);
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(TSCONFIG, null, 2));
  const compiled = await tsc(join(dir, 'tsconfig.json'));
  t.equal(compiled.code, 0, `tsc --noEmit: ${compiled.output}`);

  env.sim.clear();
  const client = (await import(pathToFileURL(join(dir, 'client.ts')).href)) as {
    callEveryRoute: (baseUrl: string) => Promise<{ statuses: number[]; inviteToken?: string; ids: number[]; title?: string; updatedTitle?: string; defaultRole?: string; memberRole?: string; concurrency?: string | null }>;
    callFailingRoutes: (baseUrl: string) => Promise<{ statuses: number[]; errors: unknown[]; requestIds: (string | null)[] }>;
  };
  const result = await client.callEveryRoute(env.url);
  t.same(result.statuses, [201, 200, 200, 200, 200, 200], 'every route succeeds');
  t.match(result.inviteToken, /^[0-9a-f]{16}$/);
  t.same(result.ids, [3, 2, 1], 'ordering=-id reached Label Studio');
  t.equal(result.title, 'Acme Labeling');
  t.equal(result.updatedTitle, 'Generated client');
  t.equal(result.defaultRole, 'RE');
  t.equal(result.memberRole, 'MA');
  t.equal(result.concurrency, null, 'concurrency: null reaches the client as null');
  t.same(env.sim.requests.map((r) => `${r.method} ${r.url}`), [
    'POST /api/invite/reset-token',
    'GET /api/organizations/?ordering=-id',
    'GET /api/organizations/1',
    'PATCH /api/organizations/1',
    'PATCH /api/organizations/1/set-default-role',
    'PATCH /api/organizations/1/memberships',
  ]);

  const failing = await client.callFailingRoutes(env.url);
  t.same(failing.statuses, [404, 400, 404, 200], 'upstream 404, gateway 400, upstream 404, HEAD 200: answered, not thrown');
  t.match(failing.errors, [{ detail: String }, { code: 'NGW_ERR_VALIDATION', instance: String }, { detail: String }], 'error bodies parsed as the document types them');
  t.ok(failing.requestIds.every((id) => typeof id === 'string' && id !== ''), 'every answer carries x-request-id');
});

t.test('openapi-typescript also generates from the 3.0.3 document', async (t) => {
  const ast = await openapiTS(new URL(`${env.url}/openapi-3.0.json`));
  const types = astToString(ast);
  t.match(types, /concurrency\?: string \| null/, '3.0 nullable becomes | null');
  t.match(types, /"\/v1\/api\/organizations\/\{id\}\/memberships"/);
});
