/**
 * The seat guard's invariant under races: no two upstream calls for one seat
 * ever overlap. A matrix of policies (enforce, warn) × changes (moves between
 * seat-holding roles, activation against deactivation, deactivations with an
 * override) × trials, each firing several changes to one seat at once with
 * jitter, against the embedded store (one gateway) and PostgreSQL (two
 * gateways sharing it). The simulator answers each PATCH after DELAY_MS and
 * records when each arrived, so overlap is read off the upstream's own log.
 */
import t from 'tap';
import { startLabelStudio, type RecordedRequest } from '../fixtures/label-studio/simulator.js';
import { call, startLedgerGateway, targets } from './helpers.js';

const CAPABILITY = 'test/fixtures/capabilities/ledger.yaml';
const DELAY_MS = 80;
const TRIALS = 6;
const PER_TRIAL = 4;
// User 10 owns the organizations: Label Studio refuses to change an owner's role.
const USERS = [11, 12, 13, 14, 15];

interface Variant {
  readonly name: string;
  readonly route: 'enforce' | 'warn';
  /** The role and headers of the i-th concurrent change. */
  change(i: number): { role: string; headers: Record<string, string> };
}

const VARIANTS: Variant[] = [];
for (const route of ['enforce', 'warn'] as const) {
  VARIANTS.push(
    { name: `${route}: moves between seat-holding roles`, route, change: (i) => ({ role: i % 2 === 0 ? 'AN' : 'RE', headers: {} }) },
    { name: `${route}: activation against deactivation`, route, change: (i) => ({ role: i % 2 === 0 ? 'RE' : 'DI', headers: {} }) },
    { name: `${route}: deactivations with an override`, route, change: (i) => ({ role: i % 2 === 0 ? 'AN' : 'DI', headers: { 'x-seat-guard-override': `drill ${i}` } }) },
    { name: `${route}: the same change many times`, route, change: () => ({ role: 'AN', headers: {} }) },
  );
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** overlaps lists pairs of calls to one seat where the second arrived before the first could have been answered. */
function overlaps(requests: readonly RecordedRequest[]): string[] {
  const sorted = [...requests].sort((a, b) => a.receivedAt - b.receivedAt);
  const out: string[] = [];
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1] as RecordedRequest;
    const next = sorted[i] as RecordedRequest;
    if (next.receivedAt < prev.receivedAt + DELAY_MS) out.push(`${prev.body} at ${prev.receivedAt}, ${next.body} at ${next.receivedAt}`);
  }
  return out;
}

for (const target of targets()) {
  t.test(`no two upstream calls for one seat overlap (${target.name})`, async (t) => {
    const sim = await startLabelStudio();
    t.teardown(() => sim.close());
    const ledger = await target.create(t);
    // Replicas share PostgreSQL; the embedded store has exactly one process.
    const gateways = [await startLedgerGateway(t, { capability: CAPABILITY, upstreamUrl: sim.url, apiKey: sim.legacyToken, ledger })];
    if (target.name === 'postgres') gateways.push(await startLedgerGateway(t, { capability: CAPABILITY, upstreamUrl: sim.url, apiKey: sim.legacyToken, ledger }));
    sim.fault({ method: 'PATCH', kind: 'delay', ms: DELAY_MS });
    let calls = 0;
    let refused = 0;
    let organization = 1;
    for (const variant of VARIANTS) {
      for (let trial = 0; trial < TRIALS; trial++) {
        // A fresh seat per trial: organization numbers are seats' first half, and the simulator answers 404 for unknown ones — still an upstream call.
        organization++;
        const user = USERS[trial % USERS.length] as number;
        sim.clear();
        const replies = await Promise.all(
          Array.from({ length: PER_TRIAL }, async (_, i) => {
            await sleep(Math.floor(Math.random() * 2 * DELAY_MS));
            const { role, headers } = variant.change(i);
            const gw = gateways[i % gateways.length] as (typeof gateways)[number];
            return call(gw.restUrl as string, 'PATCH', `/v1/${variant.route}/${organization}/memberships`, { user_id: user, role }, headers);
          }),
        );
        const upstream = sim.requests.filter((r) => r.method === 'PATCH');
        calls += upstream.length;
        refused += replies.filter((r) => r.status === 409).length;
        const bad = overlaps(upstream);
        if (bad.length > 0) t.fail(`${variant.name}, trial ${trial}: overlapping upstream calls: ${bad.join('; ')}`);
        const unexpected = replies.filter((r) => r.status !== 409 && r.status !== 404 && r.status !== 200);
        if (unexpected.length > 0) t.fail(`${variant.name}: unexpected answers ${unexpected.map((r) => `${r.status} ${r.text}`).join(', ')}`);
      }
    }
    t.comment(`${VARIANTS.length} variants × ${TRIALS} trials × ${PER_TRIAL} changes: ${calls} upstream calls, ${refused} refused with 409, 0 overlaps`);
    t.ok(calls >= VARIANTS.length * TRIALS, 'every trial reached the upstream at least once');
    t.ok(refused > 0, 'and the guard refused racing changes');
    t.ok(calls > VARIANTS.length * TRIALS, 'some trials ran several changes one after the other');
  });
}
