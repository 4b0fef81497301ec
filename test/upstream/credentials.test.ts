/**
 * Label Studio personal access tokens through the shipped capability's `refresh:` block:
 * exchange, caching until shortly before exp, single-flight refresh, 401 retry,
 * revocation, and the legacy / explicit-scheme fallbacks.
 */
import t from 'tap';
import { request } from 'undici';
import { loadCapability } from '../../src/capability/index.js';
import { createLogger } from '../../src/ops/logger.js';
import { createCredentialProvider } from '../../src/upstream/credentials.js';
import { UpstreamPools } from '../../src/upstream/pools.js';
import { startLabelStudio, type LabelStudioSimulator } from '../fixtures/label-studio/simulator.js';
import { startInProcess } from '../helpers/in-process.js';

const CAPABILITY = 'capability.yaml';
const ORG = '/v1/api/organizations/1';

async function get(url: string): Promise<{ status: number; json: Record<string, unknown>; text: string }> {
  const res = await request(url);
  const text = await res.body.text();
  return { status: res.statusCode, json: JSON.parse(text) as Record<string, unknown>, text };
}

function orgAuthHeaders(sim: LabelStudioSimulator): string[] {
  return sim.requests.filter((r) => r.path === '/api/organizations/1').map((r) => String(r.headers.authorization));
}

t.test('a PAT is exchanged once, cached, and sent as Bearer <access>', async (t) => {
  const sim = await startLabelStudio();
  t.teardown(() => sim.close());
  const pat = sim.issuePat();
  const gw = await startInProcess(CAPABILITY, { LABEL_STUDIO_API_KEY: pat }, sim.url);
  t.teardown(() => gw.gateway.close());

  const first = await get(gw.url + ORG);
  t.equal(first.status, 200);
  t.equal(first.json['id'], 1);
  const second = await get(gw.url + ORG);
  t.equal(second.status, 200);
  t.equal(sim.refreshCount, 1, 'one exchange for two requests');
  const refresh = sim.requests.find((r) => r.path === '/api/token/refresh/');
  t.same(refresh?.json, { refresh: pat }, 'POST {"refresh": PAT}');
  const auths = orgAuthHeaders(sim);
  t.equal(auths.length, 2);
  t.match(auths[0], /^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
  t.equal(auths[0], auths[1], 'the cached access token is reused');
  t.notOk(auths[0]?.includes(pat), 'the PAT itself never goes to the API');

  // Expired before the gateway expected (clock skew): the upstream 401 triggers one refresh and one retry.
  sim.advanceTime(301);
  const afterExpiry = await get(gw.url + ORG);
  t.equal(afterExpiry.status, 200, 'expiry is invisible to the client');
  t.equal(sim.refreshCount, 2, 'expiry triggers exactly one refresh');
  const retried = orgAuthHeaders(sim);
  t.equal(retried.length, 4, 'the refused request and its one retry');
  t.not(retried[3], retried[2], 'the retry carries the new access token');

  const joined = gw.logs.join('\n');
  t.notOk(joined.includes(pat), 'the PAT never appears in logs');
  t.notOk(joined.includes((retried[3] ?? 'x').slice('Bearer '.length)), 'access tokens never appear in logs');
});

t.test('20 concurrent requests share one refresh (cold start and after expiry)', async (t) => {
  const sim = await startLabelStudio();
  t.teardown(() => sim.close());
  const gw = await startInProcess(CAPABILITY, { LABEL_STUDIO_API_KEY: sim.issuePat() }, sim.url);
  t.teardown(() => gw.gateway.close());

  const cold = await Promise.all(Array.from({ length: 20 }, () => get(gw.url + ORG)));
  t.same(cold.map((r) => r.status), Array(20).fill(200));
  t.equal(sim.refreshCount, 1, 'exactly one refresh for 20 concurrent cold requests');

  sim.advanceTime(301);
  const expired = await Promise.all(Array.from({ length: 20 }, () => get(gw.url + ORG)));
  t.same(expired.map((r) => r.status), Array(20).fill(200));
  t.equal(sim.refreshCount, 2, 'exactly one more refresh for 20 concurrent 401s');
});

t.test('a revoked PAT: issued access tokens live until exp, then 502 NGW_ERR_UPSTREAM_CREDENTIAL_REJECTED', async (t) => {
  const sim = await startLabelStudio();
  t.teardown(() => sim.close());
  const pat = sim.issuePat();
  const gw = await startInProcess(CAPABILITY, { LABEL_STUDIO_API_KEY: pat }, sim.url);
  t.teardown(() => gw.gateway.close());

  t.equal((await get(gw.url + ORG)).status, 200);
  t.ok(sim.revokePat(pat));
  t.equal((await get(gw.url + ORG)).status, 200, 'the access token already issued still works (simplejwt)');
  sim.advanceTime(301);
  const rejected = await get(gw.url + ORG);
  t.equal(rejected.status, 502);
  t.match(rejected.json, { code: 'NGW_ERR_UPSTREAM_CREDENTIAL_REJECTED', status: 502, detail: /refresh token \(401\)/ });
  t.notOk(rejected.text.includes(pat), 'the problem never echoes the PAT');
  t.equal(sim.refreshCount, 2, 'one failed refresh, no loop');
  const again = await get(gw.url + ORG);
  t.equal(again.status, 502, 'still rejected');
  t.equal(sim.refreshCount, 2, 'a refused refresh token is not retried at once');

  const coldGw = await startInProcess(CAPABILITY, { LABEL_STUDIO_API_KEY: pat }, sim.url);
  t.teardown(() => coldGw.gateway.close());
  const cold = await get(coldGw.url + ORG);
  t.equal(cold.status, 502, 'a gateway started with a revoked PAT answers 502 too');
  t.equal(cold.json['code'], 'NGW_ERR_UPSTREAM_CREDENTIAL_REJECTED');
  t.notOk(coldGw.logs.join('\n').includes(pat), 'not logged either');
});

t.test('legacy keys and values with an explicit scheme are not exchanged', async (t) => {
  const sim = await startLabelStudio();
  t.teardown(() => sim.close());
  const access = sim.issueAccessToken({ ttlSeconds: 3600 });
  const cases = [
    { name: 'legacy key goes as Token <key>', value: sim.legacyToken, sent: `Token ${sim.legacyToken}` },
    { name: 'Token <key> goes as is', value: `Token ${sim.legacyToken}`, sent: `Token ${sim.legacyToken}` },
    { name: 'Bearer <access> goes as is', value: `Bearer ${access}`, sent: `Bearer ${access}` },
  ];
  for (const c of cases) {
    sim.clear();
    const gw = await startInProcess(CAPABILITY, { LABEL_STUDIO_API_KEY: c.value }, sim.url);
    const res = await get(gw.url + ORG);
    await gw.gateway.close();
    t.equal(res.status, 200, c.name);
    t.same(orgAuthHeaders(sim), [c.sent], c.name);
    t.equal(sim.refreshCount, 0, `${c.name}: no exchange`);
  }
});

t.test('the provider is synchronous while cached and refreshes shortly before exp', async (t) => {
  const sim = await startLabelStudio({ accessTtlSeconds: 300 });
  t.teardown(() => sim.close());
  const { capability } = loadCapability(CAPABILITY, { env: { LABEL_STUDIO_API_KEY: sim.issuePat() }, baseUris: { '*': sim.url } });
  const upstream = capability.upstreams[0];
  if (upstream === undefined) throw new Error('no upstream');
  const pools = new UpstreamPools();
  t.teardown(() => pools.close());
  let now = Date.now();
  const provider = createCredentialProvider(upstream, { pool: pools.poolFor(upstream), timeoutMs: 5000, userAgent: 'test', nowMs: () => now });
  t.ok(provider.refreshable);
  const first = provider.headerValue();
  t.type(first, Promise, 'the first call exchanges');
  const value = await first;
  t.equal(provider.headerValue(), value, 'cached: a plain string, no promise');
  now += 250_000;
  t.equal(provider.headerValue(), value, 'still cached 250 s into a 300 s token');
  now += 30_000;
  sim.advanceTime(280);
  const refreshed = provider.headerValue();
  t.type(refreshed, Promise, 'refreshed within the last 30 s before exp');
  t.not(await refreshed, value);
  t.equal(sim.refreshCount, 2);
});

t.test('exchange bodies are redacted if they are ever logged', async (t) => {
  const lines: string[] = [];
  const logger = createLogger('info', { write: (line: string) => void lines.push(line) });
  logger.info({ refresh: 'pat-secret', body: { refresh: 'pat-secret-2', access: 'acc-secret' }, credential: { credential: 'cred-secret' } }, 'exchange');
  const out = lines.join('');
  for (const secret of ['pat-secret', 'acc-secret', 'cred-secret']) t.notOk(out.includes(secret), `${secret} redacted`);
  t.match(out, /\[Redacted\]/);
});
