/**
 * Outbound pacing (per-operation minimum spacing queues a burst of role
 * changes) and the audit line every mutating call writes.
 */
import t from 'tap';
import { request } from 'undici';
import { startRig } from './helpers.js';

function patchMembership(url: string, userId: number, role: string) {
  return request(`${url}/v1/api/organizations/1/memberships`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json', 'x-request-id': `burst-${userId}` },
    body: JSON.stringify({ user_id: userId, role }),
  });
}

t.test('a burst of member role changes is queued 100 ms apart, none rejected', async (t) => {
  const { sim, gw } = await startRig(t);
  // Warm the connection pool and code paths, so arrival times reflect the gateway's pacing, not first-use costs.
  const warm = await patchMembership(gw.url, 11, 'AN');
  await warm.body.dump();
  await new Promise((resolve) => setTimeout(resolve, 150));
  sim.clear();
  const users = [11, 12, 13, 14, 15];
  const started = Date.now();
  const responses = await Promise.all(users.map((u) => patchMembership(gw.url, u, 'AN')));
  const elapsed = Date.now() - started;
  for (const res of responses) {
    t.equal(res.statusCode, 200);
    await res.body.dump();
  }
  t.equal(sim.requests.length, users.length);
  const arrivals = sim.requests.map((r) => r.receivedAt).sort((a, b) => a - b);
  // Sends are 100 ms apart; arrivals add each request's transit time, which a busy 2-core CI machine makes jittery,
  // so the span of the burst is the robust measure (unpaced, five requests arrive within a few ms).
  const span = (arrivals[arrivals.length - 1] as number) - (arrivals[0] as number);
  t.ok(span >= 340, `the five requests arrived over ${span} ms`);
  t.ok(elapsed >= 390 && elapsed < 5000, `the burst took ${elapsed} ms`);
});

t.test('audit: one line per mutating call, with the fields and without the credential', async (t) => {
  const { sim, gw } = await startRig(t);
  const res = await patchMembership(gw.url, 14, 'RE');
  t.equal(res.statusCode, 200);
  await res.body.dump();
  const line = await gw.waitForLog((l) => l['audit'] === true);
  t.match(line, {
    audit: true,
    msg: 'audit',
    reqId: 'burst-14',
    adapter: 'rest',
    operation: 'label-studio-subpackage-organizations.updatememberrole',
    organizationId: 1,
    targetUserId: 14,
    newRole: 'RE',
    upstreamStatus: 200,
  });

  const role = await request(`${gw.url}/v1/api/organizations/2/set-default-role`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ default_role: 'AN' }),
  });
  await role.body.dump();
  const reset = await request(`${gw.url}/v1/api/invite/reset-token`, { method: 'POST' });
  t.equal(reset.statusCode, 201);
  const { token } = (await reset.body.json()) as { token: string };
  const org = await request(`${gw.url}/v1/api/organizations/3`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ title: 'Renamed', token: 'a-secret-org-token' }),
  });
  await org.body.dump();
  const get = await request(`${gw.url}/v1/api/organizations/1`);
  await get.body.dump();

  await gw.waitForLog((l) => l['audit'] === true && l['organizationId'] === 3);
  const audits = gw.logObjects().filter((l) => l['audit'] === true);
  t.same(
    audits.map((l) => [l['operation'], l['organizationId'], l['newRole'], l['upstreamStatus']]),
    [
      ['label-studio-subpackage-organizations.updatememberrole', 1, 'RE', 200],
      ['label-studio-subpackage-organizations.updatedefaultrole', 2, 'AN', 200],
      ['label-studio-subpackage-organizations.resettoken', undefined, undefined, 201],
      ['label-studio-subpackage-organizations.update', 3, undefined, 200],
    ],
    'the GET wrote no audit line',
  );
  const logs = gw.logs.join('\n');
  t.notOk(logs.includes(sim.legacyToken), 'the upstream credential is never logged');
  t.notOk(logs.includes('a-secret-org-token'), 'bodies are not logged');
  t.notOk(logs.includes(token), 'the new invite token is not logged');
});
