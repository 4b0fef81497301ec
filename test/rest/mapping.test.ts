/**
 * Non-identity output mappings (arrays, scalars, properties, items) on a second capability.
 */
import t from 'tap';
import { request } from 'undici';
import { startLabelStudio } from '../fixtures/label-studio/simulator.js';
import { startGatewayProcess } from '../helpers/gateway-process.js';

t.test('JSONPath projections over the simulator', async (t) => {
  const sim = await startLabelStudio();
  t.teardown(() => sim.close());
  const gw = await startGatewayProcess({
    capability: 'test/fixtures/capabilities/mapped.yaml',
    env: { LABEL_STUDIO_API_KEY: sim.legacyToken, LS_BASE_URI: sim.url },
  });
  t.teardown(() => gw.stop());
  const auth = { authorization: `Token ${sim.legacyToken}` };
  const list = (await (await request(`${sim.url}/api/organizations/`, { headers: auth })).body.json()) as { id: number; title: string }[];
  const org1 = (await (await request(`${sim.url}/api/organizations/1`, { headers: auth })).body.json()) as {
    title: string;
    default_role: string;
    billing: { plan?: string };
  };

  const get = async (path: string): Promise<{ status: number; json: unknown }> => {
    const res = await request(gw.url + path);
    return { status: res.statusCode, json: await res.body.json() };
  };

  const ids = await get('/v1/orgs/ids?order=-id');
  t.equal(ids.status, 200);
  t.same(ids.json, list.map((o) => o.id).sort((a, b) => b - a), 'array mapping $[*].id, with rest.order bound to ordering');
  t.equal(sim.requests.at(-1)?.url, '/api/organizations/?ordering=-id', 'with: ordering: rest.order renames the query parameter');

  const title = await get('/v1/orgs/1/title');
  t.equal(title.status, 200);
  t.equal(title.json, org1.title, 'scalar mapping $.title');

  const summary = await get('/v1/orgs/1/summary');
  t.same(summary.json, { name: org1.title, defaultRole: org1.default_role, missing: null, billing: { plan: org1.billing.plan ?? null } }, 'named properties, nested object, missing field → null');

  const titles = await get('/v1/orgs/titles');
  t.same(titles.json, list.map((o) => ({ key: o.id, label: o.title })), 'array items with per-item properties');

  const notFound = await get('/v1/orgs/999/title');
  t.equal(notFound.status, 404, 'upstream 404 passes through on mapped routes too');
  t.match(notFound.json, { detail: 'Not found.' });
});
