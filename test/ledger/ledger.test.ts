/**
 * The role-change ledger and the seat-rotation guard end to end (REST →
 * interceptor → database → simulator), on the embedded database and on
 * PostgreSQL, with the ledger's clock under the test's control.
 */
import t from 'tap';
import type { LedgerEntry } from '../../src/ledger/entry.js';
import { callListRoleChanges, LIST_ROLE_CHANGES_TOOL } from '../../src/ledger/mcp-tool.js';
import { startLabelStudio } from '../fixtures/label-studio/simulator.js';
import { connectHttp, textOf } from '../helpers/mcp-client.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { call, DAY_MS, startLedgerGateway, targets, TestClock, type Reply } from './helpers.js';

const CAPABILITY = 'test/fixtures/capabilities/ledger.yaml';
const T0 = Date.parse('2026-01-05T09:00:00.000Z');
const iso = (ms: number): string => new Date(ms).toISOString();

interface Page {
  items: LedgerEntry[];
  nextCursor: string | null;
}

for (const target of targets()) {
  t.test(`ledger on ${target.name}`, async (t) => {
    const sim = await startLabelStudio();
    t.teardown(() => sim.close());
    const clock = new TestClock(T0);
    const gw = await startLedgerGateway(t, { capability: CAPABILITY, upstreamUrl: sim.url, apiKey: sim.legacyToken, ledger: await target.create(t), clock });
    const base = gw.restUrl as string;
    const patch = (path: string, body: unknown, headers?: Record<string, string>): Promise<Reply> => call(base, 'PATCH', path, body, headers);
    const page = async (query = ''): Promise<Page> => {
      const res = await call(base, 'GET', `/v1/ledger${query}`);
      if (res.status !== 200) throw new Error(`GET /v1/ledger${query}: ${res.status} ${res.text}`);
      return res.json as Page;
    };
    const latest = async (): Promise<LedgerEntry> => (await page('?limit=1')).items[0] as LedgerEntry;

    await t.test('enforce: a deactivation inside 7 days is a 409 naming the user and the times, and never reaches upstream', async (t) => {
      const activated = await patch('/v1/enforce/1/memberships', { user_id: 15, role: 'AN' });
      t.equal(activated.status, 200, activated.text);
      t.match(await latest(), { operation: 'sim.enforce', exposedAs: 'enforce-membership', adapter: 'rest', organizationId: '1', userId: '15', oldRole: null, newRole: 'AN', status: 'succeeded', upstreamStatus: 200, guard: 'allowed', time: iso(T0) });

      clock.advance(DAY_MS);
      sim.clear();
      const blocked = await patch('/v1/enforce/1/memberships', { user_id: 15, role: 'DI' }, { 'x-request-id': 'rotate-too-early' });
      t.equal(blocked.status, 409);
      t.match(blocked.headers['content-type'], /application\/problem\+json/);
      t.match(blocked.json, {
        code: 'NGW_ERR_CONFLICT',
        status: 409,
        rule: 'minimum-period',
        organizationId: '1',
        userId: '15',
        assignedAt: iso(T0),
        allowedAt: iso(T0 + 7 * DAY_MS),
        instance: 'rotate-too-early',
      });
      t.match((blocked.json as { detail: string }).detail, /user 15 in organization 1.*2026-01-05T09:00:00\.000Z.*2026-01-12T09:00:00\.000Z/);
      t.equal(blocked.headers['retry-after'], new Date(T0 + 7 * DAY_MS).toUTCString());
      t.equal(sim.requests.length, 0, 'upstream never called');
      t.equal(sim.state.memberships.find((m) => m.organization === 1 && m.user_id === 15)?.role, 'AN');
      t.match(await latest(), { requestId: 'rotate-too-early', status: 'blocked', guard: 'blocked', oldRole: 'AN', newRole: 'DI', errorCode: 'NGW_ERR_CONFLICT', upstreamStatus: null });
      for (const spelling of ['015', ' 15', '15.0']) {
        const res = await patch('/v1/enforce/1/memberships', { user_id: spelling, role: 'DI' });
        t.equal(res.status, 409, `user_id ${JSON.stringify(spelling)} is user 15 to Label Studio, and to the guard`);
      }
      t.equal(sim.requests.length, 0);
    });

    await t.test('enforce: allowed exactly when the minimum period is over', async (t) => {
      clock.advance(6 * DAY_MS - 1);
      t.equal((await patch('/v1/enforce/1/memberships', { user_id: 15, role: 'NO' })).status, 409, '1 ms early');
      clock.advance(1);
      sim.clear();
      const allowed = await patch('/v1/enforce/1/memberships', { user_id: 15, role: 'DI' });
      t.equal(allowed.status, 200, allowed.text);
      t.equal(sim.requests.length, 1);
      t.match(await latest(), { status: 'succeeded', guard: 'allowed', oldRole: 'AN', newRole: 'DI' });
    });

    await t.test('enforce: a role change that keeps the seat does not restart the period', async (t) => {
      clock.advance(DAY_MS);
      const activatedAt = clock.nowMs;
      t.equal((await patch('/v1/enforce/1/memberships', { user_id: 14, role: 'RE' })).status, 200, 'first sight of user 14: activation recorded');
      clock.advance(3 * DAY_MS);
      t.equal((await patch('/v1/enforce/1/memberships', { user_id: 14, role: 'AN' })).status, 200, 'RE → AN stays active');
      clock.advance(DAY_MS);
      const blocked = await patch('/v1/enforce/1/memberships', { user_id: 14, role: 'DI' });
      t.match(blocked.json, { assignedAt: iso(activatedAt), allowedAt: iso(activatedAt + 7 * DAY_MS) });
    });

    await t.test('override: a reason in x-seat-guard-override lets the change through and is recorded', async (t) => {
      sim.clear();
      const reason = '=contract ended, approved by J. Doe';
      const res = await patch('/v1/enforce/1/memberships', { user_id: 14, role: 'DI' }, { 'x-seat-guard-override': reason });
      t.equal(res.status, 200, res.text);
      t.equal(sim.requests.length, 1);
      const entry = await latest();
      t.match(entry, { status: 'succeeded', guard: 'overridden', overrideReason: reason, newRole: 'DI' });
      t.match(entry.guardDetail, /minimum assignment of 7 day/);
      const empty = await patch('/v1/enforce/1/memberships', { user_id: 14, role: 'AN' }, { 'x-seat-guard-override': '   ' });
      t.equal(empty.status, 400, 'an override needs a reason');
    });

    await t.test('override: a caller without the write scope may not override', async (t) => {
      const route = gw.capability.rest[0]?.routes.find((r) => r.name === 'enforce-membership');
      if (route === undefined) throw new Error('route missing');
      const ctx = { requestId: 'scoped', adapter: 'rest' as const, caller: { id: 'reader', scopes: ['read'] }, headers: { 'x-seat-guard-override': 'please' } };
      await t.rejects(gw.ledger?.interceptor.before?.(route, { id: 1, body: { user_id: 13, role: 'DI' } }, ctx) ?? Promise.resolve(), { code: 'NGW_ERR_FORBIDDEN', status: 403 });
    });

    await t.test('warn: forwards the change with a Warning header and records it as warned', async (t) => {
      t.equal((await patch('/v1/warn/2/memberships', { user_id: 15, role: 'AN' })).status, 200);
      clock.advance(DAY_MS);
      sim.clear();
      const res = await patch('/v1/warn/2/memberships', { user_id: 15, role: 'DI' });
      t.equal(res.status, 200, res.text);
      t.equal(sim.requests.length, 1, 'forwarded');
      t.match(res.headers['warning'], /^299 naftiko-gateway "seat-rotation guard \(policy warn\): the seat of user 15 in organization 2 was assigned at/);
      t.match(await latest(), { status: 'succeeded', guard: 'warned', newRole: 'DI' });
    });

    await t.test('off: records the change, no check, no warning', async (t) => {
      t.equal((await patch('/v1/off/3/memberships', { user_id: 15, role: 'AN' })).status, 200);
      clock.advance(60_000);
      const res = await patch('/v1/off/3/memberships', { user_id: 15, role: 'DI' });
      t.equal(res.status, 200);
      t.equal(res.headers['warning'], undefined);
      t.match(await latest(), { status: 'succeeded', guard: null, oldRole: 'AN', newRole: 'DI' });
    });

    await t.test('organization spacing: a second change in the same organization waits', async (t) => {
      clock.advance(DAY_MS);
      const first = clock.nowMs;
      t.equal((await patch('/v1/spacing/3/memberships', { user_id: 14, role: 'RE' })).status, 200);
      clock.advance(10 * 60_000);
      const early = await patch('/v1/spacing/3/memberships', { user_id: 13, role: 'AN' });
      t.equal(early.status, 409);
      t.match(early.json, { rule: 'organization-spacing', organizationId: '3', lastChangeAt: iso(first), allowedAt: iso(first + 3_600_000) });
      clock.advance(50 * 60_000);
      t.equal((await patch('/v1/spacing/3/memberships', { user_id: 13, role: 'AN' })).status, 200);
    });

    await t.test('an upstream failure is recorded and leaves the seat as it was', async (t) => {
      const res = await patch('/v1/enforce/2/memberships', { user_id: 99, role: 'AN' });
      t.equal(res.status, 404, 'Label Studio: no such user');
      t.match(await latest(), { status: 'failed', upstreamStatus: 404, userId: '99' });
      const again = await patch('/v1/enforce/2/memberships', { user_id: 99, role: 'DI' });
      t.equal(again.status, 404, 'no activation was recorded, so no 409');
    });

    await t.test('other mutating calls are recorded too', async (t) => {
      t.equal((await patch('/v1/organizations/2', { title: 'Renamed' })).status, 200);
      t.match(await latest(), { operation: 'sim.update', organizationId: '2', userId: null, newRole: null, status: 'succeeded' });
    });

    await t.test('GET /v1/ledger filters by organization, user, operation, status and time', async (t) => {
      const all = (await page('?limit=500')).items;
      t.ok(all.length >= 15, `${all.length} entries`);
      const ids = all.map((e) => Number(e.id));
      t.same(ids, [...ids].sort((a, b) => b - a), 'newest first');
      const check = async (query: string, predicate: (e: LedgerEntry) => boolean): Promise<void> => {
        const got = (await page(`?limit=500&${query}`)).items.map((e) => e.id);
        const want = all.filter(predicate).map((e) => e.id);
        t.ok(want.length > 0, `${query} selects something`);
        t.same(got, want, query);
      };
      await check('organization=3', (e) => e.organizationId === '3');
      await check('user=15', (e) => e.userId === '15');
      await check('organization=1&user=14', (e) => e.organizationId === '1' && e.userId === '14');
      await check('operation=sim.warn', (e) => e.operation === 'sim.warn');
      await check('operation=spacing-membership', (e) => e.exposedAs === 'spacing-membership');
      await check('status=blocked', (e) => e.status === 'blocked');
      const since = iso(T0 + 8 * DAY_MS);
      const until = iso(T0 + 10 * DAY_MS);
      await check(`since=${since}&until=${until}`, (e) => e.time >= since && e.time < until);
      t.equal((await call(base, 'GET', '/v1/ledger?since=yesterday')).status, 400);
      t.equal((await call(base, 'GET', '/v1/ledger?limit=0')).status, 400);
      t.equal((await call(base, 'GET', '/v1/ledger?colour=red')).status, 400, 'unknown filter');
      const post = await call(base, 'POST', '/v1/ledger', {});
      t.equal(post.status, 405, 'the ledger is read-only');
      t.equal(post.headers['allow'], 'GET, HEAD');
    });

    await t.test('GET /v1/ledger pages with an opaque cursor', async (t) => {
      const all = (await page('?limit=500')).items.map((e) => e.id);
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res = await call(base, 'GET', `/v1/ledger?limit=4${cursor === null ? '' : `&cursor=${cursor}`}`);
        const p = res.json as Page;
        seen.push(...p.items.map((e) => e.id));
        if (p.nextCursor !== null) t.match(res.headers['link'], new RegExp(`^</v1/ledger\\?limit=4&cursor=${p.nextCursor}>; rel="next"$`));
        cursor = p.nextCursor;
        pages++;
      } while (cursor !== null && pages < 100);
      t.same(seen, all, 'every entry once, in order');
      t.equal(pages, Math.ceil(all.length / 4));
      const bad = await call(base, 'GET', '/v1/ledger?cursor=bm90LWEtY3Vyc29y');
      t.equal(bad.status, 400);
      t.match(bad.json, { code: 'NGW_ERR_VALIDATION' });
    });

    await t.test('the MCP tool list-role-changes reads the same pages', async (t) => {
      t.match(LIST_ROLE_CHANGES_TOOL.annotations, { readOnlyHint: true, destructiveHint: false });
      const db = gw.ledger?.db;
      if (db === undefined) throw new Error('ledger missing');
      const result = await callListRoleChanges(db, { organization: '3', limit: 2 });
      t.notOk(result.isError);
      t.same(result.structuredContent, await page('?organization=3&limit=2'));
      const bad = await callListRoleChanges(db, { since: 'last week' });
      t.equal(bad.isError, true);
      t.match(bad.content[0]?.text, /^NGW_ERR_VALIDATION \(400\)/);
    });

    await t.test('MCP: the same guard, warnings as notes, and list-role-changes', async (t) => {
      const { client } = await connectHttp(gw.mcpUrl as string);
      t.teardown(() => client.close());
      const tools = (await client.listTools()).tools;
      t.match(tools.find((tool) => tool.name === 'list-role-changes'), { annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true } });
      const tool = async (name: string, args: Record<string, unknown>): Promise<CallToolResult> => (await client.callTool({ name, arguments: args })) as CallToolResult;

      clock.advance(DAY_MS);
      t.notOk((await tool('enforce-membership', { id: 2, body: { user_id: 13, role: 'AN' } })).isError);
      t.match(await latest(), { adapter: 'mcp', exposedAs: 'enforce-membership', organizationId: '2', userId: '13', status: 'succeeded' });
      sim.clear();
      const blocked = await tool('enforce-membership', { id: 2, body: { user_id: 13, role: 'DI' } });
      t.equal(blocked.isError, true);
      t.match(textOf(blocked), /^NGW_ERR_CONFLICT \(409\): seat-rotation guard: the seat of user 13 in organization 2 was assigned at/);
      t.equal(sim.requests.length, 0);

      t.notOk((await tool('warn-membership', { id: 3, body: { user_id: 13, role: 'AN' } })).isError);
      const warned = await tool('warn-membership', { id: 3, body: { user_id: 13, role: 'DI' } });
      t.notOk(warned.isError, 'forwarded');
      t.match(textOf(warned), /seat-rotation guard \(policy warn\): the seat of user 13 in organization 3/);

      const listed = await tool('list-role-changes', { organization: '2', limit: 3 });
      t.notOk(listed.isError);
      t.same(listed.structuredContent, await page('?organization=2&limit=3'));
      t.equal((await tool('list-role-changes', { limit: 0 })).isError, true);
    });

    await t.test('GET /v1/ledger exports CSV', async (t) => {
      const json = (await page('?organization=1&limit=500')).items;
      for (const variant of [{ path: '/v1/ledger?organization=1&limit=500', headers: { accept: 'text/csv' } }, { path: '/v1/ledger?organization=1&limit=500&format=csv', headers: {} as Record<string, string> }]) {
        const res = await call(base, 'GET', variant.path, undefined, variant.headers);
        t.equal(res.status, 200);
        t.match(res.headers['content-type'], /^text\/csv/);
        const lines = res.text.split('\r\n');
        t.equal(lines.at(-1), '', 'ends with CRLF');
        t.equal(lines[0], 'id,time,operation,exposedAs,adapter,organizationId,userId,oldRole,newRole,callerId,requestId,status,upstreamStatus,errorCode,guard,guardDetail,overrideReason,completedAt,capability,scheduleId');
        t.equal(lines.length - 2, json.length, 'one line per entry');
        t.ok(lines.some((l) => l.includes(',"\'=contract ended, approved by J. Doe",')), 'formula-like text is quoted and neutralized');
      }
    });
  });
}
