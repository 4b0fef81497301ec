/**
 * The ledger across real gateway processes: two replicas on one PostgreSQL
 * racing for the same seat, and a gateway killed (SIGKILL) between intent and
 * outcome, which must leave an explicit `unknown` entry — on PostgreSQL and
 * on the embedded database.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import t, { type Test } from 'tap';
import { BOOT_LOCK_NAMESPACE } from '../../src/ledger/entry.js';
import { LIVENESS_APPLICATION } from '../../src/ledger/postgres-database.js';
import type { LedgerEntry } from '../../src/ledger/entry.js';
import { startLabelStudio, type LabelStudioSimulator } from '../fixtures/label-studio/simulator.js';
import { startGatewayProcess, type GatewayProcess } from '../helpers/gateway-process.js';
import { ADMIN_URL, call, createDatabase, NO_POSTGRES } from './helpers.js';
import { TEST_DEADLINE_MS } from '../helpers/deadlines.js';

const CAPABILITY = 'test/fixtures/capabilities/ledger.yaml';
const MEMBERSHIPS_1 = '/api/organizations/1/memberships';

/** UPSTREAM_TIMEOUT_MS keeps a change's in-flight window (deadline + 5 s grace) short enough to wait out. */
const UPSTREAM_TIMEOUT_MS = '2000';

/** gateway starts a gateway process (the helper's deadline covers creating an embedded database). */
async function gateway(t: Test, sim: LabelStudioSimulator, ledgerEnv: Record<string, string>): Promise<GatewayProcess> {
  const gw = await startGatewayProcess({
    capability: CAPABILITY,
    env: { LABEL_STUDIO_API_KEY: sim.legacyToken, GATEWAY_BASE_URI: sim.url, GATEWAY_UPSTREAM_TIMEOUT_MS: UPSTREAM_TIMEOUT_MS, ...ledgerEnv },
  });
  t.teardown(() => gw.stop('SIGKILL'));
  return gw;
}

async function entries(gw: GatewayProcess, query = ''): Promise<LedgerEntry[]> {
  const res = await call(gw.url, 'GET', `/v1/ledger?limit=500${query}`);
  return (res.json as { items: LedgerEntry[] }).items;
}

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = TEST_DEADLINE_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** crashMidRequest sends a change the simulator never answers, waits until it is upstream, then kills the gateway. */
async function crashMidRequest(t: Test, gw: GatewayProcess, sim: LabelStudioSimulator, requestId: string): Promise<void> {
  sim.clear();
  const hang = sim.fault({ method: 'PATCH', path: MEMBERSHIPS_1, kind: 'hang' });
  const pending = call(gw.url, 'PATCH', '/v1/enforce/1/memberships', { user_id: 13, role: 'AN' }, { 'x-request-id': requestId }).catch((err: unknown) => err);
  await until('the change to reach the upstream', () => (sim.requests.length > 0 ? true : undefined));
  t.equal(await gw.stop('SIGKILL'), null, 'killed');
  await pending;
  hang.remove();
}

t.test('postgres: two replicas', { skip: ADMIN_URL === undefined ? NO_POSTGRES : false }, async (t) => {
  const url = await createDatabase(t, ADMIN_URL as string);
  const sim = await startLabelStudio();
  t.teardown(() => sim.close());
  // Booting together also exercises the migration lock.
  const [a, b] = await Promise.all([gateway(t, sim, { DATABASE_URL: url }), gateway(t, sim, { DATABASE_URL: url })]);

  await t.test('racing to change the same seat: one change at a time reaches Label Studio', async (t) => {
    sim.clear();
    // A slow upstream keeps the first change in flight while the others arrive (below the 2 s upstream timeout).
    const slowMs = 1500;
    const slow = sim.fault({ method: 'PATCH', path: MEMBERSHIPS_1, kind: 'delay', ms: slowMs });
    const attempts = [a, b, a, b, a, b].map((gw, i) => call(gw.url, 'PATCH', '/v1/enforce/1/memberships', { user_id: 15, role: 'AN' }, { 'x-request-id': `race-${i}` }));
    const replies = await Promise.all(attempts);
    slow.remove();
    // On a loaded machine an attempt may arrive after the winner finished; it may then change the seat again,
    // but never while another change is upstream.
    const winners = replies.filter((r) => r.status === 200).length;
    t.ok(winners >= 1 && winners < 6, `some won, the racing ones were refused (${winners} of 6 went through)`);
    t.equal(replies.filter((r) => r.status === 409).length, 6 - winners, 'the others are 409');
    t.equal(sim.requests.length, winners, 'one upstream call per winner');
    const arrivals = sim.requests.map((r) => r.receivedAt).sort((x, y) => x - y);
    for (let i = 1; i < arrivals.length; i++) t.ok((arrivals[i] as number) >= (arrivals[i - 1] as number) + slowMs, 'no two upstream calls overlap');
    for (const r of replies.filter((r) => r.status === 409)) t.match(r.json, { rule: 'in-flight', userId: '15', organizationId: '1' });
    const seen = await entries(b, '&user=15');
    t.equal(seen.filter((e) => e.status === 'succeeded').length, winners);
    t.equal(seen.filter((e) => e.status === 'blocked').length, 6 - winners, 'every refused attempt is in the ledger');
  });

  await t.test('an activation on one replica and a deactivation on the other: the seat is not taken back', async (t) => {
    sim.clear();
    const slow = sim.fault({ method: 'PATCH', path: MEMBERSHIPS_1, kind: 'delay', ms: 400 });
    const activate = call(a.url, 'PATCH', '/v1/enforce/1/memberships', { user_id: 14, role: 'RE' });
    await until('the activation to reach the upstream', () => (sim.requests.length > 0 ? true : undefined));
    const deactivate = await call(b.url, 'PATCH', '/v1/enforce/1/memberships', { user_id: 14, role: 'DI' });
    t.equal((await activate).status, 200);
    slow.remove();
    t.equal(deactivate.status, 409);
    const after = await call(b.url, 'PATCH', '/v1/enforce/1/memberships', { user_id: 14, role: 'DI' });
    t.equal(after.status, 409, 'once the activation completed, the minimum period applies on the other replica');
    t.match(after.json, { rule: 'minimum-period', userId: '14' });
    t.equal(sim.requests.length, 1);
  });

  await t.test('a replica whose liveness connection drops takes its lock again', async (t) => {
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    t.teardown(() => admin.end());
    const locks = async (): Promise<number> =>
      Number((await admin.query<{ n: string }>(`SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND classid::bigint = $1 AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`, [BOOT_LOCK_NAMESPACE])).rows[0]?.n);
    t.equal(await locks(), 2, 'one per replica');
    const killed = await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()`, [LIVENESS_APPLICATION]);
    t.equal(killed.rowCount, 2);
    await until('both replicas to take their locks again', async () => ((await locks()) === 2 ? true : undefined));
  });

  await t.test('a replica that looks dead (liveness connection gone) with a change in flight: the other replica answers 409', async (t) => {
    sim.clear();
    const hang = sim.fault({ method: 'PATCH', path: MEMBERSHIPS_1, kind: 'hang' });
    t.teardown(() => hang.remove());
    const inFlight = call(a.url, 'PATCH', '/v1/enforce/1/memberships', { user_id: 16, role: 'AN' }, { 'x-request-id': 'looks-dead' }).catch((err: unknown) => err);
    await until('the change to reach the upstream', () => (sim.requests.length > 0 ? true : undefined));
    // Frozen, replica A cannot take its lock again: to B it is a dead process with a pending intent.
    a.child.kill('SIGSTOP');
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()`, [LIVENESS_APPLICATION]);
      await until('A\'s liveness lock to be gone', async () => {
        const rows = await admin.query<{ n: string }>(`SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND classid::bigint = $1`, [BOOT_LOCK_NAMESPACE]);
        return Number(rows.rows[0]?.n) < 2 ? true : undefined;
      });
      t.match((await entries(b)).find((e) => e.requestId === 'looks-dead'), { status: 'unknown' }, 'B reads the intent as orphaned');
      const second = await call(b.url, 'PATCH', '/v1/enforce/1/memberships', { user_id: 16, role: 'DI' });
      t.equal(second.status, 409, 'still refused: the first change may be running upstream');
      t.match(second.json, { rule: 'in-flight', userId: '16' });
      t.equal(sim.requests.length, 1, 'no second upstream call overlaps the first');
    } finally {
      a.child.kill('SIGCONT');
      await admin.end();
    }
    hang.remove();
    await inFlight;
  });

  await t.test('a replica killed between intent and outcome leaves an "unknown" entry', async (t) => {
    await crashMidRequest(t, a, sim, 'crash-pg');
    const entry = await until('the entry to read as unknown', async () => (await entries(b)).find((e) => e.requestId === 'crash-pg' && e.status === 'unknown'));
    t.match(entry, { status: 'unknown', upstreamStatus: null, completedAt: null, userId: '13', newRole: 'AN' });
    // The dead replica's call may still be running upstream until its deadline: the seat stays taken until then.
    const early = await call(b.url, 'PATCH', '/v1/enforce/1/memberships', { user_id: 13, role: 'RE' });
    t.equal(early.status, 409, 'a dead replica\'s change counts as in flight until its upstream deadline');
    t.match(early.json, { rule: 'in-flight', userId: '13' });
    const allowedAt = Date.parse((early.json as { allowedAt: string }).allowedAt);
    t.ok(allowedAt > Date.now() && allowedAt <= Date.parse(entry.time) + Number(UPSTREAM_TIMEOUT_MS) + 5_000 + 50, 'allowedAt is the deadline plus the grace');
    await new Promise((r) => setTimeout(r, Math.max(0, allowedAt - Date.now() + 100)));
    const next = await call(b.url, 'PATCH', '/v1/enforce/1/memberships', { user_id: 13, role: 'RE' });
    t.equal(next.status, 200, 'past the deadline the dead replica\'s intent no longer holds the seat');
  });
});

t.test('embedded: a gateway killed between intent and outcome leaves an "unknown" entry', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ngw-ledger-crash-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const sim = await startLabelStudio();
  t.teardown(() => sim.close());
  const env = { GATEWAY_LEDGER_DIR: join(dir, 'ledger') };
  const first = await gateway(t, sim, env);
  t.match(await first.waitForLog((l) => l['msg'] === 'ledger ready'), { ledger: 'embedded', migrationsApplied: [1], abandonedIntents: 0 });
  await crashMidRequest(t, first, sim, 'crash-embedded');
  // The restarted gateway runs a day ahead (GATEWAY_LEDGER_CLOCK_OFFSET_MS), inside the 7-day period of the crashed activation.
  const second = await gateway(t, sim, { ...env, GATEWAY_LEDGER_CLOCK_OFFSET_MS: String(86_400_000) });
  const ready = await second.waitForLog((l) => l['msg'] === 'ledger ready');
  t.equal(ready['abandonedIntents'], 1, 'found at startup');
  t.same(ready['migrationsApplied'], [], 'migrations are applied once');
  const crashed = (await entries(second)).find((e) => e.requestId === 'crash-embedded');
  t.match(crashed, { status: 'unknown', operation: 'sim.enforce', userId: '13', newRole: 'AN', completedAt: null });
  const before = Date.now();
  const deactivate = await call(second.url, 'PATCH', '/v1/enforce/1/memberships', { user_id: 13, role: 'DI' });
  t.equal(deactivate.status, 409, 'an activation with an unknown outcome still counts: the guard errs on the side of the seat');
  const problem = deactivate.json as { assignedAt: string; allowedAt: string };
  t.equal(problem.assignedAt, crashed?.time);
  t.equal(Date.parse(problem.allowedAt) - Date.parse(problem.assignedAt), 7 * 86_400_000);
  const blocked = (await entries(second, '&status=blocked'))[0];
  t.ok(Date.parse(blocked?.time ?? '') >= before + 86_400_000, 'the offset clock stamped the refusal');
});
