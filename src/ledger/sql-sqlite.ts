/**
 * The ledger's statements for the embedded SQLite file. Times are INTEGER
 * epoch milliseconds. One process owns the file (exclusive lock) and runs one
 * transaction at a time, so there are no row locks to take and no other
 * writer to ask about: an intent of an earlier process is `unknown` from boot.
 */
import type { LedgerSql, Migration } from './sql.js';

const SCHEDULE_RUN_COLUMNS = `CAST(id AS TEXT) AS id, capability, operation, exposed_as, adapter, inputs, caller_id, caller_scopes, attempts, reschedules`;

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
  {
    version: 2,
    name: 'capability of each entry, scheduled changes',
    sql: `
      ALTER TABLE ledger_entries ADD COLUMN capability TEXT;
      ALTER TABLE ledger_entries ADD COLUMN schedule_id INTEGER;
      CREATE INDEX ledger_entries_schedule ON ledger_entries (schedule_id) WHERE schedule_id IS NOT NULL;
      CREATE TABLE ledger_schedules (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        created_at INTEGER NOT NULL,
        due_at INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('scheduled', 'running', 'succeeded', 'failed', 'unknown', 'cancelled')),
        capability TEXT,
        operation TEXT NOT NULL,
        exposed_as TEXT NOT NULL,
        adapter TEXT NOT NULL,
        organization_id TEXT,
        user_id TEXT,
        new_role TEXT,
        inputs TEXT NOT NULL,
        caller_id TEXT,
        caller_scopes TEXT,
        request_id TEXT NOT NULL,
        blocked_entry_id INTEGER,
        entry_id INTEGER,
        attempts INTEGER NOT NULL DEFAULT 0,
        reschedules INTEGER NOT NULL DEFAULT 0,
        claim_token TEXT,
        lease_until INTEGER,
        detail TEXT,
        completed_at INTEGER
      );
      CREATE INDEX ledger_schedules_due ON ledger_schedules (status, due_at);
    `,
  },
  {
    version: 3,
    name: 'entries without a user (organization changes) stay out of the user and open-change indexes',
    // Both are only searched with a user (`user_id = ?` implies `IS NOT NULL`): two index writes less per change without one.
    sql: `
      DROP INDEX ledger_entries_open;
      CREATE INDEX ledger_entries_open ON ledger_entries (organization_id, user_id) WHERE status IN ('pending', 'unknown') AND user_id IS NOT NULL;
      DROP INDEX ledger_entries_user;
      CREATE INDEX ledger_entries_user ON ledger_entries (user_id, id) WHERE user_id IS NOT NULL;
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
        new_role, caller_id, request_id, status, error_code, guard, guard_detail, override_reason, boot_key, prev_active_since, deadline_at,
        capability, schedule_id)
      VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, CAST(?21 AS INTEGER))
      RETURNING CAST(id AS TEXT) AS id`,
  updateSeat: 'UPDATE ledger_seats SET role = ?3, active_since = ?4, last_entry_id = CAST(?5 AS INTEGER) WHERE organization_id = ?1 AND user_id = ?2',
  touchOrganization: 'UPDATE ledger_organizations SET last_change_at = ?2 WHERE organization_id = ?1',
  completeEntry: `UPDATE ledger_entries SET status = ?2, upstream_status = ?3, error_code = ?4, completed_at = ?5
      WHERE id = CAST(?1 AS INTEGER) AND status IN ('pending', 'unknown')
      RETURNING organization_id, user_id, old_role, prev_active_since AS prev_ms`,
  finishEntry: `UPDATE ledger_entries SET status = ?2, upstream_status = ?3, error_code = ?4, completed_at = ?5
      WHERE id = CAST(?1 AS INTEGER) AND status IN ('pending', 'unknown')`,
  restoreSeat: `UPDATE ledger_seats SET role = ?3, active_since = ?4, last_entry_id = NULL
      WHERE organization_id = ?1 AND user_id = ?2 AND last_entry_id = CAST(?5 AS INTEGER)`,
  markAbandoned: "UPDATE ledger_entries SET status = 'unknown' WHERE status = 'pending' AND boot_key <> ?1 RETURNING CAST(id AS TEXT) AS id",
  entryColumns: `CAST(e.id AS TEXT) AS id, e.recorded_at AS recorded_ms, e.operation, e.exposed_as, e.adapter,
    e.organization_id, e.user_id, e.old_role, e.new_role, e.caller_id, e.request_id, e.status AS status,
    e.upstream_status, e.error_code, e.guard, e.guard_detail, e.override_reason, e.completed_at AS completed_ms,
    e.capability, CAST(e.schedule_id AS TEXT) AS schedule_id`,
  status: 'e.status',
  insertSchedule: `INSERT INTO ledger_schedules (created_at, due_at, status, capability, operation, exposed_as, adapter, organization_id, user_id,
        new_role, inputs, caller_id, caller_scopes, request_id, blocked_entry_id, detail)
      VALUES (?1, ?2, 'scheduled', ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, CAST(?14 AS INTEGER), ?15)
      RETURNING CAST(id AS TEXT) AS id`,
  linkEntry: 'UPDATE ledger_entries SET schedule_id = CAST(?2 AS INTEGER) WHERE id = CAST(?1 AS INTEGER)',
  // One process owns the file and runs one transaction at a time: selecting and updating in one statement is the claim.
  claimSchedule: `UPDATE ledger_schedules SET status = 'running', claim_token = ?2, lease_until = ?3, attempts = attempts + 1
      WHERE id = (SELECT id FROM ledger_schedules
        WHERE (status = 'scheduled' AND due_at <= ?1) OR (status = 'running' AND entry_id IS NULL AND lease_until < ?1)
        ORDER BY due_at, id LIMIT 1)
      RETURNING ${SCHEDULE_RUN_COLUMNS}`,
  lockClaim: `SELECT CAST(id AS TEXT) AS id FROM ledger_schedules WHERE id = CAST(?1 AS INTEGER) AND status = 'running' AND claim_token = ?2 AND entry_id IS NULL`,
  startRun: 'UPDATE ledger_schedules SET entry_id = CAST(?2 AS INTEGER) WHERE id = CAST(?1 AS INTEGER)',
  reschedule: `UPDATE ledger_schedules SET status = ?2, due_at = ?3, reschedules = reschedules + 1, claim_token = NULL, lease_until = NULL, detail = ?4,
        completed_at = ?5
      WHERE id = CAST(?1 AS INTEGER)`,
  releaseClaim: `UPDATE ledger_schedules SET status = 'scheduled', claim_token = NULL, lease_until = NULL
      WHERE id = CAST(?1 AS INTEGER) AND claim_token = ?2 AND entry_id IS NULL AND status = 'running'`,
  finishSchedule: `UPDATE ledger_schedules SET status = ?2, completed_at = ?3, detail = ?4 WHERE entry_id = CAST(?1 AS INTEGER) AND status = 'running'`,
  cancelSchedule: `UPDATE ledger_schedules SET status = 'cancelled', completed_at = ?2, detail = ?3
      WHERE id = CAST(?1 AS INTEGER) AND status = 'scheduled' RETURNING CAST(id AS TEXT) AS id`,
  nextDue: `SELECT MIN(CASE WHEN status = 'scheduled' THEN due_at ELSE lease_until END) AS due_ms FROM ledger_schedules
      WHERE status = 'scheduled' OR (status = 'running' AND entry_id IS NULL)`,
  scheduleColumns: `CAST(s.id AS TEXT) AS id, s.created_at AS created_ms, s.due_at AS due_ms,
    CASE WHEN s.status = 'running' AND s.entry_id IS NOT NULL
      THEN (SELECT CASE e.status WHEN 'pending' THEN 'running' ELSE e.status END FROM ledger_entries e WHERE e.id = s.entry_id)
      ELSE s.status END AS status,
    s.capability, s.operation, s.exposed_as, s.adapter, s.organization_id, s.user_id, s.new_role, s.caller_id, s.request_id,
    CAST(s.blocked_entry_id AS TEXT) AS blocked_entry_id, CAST(s.entry_id AS TEXT) AS entry_id, s.attempts, s.reschedules, s.detail,
    s.completed_at AS completed_ms`,
  placeholder: (n) => `?${n}`,
  timeParam: (n) => `?${n}`,
  idParam: (n) => `CAST(?${n} AS INTEGER)`,
};
