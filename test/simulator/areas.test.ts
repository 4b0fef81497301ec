/**
 * The simulator's projects, tasks and users areas, called directly: DRF
 * pagination with absolute links, 404 "Invalid page.", 201/204, validation
 * envelopes, and the read-only key refused on writes.
 */
import t from 'tap';
import { request } from 'undici';
import { DEFAULT_LEGACY_TOKEN, startLabelStudio, type LabelStudioSimulator } from '../fixtures/label-studio/simulator.js';

let sim: LabelStudioSimulator;
t.before(async () => {
  sim = await startLabelStudio({ readOnlyTokens: ['read-only-key'] });
});
t.teardown(() => sim.close());

async function send(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, json?: unknown, token = DEFAULT_LEGACY_TOKEN): Promise<{ status: number; json: unknown; text: string }> {
  const res = await request(`${sim.url}${path}`, {
    method,
    headers: { authorization: `Token ${token}`, ...(json === undefined ? {} : { 'content-type': 'application/json' }) },
    body: json === undefined ? undefined : JSON.stringify(json),
  });
  const text = await res.body.text();
  return { status: res.statusCode, text, json: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

t.test('projects: page-number pagination with absolute links', async (t) => {
  const first = await send('GET', '/api/projects/?page_size=1');
  t.equal(first.status, 200);
  t.match(first.json, { count: 2, next: `${sim.url}/api/projects/?page_size=1&page=2`, previous: null, results: [{ id: 1, title: 'Invoices', task_number: 3 }] });
  const second = await send('GET', '/api/projects/?page_size=1&page=2');
  t.match(second.json, { count: 2, next: null, previous: `${sim.url}/api/projects/?page_size=1`, results: [{ id: 2 }] });
  const beyond = await send('GET', '/api/projects/?page=3&page_size=1');
  t.equal(beyond.status, 404);
  t.match(beyond.json, { status_code: 404, detail: 'Invalid page.' });
  t.match((await send('GET', '/api/projects/?title=REV')).json, { count: 1, results: [{ title: 'Reviews' }] }, 'title filter, case-insensitive');
});

t.test('projects: create, validate, update, delete', async (t) => {
  const short = await send('POST', '/api/projects/', { title: 'ab' });
  t.equal(short.status, 400);
  t.match(short.json, { detail: 'Validation error', validation_errors: { title: ['Ensure this field has at least 3 characters.'] } });
  const created = await send('POST', '/api/projects/', { title: 'Receipts' });
  t.equal(created.status, 201);
  t.match(created.json, { id: 3, title: 'Receipts', label_config: '<View></View>', created_by: { id: 10 } });
  t.equal((await send('PATCH', '/api/projects/3/', { is_published: 'true' })).status, 200);
  t.equal(sim.state.projects.find((p) => p.id === 3)?.is_published, true, 'DRF booleans accept "true"');
  const deleted = await send('DELETE', '/api/projects/3/');
  t.equal(deleted.status, 204);
  t.equal(deleted.text, '', 'no body');
  t.equal((await send('GET', '/api/projects/3/')).status, 404);
  t.equal((await send('POST', '/api/projects/', { title: 'Nope' }, 'read-only-key')).status, 403, 'a read-only key cannot write');
});

t.test('tasks: the Data Manager list and required fields', async (t) => {
  t.match((await send('GET', '/api/tasks/?project=1')).json, { total: 3, total_annotations: 0, total_predictions: 0, tasks: [{ id: 1 }, { id: 2 }, { id: 3 }] });
  const missing = await send('POST', '/api/tasks/', {});
  t.match(missing.json, { validation_errors: { data: ['This field is required.'], project: ['This field is required.'] } });
  const unknown = await send('POST', '/api/tasks/', { data: { text: 'x' }, project: 99 });
  t.match(unknown.json, { validation_errors: { project: ['Invalid pk "99" - object does not exist.'] } });
  const created = await send('POST', '/api/tasks/', { data: { text: 'x' }, project: 2 });
  t.equal(created.status, 201);
  t.match(created.json, { project: 2, data: { text: 'x' }, inner_id: 2 });
});

t.test('users: a plain array, own profile only, whoami', async (t) => {
  const list = await send('GET', '/api/users/');
  t.ok(Array.isArray(list.json) && (list.json as unknown[]).length === 6, 'six members of organization 1');
  t.equal((await send('PATCH', '/api/users/11/', { first_name: 'X' })).status, 403, "another user's profile");
  t.match((await send('PATCH', '/api/users/10/', { first_name: 'Liv' })).json, { id: 10, first_name: 'Liv' });
  t.match((await send('GET', '/api/current-user/whoami/')).json, { id: 10, email: 'owner@acme.test' });
});
