/**
 * Scheduled changes end to end, on the embedded store and on PostgreSQL: a change the seat guard refuses is
 * scheduled (REST `Prefer: respond-async`, MCP `_schedule`), runs once at its due time against the simulator
 * through the same pipeline as a live call, is checked by the guard again at run time, survives a restart,
 * runs exactly once across two replicas sharing one PostgreSQL, and can be listed and cancelled.
 * The capability's minimum periods are 2 s and 6 s; the tests poll the schedule (events, not sleeps).
 */
import { setTimeout as delay } from 'node:timers/promises';
import t from 'tap';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { LedgerEntry } from '../../src/ledger/entry.js';
import type { ScheduledChange } from '../../src/ledger/schedule.js';
import type { RunningGateway } from '../../src/gateway.js';
import { startLabelStudio, type LabelStudioSimulator } from '../fixtures/label-studio/simulator.js';
import { connectHttp, textOf } from '../helpers/mcp-client.js';
import { call, startLedgerGateway, targets, type Reply } from './helpers.js';

const CAPABILITY = 'test/fixtures/capabilities/schedule.yaml';
const DEADLINE_MS = 60_000;
const PREFER = { prefer: 'respond-async, wait=0' };

/** deactivations counts the upstream calls that set `user` to DI in `org`. */
function deactivations(sim: LabelStudioSimulator, org: number, user: number): number {
  return sim.requests.filter((r) => {
    const body = r.json as { user_id?: unknown; role?: unknown } | undefined;
    return r.method === 'PATCH' && r.path === `/api/organizations/${org}/memberships` && body?.user_id === user && body.role === 'DI';
  }).length;
}

async function schedule(base: string, id: string): Promise<ScheduledChange> {
  const res = await call(base, 'GET', `/v1/ledger/schedules/${id}`);
  if (res.status !== 200) throw new Error(`GET schedule ${id}: ${res.status} ${res.text}`);
  return res.json as ScheduledChange;
}

/** settled polls the schedule until it left `scheduled`/`running`. */
async function settled(base: string, id: string): Promise<ScheduledChange> {
  const until = Date.now() + DEADLINE_MS;
  for (;;) {
    const s = await schedule(base, id);
    if (s.status !== 'scheduled' && s.status !== 'running') return s;
    if (Date.now() > until) throw new Error(`schedule ${id} still ${s.status} after ${DEADLINE_MS} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function entries(base: string, query: string): Promise<LedgerEntry[]> {
  const res = await call(base, 'GET', `/v1/ledger${query}`);
  return (res.json as { items: LedgerEntry[] }).items;
}

for (const target of targets()) {
  t.test(`scheduled changes on ${target.name}`, async (t) => {
    const suite = t;
    const sim = await startLabelStudio();
    t.teardown(() => sim.close());
    const ledger = await target.create(t);
    let gw: RunningGateway = await startLedgerGateway(t, { capability: CAPABILITY, upstreamUrl: sim.url, apiKey: sim.legacyToken, ledger });
    const base = (): string => gw.restUrl as string;
    const patch = (org: number, body: unknown, headers?: Record<string, string>): Promise<Reply> => call(base(), 'PATCH', `/v1/enforce/${org}/memberships`, body, headers);

    await t.test('a refused change with Prefer: respond-async is a 202 and runs once at its due time', async (t) => {
      t.equal((await patch(1, { user_id: 14, role: 'AN' })).status, 200);
      const refused = await patch(1, { user_id: 14, role: 'DI' });
      t.equal(refused.status, 409, 'without the preference: the 409 as before');
      const accepted = await patch(1, { user_id: 14, role: 'DI' }, { ...PREFER, 'x-request-id': 'rotate-later' });
      t.equal(accepted.status, 202, accepted.text);
      t.match(accepted.headers['content-type'], /^application\/json/);
      t.equal(accepted.headers['preference-applied'], 'respond-async');
      const body = accepted.json as { id: string; dueAt: string; status: string; schedule: ScheduledChange };
      t.equal(accepted.headers['location'], `/v1/ledger/schedules/${body.id}`);
      t.equal(body.status, 'scheduled');
      t.ok(Date.parse(body.dueAt) > Date.now() - 1000, 'due at the end of the minimum period');
      t.match(body.schedule, { organizationId: '1', userId: '14', newRole: 'DI', requestId: 'rotate-later', operation: 'sim.enforce', exposedAs: 'enforce-membership', adapter: 'rest' });
      t.equal(deactivations(sim, 1, 14), 0, 'nothing sent upstream yet');
      const done = await settled(base(), body.id);
      t.equal(done.status, 'succeeded', JSON.stringify(done));
      t.ok(Date.parse(done.completedAt as string) >= Date.parse(body.dueAt), 'ran at or after its due time');
      t.equal(deactivations(sim, 1, 14), 1, 'exactly one upstream call');
      t.equal(sim.state.memberships.find((m) => m.organization === 1 && m.user_id === 14)?.role, 'DI');
      const linked = await entries(base(), `?organization=1&user=14`);
      const run = linked.find((e) => e.id === done.runEntry);
      t.match(run, { scheduleId: body.id, status: 'succeeded', newRole: 'DI', upstreamStatus: 200, guard: 'allowed', adapter: 'rest' }, 'the run is in the ledger, linked to the schedule');
      t.match(linked.find((e) => e.id === done.blockedEntry), { scheduleId: body.id, status: 'blocked' }, 'so is the refusal that created it');
    });

    await t.test('a change the guard allows now just runs (the preference is ignored)', async (t) => {
      const res = await patch(2, { user_id: 14, role: 'AN' }, PREFER);
      t.equal(res.status, 200);
      t.equal(res.headers['preference-applied'], undefined);
    });

    await t.test('cancel before the run; list; 404 and 409', async (t) => {
      t.equal((await patch(3, { user_id: 13, role: 'AN' })).status, 200);
      const accepted = await patch(3, { user_id: 13, role: 'DI' }, PREFER);
      t.equal(accepted.status, 202);
      const id = (accepted.json as { id: string }).id;
      const listed = await call(base(), 'GET', '/v1/ledger/schedules?status=scheduled&organization=3');
      t.equal(listed.status, 200);
      t.same((listed.json as { items: ScheduledChange[] }).items.map((s) => s.id), [id]);
      const cancelled = await call(base(), 'DELETE', `/v1/ledger/schedules/${id}`);
      t.equal(cancelled.status, 204);
      t.equal((await schedule(base(), id)).status, 'cancelled');
      const again = await call(base(), 'DELETE', `/v1/ledger/schedules/${id}`);
      t.equal(again.status, 409);
      t.match(again.headers['content-type'], /application\/problem\+json/);
      t.match(again.json, { code: 'NGW_ERR_CONFLICT', scheduleStatus: 'cancelled' });
      t.equal((await call(base(), 'DELETE', '/v1/ledger/schedules/987654')).status, 404);
      t.equal((await call(base(), 'GET', '/v1/ledger/schedules/not-an-id')).status, 400);
      // A later schedule that runs proves the runner went past the cancelled one's due time without running it.
      t.equal((await patch(2, { user_id: 13, role: 'AN' })).status, 200);
      const later = await patch(2, { user_id: 13, role: 'DI' }, PREFER);
      t.equal((await settled(base(), (later.json as { id: string }).id)).status, 'succeeded');
      t.equal(deactivations(sim, 3, 13), 0, 'the cancelled change never reached upstream');
      t.equal((await call(base(), 'DELETE', `/v1/ledger/schedules/${(later.json as { id: string }).id}`)).status, 409, 'a change that ran cannot be cancelled');
    });

    await t.test('the guard is checked again at run time: a re-activation moves the schedule', async (t) => {
      // The `slow` operation's 6 s period leaves time to restart the seat before the first due time.
      const slow = (body: unknown, headers?: Record<string, string>): Promise<Reply> => call(base(), 'PATCH', '/v1/slow/1/memberships', body, headers);
      t.equal((await slow({ user_id: 12, role: 'AN' })).status, 200);
      const accepted = await slow({ user_id: 12, role: 'DI' }, PREFER);
      t.equal(accepted.status, 202);
      const id = (accepted.json as { id: string; dueAt: string }).id;
      const firstDue = Date.parse((accepted.json as { dueAt: string }).dueAt);
      // Deactivate with an override and activate again: the seat's assignment restarts, so at the first due time the
      // scheduled deactivation is refused again and moves to the end of the new period. The re-activation comes 2 s
      // after the first one on purpose: were it immediate, the new period would end a few ms after the first due time
      // and a runner woken a little late on a busy machine would rightly find the change allowed, with no reschedule.
      await delay(Math.max(0, firstDue - 6000 + 2000 - Date.now()));
      t.equal((await slow({ user_id: 12, role: 'DI' }, { 'x-seat-guard-override': 'test: restart the seat' })).status, 200);
      const reactivatedNotBefore = Date.now();
      t.equal((await slow({ user_id: 12, role: 'AN' })).status, 200);
      t.ok(Date.now() < firstDue, 'the seat was re-activated before the first due time');
      const done = await settled(base(), id);
      t.equal(done.status, 'succeeded', JSON.stringify(done));
      t.ok(Date.parse(done.completedAt ?? '') >= reactivatedNotBefore + 6000, 'run only once the new period had passed');
      t.ok(done.reschedules >= 1, `rescheduled ${done.reschedules} time(s)`);
      t.ok(Date.parse(done.dueAt) > firstDue, 'due later than first planned');
      t.equal(deactivations(sim, 1, 12), 2, 'the override and the scheduled run, nothing else');
      const refusals = (await entries(base(), '?organization=1&user=12&status=blocked')).filter((e) => e.scheduleId === id);
      t.ok(refusals.length >= 2, 'the refusal at request time and at run time are both in the ledger');
    });

    await t.test('MCP: _schedule on the same tool, list-scheduled-changes and cancel-scheduled-change', async (t) => {
      const { client } = await connectHttp(gw.mcpUrl as string);
      t.teardown(() => client.close());
      const tools = await client.listTools();
      const tool = tools.tools.find((x) => x.name === 'enforce-membership');
      t.match(tool?.inputSchema.properties, { _schedule: { type: 'boolean' } });
      t.ok(tools.tools.some((x) => x.name === 'list-scheduled-changes') && tools.tools.some((x) => x.name === 'cancel-scheduled-change'));
      t.equal((await client.callTool({ name: 'enforce-membership', arguments: { id: 1, body: { user_id: 11, role: 'AN' } } }) as CallToolResult).isError, undefined);
      const refused = (await client.callTool({ name: 'enforce-membership', arguments: { id: 1, body: { user_id: 11, role: 'DI' }, _schedule: true } })) as CallToolResult;
      t.match(textOf(refused), /ACCEPTED \(202\): change scheduled as \d+/);
      const listed = (await client.callTool({ name: 'list-scheduled-changes', arguments: { organization: '1', status: 'scheduled' } })) as CallToolResult;
      const items = (listed.structuredContent as { items: ScheduledChange[] }).items;
      t.equal(items.length, 1);
      t.match(items[0], { adapter: 'mcp', exposedAs: 'enforce-membership', userId: '11', newRole: 'DI' });
      const cancelled = (await client.callTool({ name: 'cancel-scheduled-change', arguments: { id: items[0]?.id } })) as CallToolResult;
      t.match(cancelled.structuredContent, { cancelled: true, schedule: { status: 'cancelled' } });
      const twice = (await client.callTool({ name: 'cancel-scheduled-change', arguments: { id: items[0]?.id } })) as CallToolResult;
      t.equal(twice.isError, true);
      t.match(textOf(twice), /NGW_ERR_CONFLICT/);
    });

    await t.test('a schedule survives a restart: stopped before its due time, it runs after the next start', async (t) => {
      // The `slow` operation (6 s): the gateway is surely stopped before the due time, even on a loaded machine.
      t.equal((await call(base(), 'PATCH', '/v1/slow/2/memberships', { user_id: 12, role: 'AN' })).status, 200);
      const accepted = await call(base(), 'PATCH', '/v1/slow/2/memberships', { user_id: 12, role: 'DI' }, PREFER);
      t.equal(accepted.status, 202);
      const id = (accepted.json as { id: string }).id;
      await gw.close();
      t.equal(deactivations(sim, 2, 12), 0, 'not run before the stop');
      // Torn down with the suite, not this subtest: the next subtest uses it too.
      gw = await startLedgerGateway(suite, { capability: CAPABILITY, upstreamUrl: sim.url, apiKey: sim.legacyToken, ledger });
      t.equal((await settled(base(), id)).status, 'succeeded');
      t.equal(deactivations(sim, 2, 12), 1);
    });

    if (target.name === 'postgres') {
      await t.test('two replicas on one PostgreSQL run each schedule exactly once', async (t) => {
        const other = await startLedgerGateway(t, { capability: CAPABILITY, upstreamUrl: sim.url, apiKey: sim.legacyToken, ledger });
        const ids: string[] = [];
        // Seats no other subtest touched (the simulator seeds users 11-15 in organizations 1-3).
        const seats: [number, number][] = [[1, 13], [1, 15], [2, 11], [2, 15], [3, 11], [3, 12], [3, 14], [3, 15]];
        for (const [index, [org, user]] of seats.entries()) {
          {
            const via = index % 2 === 0 ? base() : (other.restUrl as string);
            t.equal((await call(via, 'PATCH', `/v1/enforce/${org}/memberships`, { user_id: user, role: 'AN' })).status, 200);
            const res = await call(via, 'PATCH', `/v1/enforce/${org}/memberships`, { user_id: user, role: 'DI' }, PREFER);
            t.equal(res.status, 202);
            ids.push((res.json as { id: string }).id);
          }
        }
        for (const id of ids) t.equal((await settled(base(), id)).status, 'succeeded', `schedule ${id}`);
        for (const [org, user] of seats) t.equal(deactivations(sim, org, user), 1, `org ${org} user ${user}: one upstream call`);
        const runs = (await entries(base(), '?status=succeeded&limit=500')).filter((e) => e.scheduleId !== null && ids.includes(e.scheduleId) && e.guard === 'allowed');
        t.equal(runs.length, ids.length, 'one run entry per schedule');
      });
    }
  });
}
