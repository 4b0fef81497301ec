/**
 * Group commit on the ledger's databases: many concurrent changes (intents and outcomes written together, one
 * COMMIT and one sync for many) lose nothing and mix nothing up, on the embedded store and on PostgreSQL; on the
 * embedded store a failing statement or transaction in a batch is rolled back alone, and reads see what was
 * written before them.
 */
import t from 'tap';
import pino from 'pino';
import { openLedger, type Ledger } from '../../src/ledger/index.js';
import { openEmbeddedDatabase } from '../../src/ledger/embedded-database.js';
import { migrate } from '../../src/ledger/migrations.js';
import type { Intent } from '../../src/ledger/store.js';
import type { LedgerConfig } from '../../src/ledger/config.js';
import { ADMIN_URL, createDatabase, embeddedTarget, NO_POSTGRES, type LedgerTarget } from './helpers.js';

const logger = pino({ level: 'silent' });

const postgresTarget: LedgerTarget = {
  name: 'postgres',
  async create(t) {
    return { mode: 'postgres', url: await createDatabase(t, ADMIN_URL as string), clockOffsetMs: 0 };
  },
};

function intent(i: number, userId: string | undefined): Intent {
  return {
    operation: 'orgs.update', exposedAs: 'updateorganization', adapter: 'rest', organizationId: String(1 + (i % 3)), userId,
    newRole: userId === undefined ? undefined : 'AN', callerId: undefined, requestId: `req-${i}`, guard: undefined,
    overrideReason: undefined, upstreamTimeoutMs: 30_000, capability: undefined,
  };
}

async function open(config: LedgerConfig): Promise<Ledger> {
  const ledger = await openLedger(config, logger, { capabilityPath: '/nonexistent/capability.yaml', env: {}, upstreamTimeoutMs: 30_000 });
  if (ledger === undefined) throw new Error('the ledger did not open');
  return ledger;
}

for (const target of [embeddedTarget, postgresTarget]) {
  t.test(`${target.name}: 300 concurrent changes, each intent before its outcome, all recorded as they ended`, { skip: target.name === 'postgres' && ADMIN_URL === undefined ? NO_POSTGRES : false }, async (t) => {
    const config = await target.create(t);
    const ledger = await open(config);
    let closed = false;
    t.teardown(() => (closed ? undefined : ledger.close()));
    const N = 300;
    const statuses = ['succeeded', 'failed', 'unknown'] as const;
    let pendingSeen = 0;
    const ids = await Promise.all(
      Array.from({ length: N }, async (_, i) => {
        // Every third change is a seat (a transaction), the others one INSERT each: both kinds share batches.
        const { entryId } = await ledger.store.recordIntent(intent(i, i % 3 === 0 ? String(100 + i) : undefined));
        // An intent is readable (so durable) before its outcome is written.
        const pending = await ledger.db.query<{ status: string }>(`SELECT status FROM ledger_entries WHERE request_id = ${ledger.db.dialect === 'sqlite' ? '?1' : '$1'}`, [`req-${i}`]);
        if (pending[0]?.status === 'pending') pendingSeen++;
        const status = statuses[i % 3] as (typeof statuses)[number];
        await ledger.store.recordOutcome(entryId, { status, upstreamStatus: status === 'unknown' ? undefined : status === 'failed' ? 500 : 200, errorCode: undefined });
        return entryId;
      }),
    );
    t.equal(pendingSeen, N, 'every intent is recorded (pending) before its outcome is written');
    t.equal(new Set(ids).size, N, 'every change has its own entry');
    await ledger.close();
    closed = true;
    // Reopened: what was acknowledged is there (the embedded file was closed and its WAL checkpointed).
    const again = await open(config);
    t.teardown(() => again.close());
    const rows = await again.db.query<{ request_id: string; status: string; upstream_status: number | null; completed_ms: number | null }>(
      'SELECT request_id, status, upstream_status, completed_at AS completed_ms FROM ledger_entries',
    );
    t.equal(rows.length, N, 'one row per change');
    const byRequest = new Map(rows.map((r) => [r.request_id, r]));
    let right = 0;
    for (let i = 0; i < N; i++) {
      const row = byRequest.get(`req-${i}`);
      const status = statuses[i % 3];
      if (row !== undefined && row.status === status && (status === 'unknown' || Number(row.upstream_status) === (status === 'failed' ? 500 : 200)) && row.completed_ms !== null) right++;
    }
    t.equal(right, N, 'every entry carries its own outcome');
  });
}

t.test('embedded: a failing statement or transaction in a batch is rolled back alone; reads see earlier writes', async (t) => {
  const { dir } = (await embeddedTarget.create(t)) as { dir: string };
  const db = await openEmbeddedDatabase(dir);
  t.teardown(() => db.close());
  await migrate(db);
  const insert = 'INSERT INTO ledger_organizations (organization_id, last_change_at) VALUES (?1, ?2)';
  // Submitted in one turn of the event loop, so they run in one batch (one transaction).
  const results = await Promise.allSettled([
    db.query(insert, ['a', 1]),
    db.query(insert, ['a', 2]), // primary key violation: this statement alone fails
    db.transaction(async (tx) => {
      await tx.query(insert, ['b', 3]);
      throw new Error('the transaction gives up after a write');
    }),
    db.transaction(async (tx) => {
      await tx.query(insert, ['c', 4]);
      return (await tx.one<{ n: number }>('SELECT COUNT(*) AS n FROM ledger_organizations'))?.n;
    }),
    db.query<{ organization_id: string }>('SELECT organization_id FROM ledger_organizations ORDER BY organization_id'),
  ]);
  t.same(results.map((r) => r.status), ['fulfilled', 'rejected', 'rejected', 'fulfilled', 'fulfilled']);
  t.match(String((results[1] as PromiseRejectedResult).reason), /UNIQUE|constraint/i, 'the duplicate is refused');
  t.equal((results[3] as PromiseFulfilledResult<unknown>).value, 2, 'the transaction sees the batch so far without the failed ones');
  t.same((results[4] as PromiseFulfilledResult<unknown>).value, [{ organization_id: 'a' }, { organization_id: 'c' }], 'a read sees the writes submitted before it');
  const rows = await db.query<{ organization_id: string; last_change_at: number }>('SELECT organization_id, last_change_at FROM ledger_organizations ORDER BY organization_id');
  t.same(rows, [{ organization_id: 'a', last_change_at: 1 }, { organization_id: 'c', last_change_at: 4 }], 'only the successful writes were committed');
  // Later batches go on normally.
  await db.query(insert, ['d', 5]);
  t.equal((await db.one<{ n: number }>('SELECT COUNT(*) AS n FROM ledger_organizations'))?.n, 3);
});
