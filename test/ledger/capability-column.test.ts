/**
 * Ledger rows carry the capability that declares the operation when the gateway serves a set of several
 * (docs/families.md): shown in /v1/ledger JSON and CSV, filterable; and an embedded store written by the
 * first schema version is migrated in place (its entries read with capability null).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { resolveConfig } from '../../src/settings/index.js';
import { startGateway } from '../../src/gateway.js';
import { openEmbeddedDatabase } from '../../src/ledger/embedded-database.js';
import type { LedgerEntry } from '../../src/ledger/entry.js';
import { SQLITE_SQL } from '../../src/ledger/sql-sqlite.js';
import { startLabelStudio } from '../fixtures/label-studio/simulator.js';
import { call } from './helpers.js';

t.test('a set of capabilities: each entry names its capability', async (t) => {
  const sim = await startLabelStudio();
  t.teardown(() => sim.close());
  const dir = mkdtempSync(join(tmpdir(), 'ngw-ledger-capability-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const env = { LABEL_STUDIO_API_KEY: sim.legacyToken };
  const config = resolveConfig({ capabilities: ['examples/label-studio'], restPort: '0', mcpPort: '0', baseUri: [sim.url], logLevel: 'warn', ledgerDir: join(dir, 'ledger') }, env);
  const gw = await startGateway(config, { env, logDestination: { write: () => undefined } });
  t.teardown(() => gw.close());
  const base = gw.restUrl as string;
  const res = await call(base, 'PATCH', '/v1/api/organizations/1/memberships', { user_id: 14, role: 'RE' });
  t.equal(res.status, 200, res.text);
  const page = (await call(base, 'GET', '/v1/ledger?capability=organizations')).json as { items: LedgerEntry[] };
  t.equal(page.items.length, 1);
  t.match(page.items[0], { capability: 'organizations', userId: '14', newRole: 'RE', status: 'succeeded', scheduleId: null });
  t.same(((await call(base, 'GET', '/v1/ledger?capability=projects')).json as { items: LedgerEntry[] }).items, [], 'the filter selects by capability');
  const csv = await call(base, 'GET', '/v1/ledger?format=csv');
  t.match(csv.text.split('\r\n')[1], /,organizations,$/, 'the CSV has the capability column');
});

t.test('an embedded store of schema version 1 is migrated in place', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ngw-ledger-v1-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const ledgerDir = join(dir, 'ledger');
  const old = await openEmbeddedDatabase(ledgerDir);
  await old.exec(SQLITE_SQL.createMigrationTable);
  await old.exec((SQLITE_SQL.migrations[0] as { sql: string }).sql);
  await old.query(SQLITE_SQL.insertMigration, [1, 'v1', Date.now()]);
  await old.query(
    `INSERT INTO ledger_entries (recorded_at, operation, exposed_as, adapter, organization_id, user_id, new_role, request_id, status, boot_key)
     VALUES (?1, 'sim.enforce', 'enforce-membership', 'rest', '1', '14', 'AN', 'before-the-upgrade', 'succeeded', 1)`,
    [Date.parse('2026-01-01T00:00:00Z')],
  );
  await old.close();
  const sim = await startLabelStudio();
  t.teardown(() => sim.close());
  const env = { LABEL_STUDIO_API_KEY: sim.legacyToken };
  const config = resolveConfig({ capability: 'test/fixtures/capabilities/schedule.yaml', restPort: '0', mcpPort: '0', baseUri: [sim.url], logLevel: 'warn', ledgerDir }, env);
  const gw = await startGateway(config, { env, logDestination: { write: () => undefined } });
  t.teardown(() => gw.close());
  const items = ((await call(gw.restUrl as string, 'GET', '/v1/ledger')).json as { items: LedgerEntry[] }).items;
  t.match(items, [{ requestId: 'before-the-upgrade', capability: null, scheduleId: null, status: 'succeeded' }]);
  t.equal((await call(gw.restUrl as string, 'GET', '/v1/ledger/schedules')).status, 200, 'the schedules table exists');
});
