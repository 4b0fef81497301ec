/**
 * Every capability in examples/ served against the example upstream, over real sockets.
 */
import t from 'tap';
import { EXAMPLE_SECRETS, startExampleUpstream, type ExampleUpstream } from '../fixtures/examples/upstream.js';
import { sendJson, type Reply } from '../helpers/http.js';
import { startInProcess } from '../helpers/in-process.js';

/** call is one exchange through the shared test helper, with the content type as a plain string. */
async function call(url: string, init: { method?: 'GET' | 'POST'; body?: unknown } = {}): Promise<Reply & { type: string }> {
  const reply = await sendJson(url, init.method ?? 'GET', '', init.body);
  return { ...reply, type: String(reply.headers['content-type']) };
}

let upstream: ExampleUpstream;
t.before(async () => {
  upstream = await startExampleUpstream();
});
t.teardown(() => upstream.close());

t.test('query-placed API key with a reshaped output (weather-query-key.yaml)', async (t) => {
  const gw = await startInProcess('examples/weather-query-key.yaml', { WEATHER_API_KEY: EXAMPLE_SECRETS.weatherKey }, upstream.url);
  t.teardown(() => gw.gateway.close());
  const res = await call(`${gw.url}/v1/weather/Oslo`);
  t.equal(res.status, 200);
  t.same(res.json, { city: 'Oslo', temperatureC: 21.5, conditions: 'light rain', wind: { speed: 3.6, direction: 220 } });
  const sent = new URL(upstream.requests.at(-1)?.url ?? '/', 'http://x');
  t.equal(sent.pathname, '/data/2.5/weather');
  t.same(Object.fromEntries(sent.searchParams), { q: 'Oslo', units: 'metric', appid: EXAMPLE_SECRETS.weatherKey }, 'the key goes in the query, the constant units too');
  t.notOk(gw.logs.join('\n').includes(EXAMPLE_SECRETS.weatherKey), 'the key is never logged');
  const bad = await startInProcess('examples/weather-query-key.yaml', { WEATHER_API_KEY: 'wrong' }, upstream.url);
  t.teardown(() => bad.gateway.close());
  const rejected = await call(`${bad.url}/v1/weather/Oslo`);
  t.equal(rejected.status, 401, 'an upstream 401 of a static key passes through');
  t.same(rejected.json, { cod: 401, message: 'Invalid API key.' });
});

t.test('no authentication, text passed through and CSV mapped (plain-text-no-auth.yaml)', async (t) => {
  const gw = await startInProcess('examples/plain-text-no-auth.yaml', {}, upstream.url);
  t.teardown(() => gw.gateway.close());
  const text = await call(`${gw.url}/v1/fortune`);
  t.equal(text.status, 200);
  t.equal(text.text, 'You will ship on time.\n');
  t.match(text.type, /^text\/plain/);
  t.equal(upstream.requests.at(-1)?.headers.authorization, undefined, 'no credential is sent');
  const csv = await call(`${gw.url}/v1/stations/readings`);
  t.equal(csv.status, 200);
  t.same(csv.json, [
    { station: 'OSL', tempC: '3.5' },
    { station: 'BGO', tempC: '6.0' },
  ]);
});

t.test('two path parameters, kebab-case template, "/" encoded and ".." refused (repo-two-path-params.yaml)', async (t) => {
  const gw = await startInProcess('examples/repo-two-path-params.yaml', { CODEHOST_TOKEN: EXAMPLE_SECRETS.codehostToken }, upstream.url);
  t.teardown(() => gw.gateway.close());
  const cases = [
    { path: '/v1/repos/acme/widgets', status: 200, upstream: '/repos/acme/widgets', json: { fullName: 'acme/widgets', openIssues: 7 } },
    { path: '/v1/repos/acme/a%2Fb', status: 200, upstream: '/repos/acme/a%2Fb', json: { fullName: 'acme/a/b', openIssues: 7 } },
    // Dot segments are refused before anything is sent (by the router, or by the URL builder).
    { path: '/v1/repos/acme/%2E%2E', status: [400, 404], upstream: undefined, json: { code: /^NGW_ERR_(VALIDATION|NOT_FOUND)$/ } },
    { path: '/v1/repos/%2E/widgets', status: [400, 404], upstream: undefined, json: { code: /^NGW_ERR_(VALIDATION|NOT_FOUND)$/ } },
    { path: '/v1/repos/acme/..', status: [400, 404], upstream: undefined, json: { code: /^NGW_ERR_(VALIDATION|NOT_FOUND)$/ } },
  ];
  for (const c of cases) {
    const before = upstream.requests.length;
    const res = await call(gw.url + c.path);
    if (typeof c.status === 'number') t.equal(res.status, c.status, c.path);
    else t.ok(c.status.includes(res.status), `${c.path}: refused with ${res.status}`);
    t.match(res.json, c.json, c.path);
    if (c.upstream === undefined) t.equal(upstream.requests.length, before, `${c.path}: nothing sent upstream`);
    else t.equal(upstream.requests.at(-1)?.url, c.upstream, `${c.path}: upstream target`);
  }
});

t.test('official dialect: binds, {{param}} paths, typed trees, body template, XML, two REST adapters (official-dialect.yaml)', async (t) => {
  const env = { REGISTRY_TOKEN: EXAMPLE_SECRETS.registryToken, PORT_USER: EXAMPLE_SECRETS.portUser, PORT_PASSWORD: EXAMPLE_SECRETS.portPassword };
  const gw = await startInProcess('examples/official-dialect.yaml', env, [`registry=${upstream.url}/api`, `port-authority=${upstream.url}`]);
  t.teardown(() => gw.gateway.close());
  t.equal(gw.gateway.restServers.length, 2, 'each rest adapter is served');
  const [api, port] = gw.gateway.restServers;

  const ship = await call(`${api?.url}/ships/9321483`);
  t.equal(ship.status, 200);
  t.same(ship.json, { imo: '9321483', name: 'Nordic Star', specs: { tonnage: 52000, length: 229 } });
  t.equal(upstream.requests.at(-1)?.headers['registry-version'], '2024-01', 'fixed consumes-level header value');

  const voyage = await call(`${api?.url}/voyages`, { method: 'POST', body: { shipImo: '9321483', from: 'Bergen', to: 'Oslo', crewIds: [4, 7] } });
  t.equal(voyage.status, 201);
  t.same(voyage.json, { voyageId: 'V-1', status: 'planned' });
  t.same(JSON.parse(upstream.requests.at(-1)?.body ?? 'null'), { ship: '9321483', route: 'Bergen to Oslo', crew: [4, 7] }, 'body template filled');

  const before = upstream.requests.length;
  const invalid = await call(`${api?.url}/voyages`, { method: 'POST', body: { shipImo: '9321483', from: 'Bergen', to: 'Oslo', crewIds: 'all' } });
  t.equal(invalid.status, 400, 'exposed inputParameters types are enforced');
  t.equal(upstream.requests.length, before, 'nothing sent upstream');

  const manifest = { manifest: { ship: { imo: '9321483' }, route: ['Bergen', 'Stavanger', 'Oslo'], crew: [4, 7] } };
  const fromManifest = await call(`${api?.url}/voyages/from-manifest`, { method: 'POST', body: manifest });
  t.equal(fromManifest.status, 201);
  t.same(JSON.parse(upstream.requests.at(-1)?.body ?? 'null'), { ship: '9321483', route: 'Bergen to Oslo', crew: [4, 7] }, 'exposed inputs selected from the body by JSONPath value');

  const berths = await call(`${port?.url}/berths`);
  t.equal(berths.status, 200);
  t.match(upstream.requests.at(-1)?.headers.accept, /^application\/xml/, 'asks for the declared format');
  t.same(berths.json, [
    { code: 'A1', free: true },
    { code: 'B2', free: false },
  ]);
  const missing = await call(`${port?.url}/ships/1`);
  t.equal(missing.status, 404, 'each adapter serves only its own routes');
});
