/**
 * A rejected upstream credential: Label Studio's 401 still passes through to
 * every client, and the operator hears about it once per interval in the log,
 * in a counter, and in /readyz detail, which stays ready.
 */
import t from 'tap';
import { request } from 'undici';
import { resolveConfig } from '../../src/settings/index.js';
import { startGateway } from '../../src/gateway.js';
import { startLabelStudio } from '../fixtures/label-studio/simulator.js';
import { sample, scrape } from '../reliability/helpers.js';

const WRONG_KEY = 'not-the-right-key-0123456789';

t.test('401 from the upstream: passed through, warned once, counted, shown in /readyz', async (t) => {
  const sim = await startLabelStudio();
  t.teardown(() => sim.close());
  const logs: string[] = [];
  const env: Record<string, string> = { LABEL_STUDIO_API_KEY: WRONG_KEY };
  const config = resolveConfig({ capability: 'capability.yaml', restPort: '0', mcpPort: '0', baseUri: [sim.url], logLevel: 'info' }, { GATEWAY_LEDGER: 'off' });
  const gw = await startGateway(config, { env, logDestination: { write: (line: string) => void logs.push(line) } });
  t.teardown(() => gw.close());

  for (let i = 0; i < 3; i++) {
    const res = await request(`${gw.restUrl}/v1/api/organizations/1`);
    t.equal(res.statusCode, 401, `call ${i + 1}: the upstream's 401 passes through`);
    t.match(await res.body.json(), { detail: String }, "with Label Studio's own body");
  }
  const warnings = logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => String(l['msg']).includes("rejected the gateway's credential"));
  t.equal(warnings.length, 1, 'one warning for three rejections within the interval');
  t.match(warnings[0], { level: 40, upstream: 'label-studio-subpackage-organizations', upstreamStatus: 401, credentialFrom: ['LABEL_STUDIO_API_KEY'] });
  t.match(String(warnings[0]?.['msg']), /Check LABEL_STUDIO_API_KEY/);
  t.notOk(logs.join('\n').includes(WRONG_KEY), 'the key itself is never logged');

  const metrics = await scrape(gw.restUrl as string);
  t.equal(sample(metrics, 'naftiko_gateway_upstream_credential_rejected_total', { upstream: 'label-studio-subpackage-organizations', status: '401' })?.value, '3', 'counted');

  const ready = await request(`${gw.restUrl}/readyz`);
  t.equal(ready.statusCode, 200, 'readiness does not flap on a 401');
  t.match(await ready.body.json(), {
    status: 'ready',
    credentials: [{ namespace: 'label-studio-subpackage-organizations', credential: 'rejected', rejections: 3, lastRejectedStatus: 401, lastRejectedOperation: String }],
  });

  // The key is fixed (a rotated Secret) and reloaded: the next good answer clears the state.
  env['LABEL_STUDIO_API_KEY'] = sim.legacyToken;
  t.match(await gw.reload(), { ok: true });
  const ok = await request(`${gw.restUrl}/v1/api/organizations/1`);
  t.equal(ok.statusCode, 200);
  await ok.body.dump();
  const after = await request(`${gw.restUrl}/readyz`);
  t.match(await after.body.json(), { status: 'ready', credentials: [{ credential: 'ok', rejections: 3 }] });
});
