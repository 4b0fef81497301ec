/**
 * The Label Studio simulator, over real HTTP: auth, every endpoint, URL rules, error bodies,
 * personal access tokens, fault injection, and the standalone process.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import t from 'tap';
import { Agent, request } from 'undici';
import { track } from '../helpers/children.js';
import {
  DEFAULT_LEGACY_TOKEN,
  DEFAULT_VERSION,
  startLabelStudio,
  type JsonValue,
  type LabelStudioSimulator,
  type SimulatorOptions
} from '../fixtures/label-studio/simulator.js';

/** The assertions helpers need; both the root TAP and subtests provide them. */
type Test = Pick<typeof t, 'equal' | 'match' | 'same' | 'teardown'>;

interface SendOptions {
  /** Full Authorization header; null sends none; default `Token <DEFAULT_LEGACY_TOKEN>`. */
  auth?: string | null;
  json?: JsonValue;
  body?: string;
  contentType?: string;
  headersTimeout?: number;
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: unknown;
}

const LEGACY_AUTH = `Token ${DEFAULT_LEGACY_TOKEN}`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const HEX16 = /^[0-9a-f]{16}$/;
const NOT_PROVIDED = 'Authentication credentials were not provided.';
const PERMISSION_DENIED = 'You do not have permission to perform this action.';

const agent = new Agent({ keepAliveTimeout: 1_000 });
t.teardown(() => agent.destroy());

async function startSim(test: Test, options?: SimulatorOptions): Promise<LabelStudioSimulator> {
  const sim = await startLabelStudio(options);
  test.teardown(() => sim.close());
  return sim;
}

async function send(sim: LabelStudioSimulator, method: string, path: string, options: SendOptions = {}): Promise<Reply> {
  const headers: Record<string, string> = {};
  const auth = options.auth === undefined ? LEGACY_AUTH : options.auth;
  if (auth !== null) headers.authorization = auth;
  let body = options.body;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers['content-type'] = 'application/json';
  }
  if (options.contentType !== undefined) headers['content-type'] = options.contentType;
  const response = await request(`${sim.url}${path}`, {
    method: method as 'GET',
    headers,
    body,
    dispatcher: agent,
    headersTimeout: options.headersTimeout ?? 5_000
  });
  const text = await response.body.text();
  return { status: response.statusCode, headers: response.headers, text, json: parseJson(text) };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

function keysOf(value: unknown): string[] {
  return typeof value === 'object' && value !== null ? Object.keys(value).sort() : [];
}

function decodeJwtPayload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** Label Studio's custom_exception_handler envelope. */
function assertEnvelope(test: Test, reply: Reply, status: number, detail: string): void {
  test.equal(reply.status, status, `status ${status}`);
  test.match(String(reply.headers['content-type']), /^application\/json/);
  test.match(String(field(reply.json, 'id')), UUID);
  test.equal(field(reply.json, 'status_code'), status);
  test.equal(field(reply.json, 'version'), DEFAULT_VERSION);
  test.equal(field(reply.json, 'detail'), detail);
  test.equal(field(reply.json, 'exc_info'), null);
}

function assertValidation(test: Test, reply: Reply, errors: unknown): void {
  assertEnvelope(test, reply, 400, 'Validation error');
  test.same(field(reply.json, 'validation_errors'), errors);
}

function assertDjangoNotFound(test: Test, reply: Reply): void {
  test.equal(reply.status, 404);
  test.match(String(reply.headers['content-type']), /^text\/html/);
  test.match(reply.text, /<h1>Not Found<\/h1>/);
}

t.test('authentication', async (t) => {
  const sim = await startSim(t, { readOnlyTokens: ['ls-read-only-key'] });
  const cases: { name: string; auth: string | null; detail: string }[] = [
    { name: 'missing header', auth: null, detail: NOT_PROVIDED },
    { name: 'unknown key', auth: 'Token nope', detail: 'Invalid token.' },
    { name: 'keyword without key', auth: 'Token', detail: 'Invalid token header. No credentials provided.' },
    { name: 'key with spaces', auth: 'Token a b', detail: 'Invalid token header. Token string should not contain spaces.' },
    { name: 'other scheme', auth: `Basic ${DEFAULT_LEGACY_TOKEN}`, detail: NOT_PROVIDED },
    { name: 'legacy key as Bearer', auth: `Bearer ${DEFAULT_LEGACY_TOKEN}`, detail: NOT_PROVIDED },
    { name: 'raw key without scheme', auth: DEFAULT_LEGACY_TOKEN, detail: NOT_PROVIDED }
  ];
  for (const c of cases) {
    await t.test(c.name, async (t) => {
      const reply = await send(sim, 'GET', '/api/organizations/', { auth: c.auth });
      assertEnvelope(t, reply, 401, c.detail);
      t.equal(reply.headers['www-authenticate'], 'Token');
    });
  }

  await t.test('Token keyword is case-insensitive (DRF)', async (t) => {
    const reply = await send(sim, 'GET', '/api/organizations/1', { auth: `token ${DEFAULT_LEGACY_TOKEN}` });
    t.equal(reply.status, 200);
  });

  await t.test('read-only key reads but may not write', async (t) => {
    const auth = 'Token ls-read-only-key';
    t.equal((await send(sim, 'GET', '/api/organizations/1', { auth })).status, 200);
    assertEnvelope(t, await send(sim, 'PATCH', '/api/organizations/1', { auth, json: { title: 'x' } }), 403, PERMISSION_DENIED);
    assertEnvelope(t, await send(sim, 'POST', '/api/invite/reset-token', { auth }), 403, PERMISSION_DENIED);
    t.equal(sim.state.organizations.find((o) => o.id === 1)?.title, 'Acme Labeling');
  });

  await t.test('401 comes before 405, as DRF authenticates first', async (t) => {
    assertEnvelope(t, await send(sim, 'PUT', '/api/organizations/1', { auth: null }), 401, NOT_PROVIDED);
  });

  await t.test('member roles: annotator reads, cannot write; deactivated sees nothing', async (t) => {
    const annotator = `Bearer ${sim.issueAccessToken({ userId: 14 })}`;
    t.equal((await send(sim, 'GET', '/api/organizations/1', { auth: annotator })).status, 200);
    assertEnvelope(t, await send(sim, 'PATCH', '/api/organizations/1', { auth: annotator, json: { title: 'x' } }), 403, PERMISSION_DENIED);
    const deactivated = `Bearer ${sim.issueAccessToken({ userId: 15 })}`;
    assertEnvelope(t, await send(sim, 'GET', '/api/organizations/1', { auth: deactivated }), 403, PERMISSION_DENIED);
  });
});

t.test('legacy tokens disabled for the organization', async (t) => {
  const sim = await startSim(t, { legacyTokensEnabled: false });
  const reply = await send(sim, 'GET', '/api/organizations/');
  assertEnvelope(t, reply, 401, 'Authentication token no longer valid: legacy token authentication has been disabled for this organization');
  const bearer = `Bearer ${sim.issueAccessToken()}`;
  t.equal((await send(sim, 'GET', '/api/organizations/', { auth: bearer })).status, 200, 'PATs still work');
});

t.test('GET /api/organizations/', async (t) => {
  const sim = await startSim(t);

  await t.test('plain array of list items', async (t) => {
    const reply = await send(sim, 'GET', '/api/organizations/');
    t.equal(reply.status, 200);
    t.match(String(reply.headers['content-type']), /^application\/json$/);
    t.equal(reply.headers.allow, 'GET, HEAD, OPTIONS');
    t.ok(Array.isArray(reply.json));
    const items = reply.json as unknown[];
    t.same(items.map((item) => field(item, 'id')), [1, 2, 3]);
    t.same(keysOf(items[0]), ['contact_info', 'created_at', 'id', 'title']);
    t.same(items[0], { id: 1, title: 'Acme Labeling', contact_info: 'ops@acme.test', created_at: '2024-02-16T15:44:07.123456Z' });
  });

  const orderings: { ordering: string; ids: number[] }[] = [
    { ordering: 'id', ids: [1, 2, 3] },
    { ordering: '-id', ids: [3, 2, 1] },
    { ordering: 'title', ids: [1, 2, 3] },
    { ordering: '-title', ids: [3, 2, 1] },
    { ordering: 'contact_info', ids: [1, 2, 3] },
    { ordering: '-contact_info', ids: [3, 2, 1] },
    { ordering: 'nonexistent', ids: [1, 2, 3] },
    { ordering: 'nonexistent,-id', ids: [3, 2, 1] }
  ];
  for (const { ordering, ids } of orderings) {
    await t.test(`ordering=${ordering}`, async (t) => {
      const reply = await send(sim, 'GET', `/api/organizations/?ordering=${encodeURIComponent(ordering)}`);
      t.same((reply.json as unknown[]).map((item) => field(item, 'id')), ids);
    });
  }

  await t.test('without the slash it is served as if present (CommonMiddlewareAppendSlashWithoutRedirect)', async (t) => {
    sim.clear();
    const reply = await send(sim, 'GET', '/api/organizations');
    t.equal(reply.status, 200);
    t.equal((reply.json as unknown[]).length, 3);
    t.equal(sim.requests[0]?.path, '/api/organizations', 'records the path as sent');
  });

  await t.test('HEAD answers headers only', async (t) => {
    const reply = await send(sim, 'HEAD', '/api/organizations/');
    t.equal(reply.status, 200);
    t.equal(reply.text, '');
  });

  await t.test('OPTIONS answers DRF metadata', async (t) => {
    const reply = await send(sim, 'OPTIONS', '/api/organizations/');
    t.equal(reply.status, 200);
    t.same(field(reply.json, 'renders'), ['application/json']);
  });
});

t.test('appendSlash: false makes the slash-less list a 404', async (t) => {
  const sim = await startSim(t, { appendSlash: false });
  assertDjangoNotFound(t, await send(sim, 'GET', '/api/organizations'));
});

t.test('listSize makes a large list body', async (t) => {
  const sim = await startSim(t, { listSize: 400 });
  const reply = await send(sim, 'GET', '/api/organizations/');
  t.equal((reply.json as unknown[]).length, 400);
  t.ok(Buffer.byteLength(reply.text) >= 50_000, `body is ${Buffer.byteLength(reply.text)} bytes`);
  t.equal((await send(sim, 'GET', '/api/organizations/400')).status, 200, 'generated organizations are real');
  sim.setListSize(10);
  t.equal(((await send(sim, 'GET', '/api/organizations/')).json as unknown[]).length, 10);
});

t.test('URL resolution', async (t) => {
  const sim = await startSim(t);
  const notFound = [
    '/api/organizations/1/',
    '/api/organizations/abc',
    '/api/organizations/-1',
    '/api/organizations/a%2Fb',
    '/api/organizations/1/set-default-role/',
    '/api/organizations/1/memberships/',
    '/api/invite/reset-token/',
    // The projects area is served (areas.ts); an area the simulator does not model is not.
    '/api/webhooks/',
    '/api/projects/abc/',
    '/api/tasks/1/extra/',
    '/'
  ];
  for (const path of notFound) {
    await t.test(`${path} is Django's HTML 404, before authentication`, async (t) => {
      assertDjangoNotFound(t, await send(sim, 'GET', path, { auth: null }));
    });
  }

  await t.test('unknown integer id is the DRF 404 envelope', async (t) => {
    assertEnvelope(t, await send(sim, 'GET', '/api/organizations/999'), 404, 'Not found.');
    assertEnvelope(t, await send(sim, 'PATCH', '/api/organizations/999', { json: { title: 'x' } }), 404, 'Not found.');
    assertEnvelope(t, await send(sim, 'PATCH', '/api/organizations/999/memberships', { json: { user_id: 11, role: 'AN' } }), 404, 'Not found.');
  });

  await t.test('the path is percent-decoded before matching, like WSGI PATH_INFO', async (t) => {
    const reply = await send(sim, 'PATCH', '/api/organizations/1%2Fset-default-role', { json: { default_role: 'RE' } });
    t.equal(reply.status, 200);
    t.equal(sim.state.organizations.find((o) => o.id === 1)?.default_role, 'RE');
  });

  const wrongMethods: { method: string; path: string; allow: string }[] = [
    { method: 'PUT', path: '/api/organizations/1', allow: 'GET, PATCH, HEAD, OPTIONS' },
    { method: 'DELETE', path: '/api/organizations/1', allow: 'GET, PATCH, HEAD, OPTIONS' },
    { method: 'POST', path: '/api/organizations/', allow: 'GET, HEAD, OPTIONS' },
    { method: 'GET', path: '/api/organizations/1/set-default-role', allow: 'PATCH, OPTIONS' },
    { method: 'POST', path: '/api/organizations/1/memberships', allow: 'PATCH, OPTIONS' },
    { method: 'GET', path: '/api/invite/reset-token', allow: 'POST, OPTIONS' },
    { method: 'GET', path: '/api/token/refresh/', allow: 'POST, OPTIONS' }
  ];
  for (const c of wrongMethods) {
    await t.test(`${c.method} ${c.path} is 405 with Allow`, async (t) => {
      const reply = await send(sim, c.method, c.path);
      assertEnvelope(t, reply, 405, `Method "${c.method}" not allowed.`);
      t.equal(reply.headers.allow, c.allow);
    });
  }
});

t.test('GET /api/organizations/<id>', async (t) => {
  const sim = await startSim(t);
  const reply = await send(sim, 'GET', '/api/organizations/1');
  t.equal(reply.status, 200);
  t.same(keysOf(reply.json), [
    'billing', 'contact_info', 'created_at', 'custom_interfaces_enabled', 'custom_scripts_enabled', 'default_role', 'email_notification_settings',
    'embed_domains', 'embed_enabled', 'embed_settings', 'external_id', 'id', 'interface_settings', 'react_code_settings', 'title', 'token'
  ]);
  t.match(reply.json, { id: 1, title: 'Acme Labeling', token: HEX16, default_role: 'AN', custom_scripts_enabled: false, billing: {} });
  t.match((await send(sim, 'GET', '/api/organizations/2')).json, { id: 2, title: 'Acme Research' });
  t.match((await send(sim, 'GET', '/api/organizations/3')).json, { id: 3, contact_info: null });
});

t.test('PATCH /api/organizations/<id>', async (t) => {
  const sim = await startSim(t);
  t.beforeEach(() => sim.reset());

  await t.test('partial update answers the whole updated object', async (t) => {
    const reply = await send(sim, 'PATCH', '/api/organizations/1', { json: { title: '  New Org Name ', embed_domains: [{ domain: 'example.com' }] } });
    t.equal(reply.status, 200);
    t.match(reply.json, { id: 1, title: 'New Org Name', contact_info: 'ops@acme.test', embed_domains: [{ domain: 'example.com' }], billing: {} });
    t.equal(sim.state.organizations.find((o) => o.id === 1)?.title, 'New Org Name', 'state changed');
    t.equal(field((await send(sim, 'GET', '/api/organizations/1')).json, 'title'), 'New Org Name');
  });

  await t.test('unknown and read-only fields are ignored', async (t) => {
    const reply = await send(sim, 'PATCH', '/api/organizations/2', { json: { id: 99, billing: { plan: 'free' }, created_at: 'x', nonsense: 1 } });
    t.equal(reply.status, 200);
    t.match(reply.json, { id: 2, billing: { plan: 'enterprise' }, created_at: '2024-02-16T15:44:07.123456Z' });
  });

  await t.test('DRF coercions', async (t) => {
    const reply = await send(sim, 'PATCH', '/api/organizations/1', { json: { title: 123, custom_scripts_enabled: 'true', embed_enabled: 0, contact_info: null } });
    t.match(reply.json, { title: '123', custom_scripts_enabled: true, embed_enabled: false, contact_info: null });
    t.match((await send(sim, 'PATCH', '/api/organizations/1', { json: { title: null } })).json, { title: null }, 'title is "string or null"');
  });

  const longEmail = `${'a'.repeat(250)}@x.io`;
  const invalid: { name: string; body: JsonValue; errors: unknown }[] = [
    { name: 'blank title', body: { title: '' }, errors: { title: ['This field may not be blank.'] } },
    { name: 'whitespace title', body: { title: '   ' }, errors: { title: ['This field may not be blank.'] } },
    { name: 'boolean title', body: { title: true }, errors: { title: ['Not a valid string.'] } },
    { name: 'object title', body: { title: { a: 1 } }, errors: { title: ['Not a valid string.'] } },
    { name: 'invalid email', body: { contact_info: 'not-an-email' }, errors: { contact_info: ['Enter a valid email address.'] } },
    { name: 'email over 254', body: { contact_info: longEmail }, errors: { contact_info: ['Ensure this field has no more than 254 characters.'] } },
    { name: 'token over 256', body: { token: 'x'.repeat(257) }, errors: { token: ['Ensure this field has no more than 256 characters.'] } },
    { name: 'non-boolean flag', body: { custom_scripts_enabled: 'maybe' }, errors: { custom_scripts_enabled: ['Must be a valid boolean.'] } },
    { name: 'null non-nullable flag', body: { embed_enabled: null }, errors: { embed_enabled: ['This field may not be null.'] } },
    { name: 'embed_domains not a list', body: { embed_domains: 'example.com' }, errors: { embed_domains: ['Expected a list of items but got type "str".'] } },
    {
      name: 'embed_domains item not a map',
      body: { embed_domains: [{ domain: 'ok.com' }, 'bad'] },
      errors: { embed_domains: { 1: ['Expected a dictionary of items but got type "str".'] } }
    },
    { name: 'created_by not an integer', body: { created_by: 'abc' }, errors: { created_by: ['A valid integer is required.'] } },
    { name: 'several fields at once', body: { title: '', token: 'x'.repeat(300) }, errors: { title: ['This field may not be blank.'], token: ['Ensure this field has no more than 256 characters.'] } },
    { name: 'array body', body: [{ title: 'x' }], errors: { non_field_errors: ['Invalid data. Expected a dictionary, but got list.'] } },
    { name: 'string body', body: 'x', errors: { non_field_errors: ['Invalid data. Expected a dictionary, but got str.'] } }
  ];
  for (const c of invalid) {
    await t.test(`400 on ${c.name}`, async (t) => {
      assertValidation(t, await send(sim, 'PATCH', '/api/organizations/1', { json: c.body }), c.errors);
      t.equal(sim.state.organizations.find((o) => o.id === 1)?.title, 'Acme Labeling', 'nothing saved');
    });
  }

  await t.test('malformed JSON is a ParseError', async (t) => {
    const reply = await send(sim, 'PATCH', '/api/organizations/1', { body: '{"title":', contentType: 'application/json' });
    t.equal(reply.status, 400);
    t.match(String(field(reply.json, 'detail')), /^JSON parse error - /);
  });

  await t.test('unsupported media types are 415', async (t) => {
    assertEnvelope(t, await send(sim, 'PATCH', '/api/organizations/1', { body: 'title=x', contentType: 'text/plain' }), 415, 'Unsupported media type "text/plain" in request.');
    assertEnvelope(t, await send(sim, 'PATCH', '/api/organizations/1', { body: '{"title":"x"}' }), 415, 'Unsupported media type "" in request.');
  });

  await t.test('form bodies and empty bodies parse like DRF', async (t) => {
    t.match((await send(sim, 'PATCH', '/api/organizations/1', { body: 'title=Form+Title', contentType: 'application/x-www-form-urlencoded' })).json, { title: 'Form Title' });
    t.match((await send(sim, 'PATCH', '/api/organizations/1')).json, { title: 'Form Title' }, 'empty body changes nothing');
  });

  await t.test('charset parameter is accepted', async (t) => {
    const reply = await send(sim, 'PATCH', '/api/organizations/1', { body: '{"title":"Utf"}', contentType: 'application/json; charset=utf-8' });
    t.equal(reply.status, 200);
  });
});

t.test('PATCH /api/organizations/<id>/set-default-role', async (t) => {
  const sim = await startSim(t);
  t.beforeEach(() => sim.reset());

  await t.test('answers the organization settings', async (t) => {
    const reply = await send(sim, 'PATCH', '/api/organizations/2/set-default-role', { json: { default_role: 'RE', read_only_quick_view_enabled_at: '2025-01-02T03:04:05Z' } });
    t.equal(reply.status, 200);
    t.same(reply.json, {
      organization: 2,
      default_role: 'RE',
      annotator_reviewer_firewall_enabled_at: null,
      custom_scripts_enabled_at: null,
      email_notification_settings: { notifications_allowed: { project_published: true } },
      embed_domains: [],
      embed_settings: null,
      external_id: null,
      extra_data_on_activity_logs: false,
      label_stream_navigation_disabled_at: null,
      read_only_quick_view_enabled_at: '2025-01-02T03:04:05Z'
    });
    t.equal(field((await send(sim, 'GET', '/api/organizations/2')).json, 'default_role'), 'RE');
  });

  await t.test('every role code is accepted', async (t) => {
    for (const role of ['OW', 'AD', 'MA', 'RE', 'AN', 'DI', 'NO']) {
      t.equal((await send(sim, 'PATCH', '/api/organizations/1/set-default-role', { json: { default_role: role } })).status, 200, role);
    }
  });

  await t.test('400 on a bad role or datetime', async (t) => {
    assertValidation(t, await send(sim, 'PATCH', '/api/organizations/1/set-default-role', { json: { default_role: 'XX' } }), { default_role: ['"XX" is not a valid choice.'] });
    assertValidation(t, await send(sim, 'PATCH', '/api/organizations/1/set-default-role', { json: { default_role: null } }), { default_role: ['This field may not be null.'] });
    assertValidation(t, await send(sim, 'PATCH', '/api/organizations/1/set-default-role', { json: { custom_scripts_enabled_at: 'yesterday' } }), {
      custom_scripts_enabled_at: ['Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].']
    });
    t.equal(sim.state.organizations.find((o) => o.id === 1)?.default_role, 'AN');
  });
});

t.test('PATCH /api/organizations/<id>/memberships', async (t) => {
  const sim = await startSim(t);
  t.beforeEach(() => sim.reset());

  await t.test('changes the role and answers the membership', async (t) => {
    const reply = await send(sim, 'PATCH', '/api/organizations/1/memberships', { json: { user_id: 13, role: 'AN' } });
    t.equal(reply.status, 200);
    t.same(keysOf(reply.json), ['concurrency', 'contributed_to_projects', 'created_projects', 'id', 'organization', 'role', 'user']);
    t.match(reply.json, { organization: 1, role: 'AN', user: { id: 13, email: 'reviewer@acme.test', first_name: 'Rui', last_name: 'Reviewer', username: 'rui' } });
    t.equal(sim.state.memberships.find((m) => m.organization === 1 && m.user_id === 13)?.role, 'AN');
    t.equal(sim.state.memberships.find((m) => m.organization === 2 && m.user_id === 13)?.role, 'RE', 'other organizations untouched');
  });

  await t.test('deactivating and reactivating a seat', async (t) => {
    t.match((await send(sim, 'PATCH', '/api/organizations/1/memberships', { json: { user_id: 14, role: 'DI' } })).json, { role: 'DI' });
    t.match((await send(sim, 'PATCH', '/api/organizations/1/memberships', { json: { user_id: '14', role: 'AN' } })).json, { role: 'AN' }, 'user_id "14" is an integer to DRF');
  });

  await t.test('unknown user is 404', async (t) => {
    assertEnvelope(t, await send(sim, 'PATCH', '/api/organizations/1/memberships', { json: { user_id: 99, role: 'AN' } }), 404, 'Not found.');
  });

  const invalid: { name: string; body: JsonValue; errors: unknown }[] = [
    { name: 'bad role', body: { user_id: 13, role: 'XX' }, errors: { role: ['"XX" is not a valid choice.'] } },
    { name: 'missing user_id', body: { role: 'AN' }, errors: { user_id: ['This field is required.'] } },
    { name: 'non-integer user_id', body: { user_id: 'abc', role: 'AN' }, errors: { user_id: ['A valid integer is required.'] } },
    { name: 'second owner', body: { user_id: 11, role: 'OW' }, errors: { role: ['There can only be one Owner per organization.'] } },
    { name: 'demoting the owner', body: { user_id: 10, role: 'AD' }, errors: { role: ["The Owner's role cannot be changed; open a support ticket to reassign it."] } }
  ];
  for (const c of invalid) {
    await t.test(`400 on ${c.name}`, async (t) => {
      assertValidation(t, await send(sim, 'PATCH', '/api/organizations/1/memberships', { json: c.body }), c.errors);
    });
  }
});

t.test('POST /api/invite/reset-token', async (t) => {
  const sim = await startSim(t);
  const first = await send(sim, 'POST', '/api/invite/reset-token');
  t.equal(first.status, 201);
  t.same(keysOf(first.json), ['invite_url', 'token']);
  const token = String(field(first.json, 'token'));
  t.match(token, HEX16);
  t.equal(field(first.json, 'invite_url'), `/user/signup/?token=${token}`);
  t.equal(sim.state.organizations.find((o) => o.id === 1)?.token, token, 'stored on organization 1');
  const second = await send(sim, 'POST', '/api/invite/reset-token');
  t.not(field(second.json, 'token'), token, 'a new token each call');
  sim.reset();
  t.equal(sim.state.organizations.find((o) => o.id === 1)?.token, '3f2a9c1e7b5d4a60', 'reset restores the seed');
});

t.test('recording', async (t) => {
  const sim = await startSim(t);
  await send(sim, 'PATCH', '/api/organizations/1?x=1&y=two', { json: { title: 'Recorded' } });
  await send(sim, 'GET', '/nowhere', { auth: null });
  t.equal(sim.requests.length, 2);
  t.match(sim.requests[0], {
    method: 'PATCH',
    url: '/api/organizations/1?x=1&y=two',
    path: '/api/organizations/1',
    query: 'x=1&y=two',
    headers: { authorization: LEGACY_AUTH, 'content-type': 'application/json' },
    body: '{"title":"Recorded"}',
    json: { title: 'Recorded' }
  });
  t.match(sim.requests[1], { method: 'GET', path: '/nowhere', query: '', body: '', json: undefined });
  t.equal(sim.requests[1]?.headers.authorization, undefined);
  sim.clear();
  t.equal(sim.requests.length, 0);
});

t.test('personal access tokens', async (t) => {
  const sim = await startSim(t, { accessTtlSeconds: 60 });

  async function exchange(refresh: JsonValue): Promise<Reply> {
    return send(sim, 'POST', '/api/token/refresh/', { auth: null, json: { refresh } });
  }

  await t.test('a PAT is an HS256 refresh JWT', async (t) => {
    const pat = sim.issuePat();
    t.equal(pat.split('.').length, 3);
    t.same(JSON.parse(Buffer.from(pat.split('.')[0] ?? '', 'base64url').toString('utf8')), { alg: 'HS256', typ: 'JWT' });
    const claims = decodeJwtPayload(pat);
    t.match(claims, { token_type: 'refresh', user_id: 10, jti: /^[0-9a-f]{32}$/ });
    t.ok(Number(claims.exp) > Date.now() / 1000 + 100 * 365 * 86_400, 'lives ~200 years');
  });

  await t.test('refresh exchanges a PAT for a short-lived access token usable as Bearer', async (t) => {
    sim.clear();
    const reply = await exchange(sim.issuePat());
    t.equal(reply.status, 200);
    t.same(keysOf(reply.json), ['access']);
    const access = String(field(reply.json, 'access'));
    const claims = decodeJwtPayload(access);
    t.match(claims, { token_type: 'access', user_id: 10 });
    t.equal(Number(claims.exp) - Number(claims.iat), 60);
    t.equal(sim.refreshCount, 1);
    t.equal((await send(sim, 'GET', '/api/organizations/1', { auth: `Bearer ${access}` })).status, 200);
    t.equal((await send(sim, 'PATCH', '/api/organizations/1', { auth: `Bearer ${access}`, json: { title: 'Via PAT' } })).status, 200);
  });

  await t.test('the slash-less refresh path works too, and Authorization is ignored there', async (t) => {
    const reply = await send(sim, 'POST', '/api/token/refresh', { auth: 'Token garbage', json: { refresh: sim.issuePat() } });
    t.equal(reply.status, 200);
  });

  await t.test('an expired access token is anonymous: 401 "not provided"', async (t) => {
    const access = String(field((await exchange(sim.issuePat())).json, 'access'));
    sim.advanceTime(61);
    const reply = await send(sim, 'GET', '/api/organizations/1', { auth: `Bearer ${access}` });
    assertEnvelope(t, reply, 401, NOT_PROVIDED);
    t.equal(reply.headers['www-authenticate'], 'Token');
    const renewed = String(field((await exchange(sim.issuePat())).json, 'access'));
    t.equal((await send(sim, 'GET', '/api/organizations/1', { auth: `Bearer ${renewed}` })).status, 200, 'a new access token works');
  });

  await t.test('the PAT itself is not accepted as Bearer', async (t) => {
    assertEnvelope(t, await send(sim, 'GET', '/api/organizations/1', { auth: `Bearer ${sim.issuePat()}` }), 401, NOT_PROVIDED);
  });

  await t.test('a tampered access token is rejected', async (t) => {
    const access = sim.issueAccessToken();
    const [header, , signature] = access.split('.');
    const forged = `${header}.${Buffer.from(JSON.stringify({ ...decodeJwtPayload(access), user_id: 11 })).toString('base64url')}.${signature}`;
    assertEnvelope(t, await send(sim, 'GET', '/api/organizations/1', { auth: `Bearer ${forged}` }), 401, NOT_PROVIDED);
  });

  await t.test('revoked PAT: refresh is 401, access tokens already issued live until exp', async (t) => {
    const pat = sim.issuePat();
    const access = String(field((await exchange(pat)).json, 'access'));
    t.ok(sim.revokePat(pat));
    const reply = await exchange(pat);
    assertEnvelope(t, reply, 401, 'Token is blacklisted');
    t.equal(reply.headers['www-authenticate'], 'Bearer realm="api"');
    t.equal((await send(sim, 'GET', '/api/organizations/1', { auth: `Bearer ${access}` })).status, 200);
    t.notOk(sim.revokePat('not-a-jwt'));
  });

  const rejected: { name: string; refresh: () => JsonValue; detail: string }[] = [
    { name: 'expired PAT', refresh: () => sim.issuePat({ expiresInSeconds: -10 }), detail: 'Token is invalid or expired' },
    { name: 'garbage', refresh: () => 'not.a.jwt', detail: 'Token is invalid or expired' },
    { name: 'legacy key', refresh: () => DEFAULT_LEGACY_TOKEN, detail: 'Token is invalid or expired' },
    { name: 'access token', refresh: () => sim.issueAccessToken(), detail: 'Token has wrong type' },
    { name: 'PAT of an unknown user', refresh: () => sim.issuePat({ userId: 999 }), detail: 'No active account found for the given token.' }
  ];
  for (const c of rejected) {
    await t.test(`refresh with ${c.name} is 401`, async (t) => {
      const reply = await exchange(c.refresh());
      assertEnvelope(t, reply, 401, c.detail);
      t.equal(reply.headers['www-authenticate'], 'Bearer realm="api"');
    });
  }

  await t.test('a PAT from another simulator (other key) is invalid', async (t) => {
    const other = await startSim(t);
    assertEnvelope(t, await exchange(other.issuePat()), 401, 'Token is invalid or expired');
  });

  await t.test('refresh body validation', async (t) => {
    assertValidation(t, await send(sim, 'POST', '/api/token/refresh/', { auth: null, json: {} }), { refresh: ['This field is required.'] });
    assertValidation(t, await exchange(''), { refresh: ['This field may not be blank.'] });
  });

  await t.test('refreshCount counts calls that reached the view, and clear() resets it', async (t) => {
    sim.clear();
    await exchange('bad');
    await exchange(sim.issuePat());
    t.equal(sim.refreshCount, 2);
    sim.clear();
    t.equal(sim.refreshCount, 0);
  });
});

t.test('faults', async (t) => {
  const sim = await startSim(t);
  t.afterEach(() => sim.clearFaults());

  await t.test('status with Retry-After, applied `times` then gone', async (t) => {
    sim.clear();
    const handle = sim.fault({ method: 'GET', path: '/api/organizations/', kind: 'status', status: 503, retryAfter: '1', times: 2 });
    for (let i = 0; i < 2; i++) {
      const reply = await send(sim, 'GET', '/api/organizations/');
      t.equal(reply.status, 503);
      t.equal(reply.headers['retry-after'], '1');
      t.match(String(reply.headers['content-type']), /^text\/html/);
    }
    t.equal((await send(sim, 'GET', '/api/organizations/')).status, 200);
    t.equal(handle.hits, 2);
    t.equal(sim.requests.length, 3, 'faulted requests are recorded');
  });

  await t.test('429 defaults to the DRF throttled envelope', async (t) => {
    sim.fault({ path: '/api/organizations/1/memberships', kind: 'status', status: 429, retryAfter: '2' });
    const reply = await send(sim, 'PATCH', '/api/organizations/1/memberships', { json: { user_id: 13, role: 'AN' } });
    assertEnvelope(t, reply, 429, 'Request was throttled. Expected available in 2 seconds.');
    t.equal(reply.headers['retry-after'], '2');
    t.equal(sim.state.memberships.find((m) => m.organization === 1 && m.user_id === 13)?.role, 'RE', 'not applied');
  });

  await t.test('status with a custom body', async (t) => {
    sim.fault({ path: '/api/organizations/1', kind: 'status', status: 500, body: { boom: true } });
    const reply = await send(sim, 'GET', '/api/organizations/1');
    t.equal(reply.status, 500);
    t.same(reply.json, { boom: true });
  });

  await t.test('method and path matching', async (t) => {
    sim.fault({ method: 'patch', pathPrefix: '/api/organizations/', kind: 'status', status: 502 });
    t.equal((await send(sim, 'GET', '/api/organizations/1')).status, 200, 'other method passes');
    t.equal((await send(sim, 'PATCH', '/api/organizations/2', { json: {} })).status, 502, 'prefix matches');
    t.equal((await send(sim, 'POST', '/api/invite/reset-token')).status, 201, 'other path passes');
  });

  await t.test('hang never answers (and is recorded)', async (t) => {
    sim.clear();
    sim.fault({ path: '/api/organizations/', kind: 'hang', times: 1 });
    await t.rejects(send(sim, 'GET', '/api/organizations/', { headersTimeout: 100 }), { code: 'UND_ERR_HEADERS_TIMEOUT' });
    t.equal(sim.requests.length, 1);
    t.equal((await send(sim, 'GET', '/api/organizations/')).status, 200, 'next request answered');
  });

  await t.test('close destroys the socket without a response', async (t) => {
    sim.fault({ path: '/api/organizations/', kind: 'close', times: 1 });
    await t.rejects(send(sim, 'GET', '/api/organizations/'), { code: 'UND_ERR_SOCKET' });
  });

  await t.test('delay answers normally after ms', async (t) => {
    sim.fault({ path: '/api/organizations/1', kind: 'delay', ms: 150 });
    const started = performance.now();
    const reply = await send(sim, 'PATCH', '/api/organizations/1', { json: { title: 'Late' } });
    t.ok(performance.now() - started >= 140, 'waited');
    t.equal(reply.status, 200);
    t.equal(sim.state.organizations.find((o) => o.id === 1)?.title, 'Late');
  });

  await t.test('flap fails every n-th matched request', async (t) => {
    sim.fault({ path: '/api/organizations/', kind: 'flap', every: 2 });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await send(sim, 'GET', '/api/organizations/')).status);
    t.same(statuses, [200, 503, 200, 503]);
  });

  await t.test('non-json answers 200 text/html', async (t) => {
    sim.fault({ path: '/api/organizations/1', kind: 'non-json' });
    const reply = await send(sim, 'GET', '/api/organizations/1');
    t.equal(reply.status, 200);
    t.match(String(reply.headers['content-type']), /^text\/html/);
    t.equal(reply.json, undefined);
  });

  await t.test('slow-body sends headers at once and the body later', async (t) => {
    sim.fault({ path: '/api/organizations/', kind: 'slow-body', ms: 200 });
    const started = performance.now();
    const response = await request(`${sim.url}/api/organizations/`, { headers: { authorization: LEGACY_AUTH }, dispatcher: agent });
    const headersAt = performance.now() - started;
    const text = await response.body.text();
    const bodyAt = performance.now() - started;
    // The gap, not absolute times: a loaded machine may delay both, but the body still trails the headers.
    t.ok(bodyAt - headersAt >= 100, `headers after ${Math.round(headersAt)} ms, body after ${Math.round(bodyAt)} ms`);
    t.ok(bodyAt >= 190, `body after ${Math.round(bodyAt)} ms`);
    t.equal(response.statusCode, 200);
    t.equal((JSON.parse(text) as unknown[]).length, 3);
  });

  await t.test('invalid rules throw', async (t) => {
    t.throws(() => sim.fault({ kind: 'flap', every: 0 }), RangeError);
    t.throws(() => sim.fault({ kind: 'delay', ms: -1 }), RangeError);
    t.throws(() => sim.fault({ kind: 'status', status: 42 }), RangeError);
    t.throws(() => sim.fault({ kind: 'hang', times: 0 }), RangeError);
  });

  await t.test('handle.remove() retires a rule', async (t) => {
    const handle = sim.fault({ kind: 'status', status: 500 });
    t.equal((await send(sim, 'GET', '/api/organizations/')).status, 500);
    handle.remove();
    t.equal((await send(sim, 'GET', '/api/organizations/')).status, 200);
  });
});

t.test('close() ends hung requests and is idempotent', async (t) => {
  const sim = await startLabelStudio();
  sim.fault({ kind: 'hang' });
  const pending = send(sim, 'GET', '/api/organizations/', { headersTimeout: 10_000 });
  await new Promise((resolve) => setTimeout(resolve, 50));
  const started = performance.now();
  await Promise.all([sim.close(), sim.close()]);
  t.ok(performance.now() - started < 5_000, 'closed promptly (the hung request would wait 10 s)');
  await t.rejects(pending);
});

t.test('main.ts runs the simulator as a process', async (t) => {
  const child = track(
    spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/label-studio/main.ts', '--port', '0', '--list-size', '5'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    }),
  );
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const lines = createInterface({ input: child.stdout });
  const [line] = (await once(lines, 'line')) as [string];
  const info = JSON.parse(line) as { url: string; legacyToken: string; pat: string };
  t.match(info.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  t.equal(info.legacyToken, DEFAULT_LEGACY_TOKEN);
  const response = await request(`${info.url}/api/organizations/`, { headers: { authorization: `Token ${info.legacyToken}` }, dispatcher: agent });
  t.equal(((await response.body.json()) as unknown[]).length, 5);
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const [code] = (await exited) as [number | null];
  t.equal(code, 0, 'exits 0 on SIGTERM');
});
