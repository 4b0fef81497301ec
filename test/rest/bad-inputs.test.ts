/**
 * Request validation that matches Label Studio (the capability's `schema:`
 * extension, seeds update-organization.txt, update-default-role.txt,
 * update-member-role.txt): every bad input is a 400 problem naming each bad
 * field, and nothing reaches the upstream.
 */
import t from 'tap';
import { startGatewayWithSimulator, type GatewayWithSimulator } from '../helpers/in-process-gateway.js';
import { request } from 'undici';

interface BadInput {
  readonly name: string;
  readonly method: 'GET' | 'POST' | 'PATCH';
  readonly path: string;
  /** A JSON value, or raw text when `raw` is set. */
  readonly body?: unknown;
  readonly raw?: string;
  /** Every field the problem must name. */
  readonly fields: readonly string[];
  readonly code?: string;
}

const ORG = '/v1/api/organizations/1';
const ROLE = '/v1/api/organizations/1/set-default-role';
const MEMBERS = '/v1/api/organizations/1/memberships';

const CASES: readonly BadInput[] = [
  // GET /v1/api/organizations/{id}: id is an integer ≥ 1 in plain decimal
  { name: 'get: id not a number', method: 'GET', path: '/v1/api/organizations/abc', fields: ['path.id'] },
  { name: 'get: id zero', method: 'GET', path: '/v1/api/organizations/0', fields: ['path.id'] },
  { name: 'get: id negative', method: 'GET', path: '/v1/api/organizations/-1', fields: ['path.id'] },
  { name: 'get: id fractional', method: 'GET', path: '/v1/api/organizations/1.5', fields: ['path.id'] },
  { name: 'get: id in exponent notation', method: 'GET', path: '/v1/api/organizations/1e3', fields: ['path.id'] },
  { name: 'get: id in hex', method: 'GET', path: '/v1/api/organizations/0x10', fields: ['path.id'] },
  { name: 'get: id beyond exact integers', method: 'GET', path: '/v1/api/organizations/9007199254740993', fields: ['path.id'] },
  // GET /v1/api/organizations
  { name: 'list: ordering given twice', method: 'GET', path: '/v1/api/organizations?ordering=id&ordering=-id', fields: ['query.ordering'] },
  // POST /v1/api/invite/reset-token takes no input but still refuses broken JSON
  { name: 'reset-token: malformed JSON body', method: 'POST', path: '/v1/api/invite/reset-token', raw: '{nope}', fields: ['body'], code: 'NGW_ERR_BAD_JSON' },
  { name: 'reset-token: truncated JSON body', method: 'POST', path: '/v1/api/invite/reset-token', raw: '[1,', fields: ['body'], code: 'NGW_ERR_BAD_JSON' },
  // PATCH /v1/api/organizations/{id}
  { name: 'update: id not a number', method: 'PATCH', path: '/v1/api/organizations/abc', body: { title: 'ok' }, fields: ['path.id'] },
  { name: 'update: title a number', method: 'PATCH', path: ORG, body: { title: 123 }, fields: ['body.title'] },
  { name: 'update: title empty', method: 'PATCH', path: ORG, body: { title: '' }, fields: ['body.title'] },
  { name: 'update: title a boolean', method: 'PATCH', path: ORG, body: { title: true }, fields: ['body.title'] },
  { name: 'update: contact_info not an email', method: 'PATCH', path: ORG, body: { contact_info: 'not-an-email' }, fields: ['body.contact_info'] },
  { name: 'update: contact_info over 254 characters', method: 'PATCH', path: ORG, body: { contact_info: `${'a'.repeat(60)}@${'b'.repeat(191)}.io` }, fields: ['body.contact_info'] },
  { name: 'update: contact_info a number', method: 'PATCH', path: ORG, body: { contact_info: 42 }, fields: ['body.contact_info'] },
  { name: 'update: token over 256 characters', method: 'PATCH', path: ORG, body: { token: 'x'.repeat(257) }, fields: ['body.token'] },
  { name: 'update: token a number', method: 'PATCH', path: ORG, body: { token: 5 }, fields: ['body.token'] },
  { name: 'update: created_by a string', method: 'PATCH', path: ORG, body: { created_by: 'abc' }, fields: ['body.created_by'] },
  { name: 'update: created_by numeric text is not coerced', method: 'PATCH', path: ORG, body: { created_by: '10' }, fields: ['body.created_by'] },
  { name: 'update: created_by fractional', method: 'PATCH', path: ORG, body: { created_by: 1.5 }, fields: ['body.created_by'] },
  { name: 'update: custom_interfaces_enabled "true" is not coerced', method: 'PATCH', path: ORG, body: { custom_interfaces_enabled: 'true' }, fields: ['body.custom_interfaces_enabled'] },
  { name: 'update: custom_interfaces_enabled null', method: 'PATCH', path: ORG, body: { custom_interfaces_enabled: null }, fields: ['body.custom_interfaces_enabled'] },
  { name: 'update: custom_scripts_enabled a string', method: 'PATCH', path: ORG, body: { custom_scripts_enabled: 'yes' }, fields: ['body.custom_scripts_enabled'] },
  { name: 'update: embed_enabled 1', method: 'PATCH', path: ORG, body: { embed_enabled: 1 }, fields: ['body.embed_enabled'] },
  { name: 'update: embed_domains a string', method: 'PATCH', path: ORG, body: { embed_domains: 'example.com' }, fields: ['body.embed_domains'] },
  { name: 'update: embed_domains of strings', method: 'PATCH', path: ORG, body: { embed_domains: ['example.com'] }, fields: ['body.embed_domains.0'] },
  { name: 'update: embed_domains map value not a string', method: 'PATCH', path: ORG, body: { embed_domains: [{ domain: 5 }] }, fields: ['body.embed_domains.0.domain'] },
  { name: 'update: body an array', method: 'PATCH', path: ORG, body: [{ title: 'x' }], fields: ['body'] },
  { name: 'update: body a string', method: 'PATCH', path: ORG, body: 'title', fields: ['body'] },
  { name: 'update: malformed JSON', method: 'PATCH', path: ORG, raw: '{"title": }', fields: ['body'], code: 'NGW_ERR_BAD_JSON' },
  { name: 'update: every bad field named', method: 'PATCH', path: ORG, body: { title: 1, contact_info: 'x', token: 5, embed_enabled: 'no' }, fields: ['body.title', 'body.contact_info', 'body.token', 'body.embed_enabled'] },
  // PATCH /v1/api/organizations/{id}/set-default-role
  { name: 'default role: id zero', method: 'PATCH', path: '/v1/api/organizations/0/set-default-role', body: { default_role: 'AN' }, fields: ['path.id'] },
  { name: 'default role: unknown role', method: 'PATCH', path: ROLE, body: { default_role: 'XX' }, fields: ['body.default_role'] },
  { name: 'default role: lower-case role', method: 'PATCH', path: ROLE, body: { default_role: 'an' }, fields: ['body.default_role'] },
  { name: 'default role: role null', method: 'PATCH', path: ROLE, body: { default_role: null }, fields: ['body.default_role'] },
  { name: 'default role: role a number', method: 'PATCH', path: ROLE, body: { default_role: 5 }, fields: ['body.default_role'] },
  { name: 'default role: firewall time not a date-time', method: 'PATCH', path: ROLE, body: { annotator_reviewer_firewall_enabled_at: 'yesterday' }, fields: ['body.annotator_reviewer_firewall_enabled_at'] },
  { name: 'default role: custom scripts time a number', method: 'PATCH', path: ROLE, body: { custom_scripts_enabled_at: 12345 }, fields: ['body.custom_scripts_enabled_at'] },
  { name: 'default role: navigation time out of range', method: 'PATCH', path: ROLE, body: { label_stream_navigation_disabled_at: '2024-13-45T99:00:00Z' }, fields: ['body.label_stream_navigation_disabled_at'] },
  { name: 'default role: quick view time a boolean', method: 'PATCH', path: ROLE, body: { read_only_quick_view_enabled_at: true }, fields: ['body.read_only_quick_view_enabled_at'] },
  { name: 'default role: extra_data_on_activity_logs "false"', method: 'PATCH', path: ROLE, body: { extra_data_on_activity_logs: 'false' }, fields: ['body.extra_data_on_activity_logs'] },
  { name: 'default role: external_id a number', method: 'PATCH', path: ROLE, body: { external_id: 99 }, fields: ['body.external_id'] },
  { name: 'default role: organization a string', method: 'PATCH', path: ROLE, body: { organization: 'one' }, fields: ['body.organization'] },
  { name: 'default role: organization fractional', method: 'PATCH', path: ROLE, body: { organization: 1.5 }, fields: ['body.organization'] },
  { name: 'default role: every bad field named', method: 'PATCH', path: ROLE, body: { default_role: 'ZZ', external_id: 1, organization: 'x' }, fields: ['body.default_role', 'body.external_id', 'body.organization'] },
  // PATCH /v1/api/organizations/{id}/memberships
  { name: 'memberships: id not a number', method: 'PATCH', path: '/v1/api/organizations/abc/memberships', body: { user_id: 14, role: 'RE' }, fields: ['path.id'] },
  { name: 'memberships: user_id numeric text is not coerced', method: 'PATCH', path: MEMBERS, body: { user_id: '14', role: 'RE' }, fields: ['body.user_id'] },
  { name: 'memberships: user_id fractional', method: 'PATCH', path: MEMBERS, body: { user_id: 1.5, role: 'RE' }, fields: ['body.user_id'] },
  { name: 'memberships: unknown role', method: 'PATCH', path: MEMBERS, body: { user_id: 14, role: 'XX' }, fields: ['body.role'] },
  { name: 'memberships: role null', method: 'PATCH', path: MEMBERS, body: { user_id: 14, role: null }, fields: ['body.role'] },
  { name: 'memberships: role full name instead of code', method: 'PATCH', path: MEMBERS, body: { user_id: 14, role: 'Reviewer' }, fields: ['body.role'] },
  { name: 'memberships: bad id and bad body named together', method: 'PATCH', path: '/v1/api/organizations/0/memberships', body: { user_id: 14, role: 'XX' }, fields: ['path.id', 'body.role'] },
  { name: 'update: bad id and every bad body field named together', method: 'PATCH', path: '/v1/api/organizations/abc', body: { title: 1, token: 2 }, fields: ['path.id', 'body.title', 'body.token'] },
  { name: 'memberships: both fields bad', method: 'PATCH', path: MEMBERS, body: { user_id: 'x', role: 'ZZ' }, fields: ['body.user_id', 'body.role'] },
];

let env: GatewayWithSimulator;

t.before(async () => {
  env = await startGatewayWithSimulator();
});

t.teardown(async () => {
  await env?.close();
});

t.test(`${CASES.length} bad inputs: 400 naming the field, never sent upstream`, async (t) => {
  t.ok(CASES.length >= 40, 'at least 40 cases');
  const operations = new Set(CASES.map((c) => `${c.method} ${c.path.replace(/\?.*$/, '').replace(/\/organizations\/[^/]+/, '/organizations/{id}')}`));
  t.equal(operations.size, 6, 'all 6 operations covered');
  env.sim.clear();
  for (const c of CASES) {
    const hasBody = c.raw !== undefined || c.body !== undefined;
    const res = await request(env.url + c.path, {
      method: c.method,
      headers: hasBody ? { 'content-type': 'application/json' } : {},
      body: c.raw ?? (c.body === undefined ? undefined : JSON.stringify(c.body)),
    });
    const problem = (await res.body.json()) as { code?: string; errors?: { field: string; message: string }[]; detail?: string };
    const named = (problem.errors ?? []).map((e) => e.field);
    const missing = c.fields.filter((f) => !named.includes(f));
    t.ok(res.statusCode === 400 && missing.length === 0 && problem.code === (c.code ?? 'NGW_ERR_VALIDATION'), c.name, {
      have: { status: res.statusCode, code: problem.code, fields: named, detail: problem.detail },
      want: { status: 400, code: c.code ?? 'NGW_ERR_VALIDATION', fields: c.fields },
    });
    t.match(res.headers['content-type'], /^application\/problem\+json/, `${c.name}: problem+json`);
  }
  t.equal(env.sim.requests.length, 0, 'zero upstream calls');
});

t.test('valid edge values and unknown fields reach Label Studio unchanged', async (t) => {
  env.sim.clear();
  const body = { title: 'Renamed', contact_info: null, token: null, embed_domains: [{ domain: 'example.com' }], not_in_the_docs: { kept: true } };
  const res = await request(env.url + ORG, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  t.equal(res.statusCode, 200, await res.body.text());
  t.same(env.sim.requests[0]?.json, body, 'unknown fields are forwarded, nothing is coerced or stripped');
  const role = await request(env.url + ROLE, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ default_role: 'RE', custom_scripts_enabled_at: null, read_only_quick_view_enabled_at: '2026-01-02T03:04:05Z' }),
  });
  t.equal(role.statusCode, 200, await role.body.text());
  t.equal(env.sim.requests.length, 2);
});
