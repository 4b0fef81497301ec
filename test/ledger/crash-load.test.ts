/**
 * A gateway killed (SIGKILL) under load loses no answered change: every
 * mutating call the gateway answered with 200 is in the ledger as succeeded
 * after a restart, on the embedded store and on PostgreSQL. The outcome is
 * committed (and, embedded, fsynced) before the answer leaves, so an answer is
 * a promise the ledger keeps.
 */
import t, { type Test } from 'tap';
import type { LedgerEntry } from '../../src/ledger/entry.js';
import { startLabelStudio, type LabelStudioSimulator } from '../fixtures/label-studio/simulator.js';
import { startGatewayProcess, type GatewayProcess } from '../helpers/gateway-process.js';
import { call, targets } from './helpers.js';

const CAPABILITY = 'test/fixtures/capabilities/ledger.yaml';
const WORKERS = 6;
const ANSWERED_BEFORE_KILL = 60;

async function gateway(t: Test, sim: LabelStudioSimulator, env: Record<string, string>): Promise<GatewayProcess> {
  const gw = await startGatewayProcess({ capability: CAPABILITY, env: { LABEL_STUDIO_API_KEY: sim.legacyToken, GATEWAY_BASE_URI: sim.url, ...env } });
  t.teardown(() => gw.stop('SIGKILL'));
  return gw;
}

async function allEntries(gw: GatewayProcess): Promise<LedgerEntry[]> {
  const out: LedgerEntry[] = [];
  let cursor = '';
  for (;;) {
    const res = await call(gw.url, 'GET', `/v1/ledger?limit=500&operation=sim.update${cursor}`);
    const page = res.json as { items: LedgerEntry[]; nextCursor: string | null };
    out.push(...page.items);
    if (page.nextCursor === null) return out;
    cursor = `&cursor=${page.nextCursor}`;
  }
}

for (const target of targets()) {
  t.test(`kill -9 under load loses no answered change (${target.name})`, async (t) => {
    const sim = await startLabelStudio();
    t.teardown(() => sim.close());
    const config = await target.create(t);
    const env: Record<string, string> = config.mode === 'postgres' ? { DATABASE_URL: config.url } : { GATEWAY_LEDGER_DIR: config.mode === 'embedded' ? (config.dir as string) : '' };
    const first = await gateway(t, sim, env);
    // Upstream answers take a little while, so the kill lands with calls in flight.
    sim.fault({ method: 'PATCH', kind: 'delay', ms: 15 });
    const answered: string[] = [];
    let sent = 0;
    let killed = false;
    const worker = async (w: number): Promise<void> => {
      while (!killed) {
        const id = `load-${w}-${sent++}`;
        try {
          const res = await call(first.url, 'PATCH', '/v1/organizations/1', { title: id }, { 'x-request-id': id });
          if (res.status === 200) answered.push(id);
          else t.fail(`${id}: ${res.status} ${res.text}`);
        } catch {
          return; // the gateway is gone
        }
        if (answered.length >= ANSWERED_BEFORE_KILL && !killed) {
          killed = true;
          first.child.kill('SIGKILL');
        }
      }
    };
    await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
    t.ok(killed, 'the gateway was killed under load');
    const answeredAtKill = [...answered];
    const second = await gateway(t, sim, env);
    const byRequest = new Map((await allEntries(second)).map((e) => [e.requestId, e]));
    const lost = answeredAtKill.filter((id) => byRequest.get(id)?.status !== 'succeeded');
    t.same(lost, [], `all ${answeredAtKill.length} answered changes are in the ledger as succeeded`);
    const unknown = [...byRequest.values()].filter((e) => e.status === 'unknown').length;
    t.comment(`${sent} sent, ${answeredAtKill.length} answered before the kill, ${unknown} in flight at the kill recorded as unknown`);
    t.ok(byRequest.size >= answeredAtKill.length, 'every answered change has its entry');
  });
}
