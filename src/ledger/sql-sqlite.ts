/**
 * The ledger's statements for the embedded SQLite file. Times are INTEGER
 * epoch milliseconds. One process owns the file (exclusive lock) and runs one
 * transaction at a time, so there are no row locks to take and no other
 * writer to ask about: an intent of an earlier process is `unknown` from boot.
 */
import type { LedgerSql, Migration } from './sql.js';

const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'ledger entries, seats and organizations',
    sql: `
      CREATE TABLE ledger_entries (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        recorded_at INTEGER NOT NULL,
        completed_at INTEGER,
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
        prev_active_since INTEGER,
        deadline_at INTEGER
      );
      CREATE INDEX ledger_entries_organization ON ledger_entries (organization_id, id);
      CREATE INDEX ledger_entries_user ON ledger_entries (user_id, id);
      CREATE INDEX ledger_entries_recorded_at ON ledger_entries (recorded_at);
      CREATE INDEX ledger_entries_open ON ledger_entries (organization_id, user_id) WHERE status IN ('pending', 'unknown');
      CREATE TABLE ledger_seats (
        organization_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        role TEXT,
        active_since INTEGER,
        last_entry_id INTEGER,
        PRIMARY KEY (organization_id, user_id)
      );
      CREATE TABLE ledger_organizations (
        organization_id TEXT PRIMARY KEY,
        last_change_at INTEGER
      );
    `,
  },
];

/** SQLITE_SQL is the SQLite dialect of the ledger. */
export const SQLITE_SQL: LedgerSql = {
  migrations: MIGRATIONS,
  createMigrationTable: `CREATE TABLE IF NOT EXISTS ledger_migrations (
      version INTEGER PRIMARY KEY,
      name TEXT NOT NULL,
      applied_at INTEGER NOT NULL
    )`,
  migrationLock: undefined,
  selectMigrations: 'SELECT version FROM ledger_migrations',
  insertMigration: 'INSERT INTO ledger_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)',
  lockOrganization: `INSERT INTO ledger_organizations (organization_id) VALUES (?1)
      ON CONFLICT (organization_id) DO UPDATE SET organization_id = excluded.organization_id
      RETURNING last_change_at AS last_ms`,
  lockSeat: `INSERT INTO ledger_seats (organization_id, user_id) VALUES (?1, ?2)
      ON CONFLICT (organization_id, user_id) DO UPDATE SET user_id = excluded.user_id
      RETURNING role, active_since AS active_ms`,
  inFlightChange: `SELECT CAST(e.id AS TEXT) AS id, e.request_id, e.recorded_at AS recorded_ms, e.deadline_at AS deadline_ms FROM ledger_entries e
      WHERE e.organization_id = ?1 AND e.user_id = ?2 AND e.status IN ('pending', 'unknown')
        AND (e.deadline_at > ?3 OR (e.status = 'pending' AND e.boot_key = ?4))
      ORDER BY e.id LIMIT 1`,
  insertEntry: `INSERT INTO ledger_entries (recorded_at, completed_at, operation, exposed_as, adapter, organization_id, user_id, old_role,
        new_role, caller_id, request_id, status, error_code, guard, guard_detail, override_reason, boot_key, prev_active_since, deadline_at)
      VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)
      RETURNING CAST(id AS TEXT) AS id`,
  updateSeat: 'UPDATE ledger_seats SET role = ?3, active_since = ?4, last_entry_id = CAST(?5 AS INTEGER) WHERE organization_id = ?1 AND user_id = ?2',
  touchOrganization: 'UPDATE ledger_organizations SET last_change_at = ?2 WHERE organization_id = ?1',
  completeEntry: `UPDATE ledger_entries SET status = ?2, upstream_status = ?3, error_code = ?4, completed_at = ?5
      WHERE id = CAST(?1 AS INTEGER) AND status IN ('pending', 'unknown')
      RETURNING organization_id, user_id, old_role, prev_active_since AS prev_ms`,
  restoreSeat: `UPDATE ledger_seats SET role = ?3, active_since = ?4, last_entry_id = NULL
      WHERE organization_id = ?1 AND user_id = ?2 AND last_entry_id = CAST(?5 AS INTEGER)`,
  markAbandoned: "UPDATE ledger_entries SET status = 'unknown' WHERE status = 'pending' AND boot_key <> ?1 RETURNING CAST(id AS TEXT) AS id",
  entryColumns: `CAST(e.id AS TEXT) AS id, e.recorded_at AS recorded_ms, e.operation, e.exposed_as, e.adapter,
    e.organization_id, e.user_id, e.old_role, e.new_role, e.caller_id, e.request_id, e.status AS status,
    e.upstream_status, e.error_code, e.guard, e.guard_detail, e.override_reason, e.completed_at AS completed_ms`,
  status: 'e.status',
  placeholder: (n) => `?${n}`,
  timeParam: (n) => `?${n}`,
  idParam: (n) => `CAST(?${n} AS INTEGER)`,
};
