/**
 * Versioned schema migrations, applied at startup in one transaction under
 * an advisory lock, so replicas booting together apply each version once.
 * Never edit a released migration: add the next version.
 */
import type { LedgerDatabase } from './database.js';

/** Migration is one schema version. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/** MIGRATION_LOCK is the advisory lock (namespace, key) that serializes migrations. */
export const MIGRATION_LOCK = [0x4e4757, 0] as const;

/** MIGRATIONS in version order. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'ledger entries, seats and organizations',
    sql: `
      CREATE TABLE ledger_entries (
        id BIGSERIAL PRIMARY KEY,
        recorded_at TIMESTAMPTZ NOT NULL,
        completed_at TIMESTAMPTZ,
        operation TEXT NOT NULL,
        exposed_as TEXT NOT NULL,
        adapter TEXT NOT NULL,
        organization_id TEXT,
        user_id TEXT,
        old_role TEXT,
        new_role TEXT,
        caller_id TEXT,
        request_id TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed', 'blocked', 'unknown')),
        upstream_status INTEGER,
        error_code TEXT,
        guard TEXT CHECK (guard IN ('allowed', 'warned', 'overridden', 'blocked')),
        guard_detail TEXT,
        override_reason TEXT,
        boot_key INTEGER NOT NULL,
        prev_active_since TIMESTAMPTZ
      );
      CREATE INDEX ledger_entries_organization ON ledger_entries (organization_id, id);
      CREATE INDEX ledger_entries_user ON ledger_entries (user_id, id);
      CREATE INDEX ledger_entries_recorded_at ON ledger_entries (recorded_at);
      CREATE INDEX ledger_entries_pending ON ledger_entries (organization_id, user_id) WHERE status = 'pending';
      CREATE TABLE ledger_seats (
        organization_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        role TEXT,
        active_since TIMESTAMPTZ,
        last_entry_id BIGINT,
        PRIMARY KEY (organization_id, user_id)
      );
      CREATE TABLE ledger_organizations (
        organization_id TEXT PRIMARY KEY,
        last_change_at TIMESTAMPTZ
      );
    `,
  },
];

/** migrate applies every migration newer than the database's version; returns the versions applied. */
export async function migrate(db: LedgerDatabase, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1, $2)', MIGRATION_LOCK);
    await tx.exec(`CREATE TABLE IF NOT EXISTS ledger_migrations (
      version INTEGER PRIMARY KEY,
      name TEXT NOT NULL,
      applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
    )`);
    const rows = await tx.query<{ version: number }>('SELECT version FROM ledger_migrations');
    const done = new Set(rows.map((r) => Number(r.version)));
    const applied: number[] = [];
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      await tx.exec(m.sql);
      await tx.query('INSERT INTO ledger_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      applied.push(m.version);
    }
    return applied;
  });
}
