/**
 * The ledger's statements for PostgreSQL (replicas sharing one server). Row
 * locks taken by INSERT … ON CONFLICT DO UPDATE serialize changes to one seat
 * and one organization across replicas; a replica's liveness is its session
 * advisory lock, visible to the others in `pg_locks`.
 */
import { BOOT_LOCK_NAMESPACE } from './entry.js';
import type { LedgerSql, Migration } from './sql.js';

const MIGRATIONS: readonly Migration[] = [
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
  {
    version: 2,
    name: 'upstream deadline of each change',
    sql: `
      ALTER TABLE ledger_entries ADD COLUMN deadline_at TIMESTAMPTZ;
      CREATE INDEX ledger_entries_open ON ledger_entries (organization_id, user_id) WHERE status IN ('pending', 'unknown');
    `,
  },
  {
    version: 3,
    name: 'capability of each entry, scheduled changes',
    sql: `
      ALTER TABLE ledger_entries ADD COLUMN capability TEXT;
      ALTER TABLE ledger_entries ADD COLUMN schedule_id BIGINT;
      CREATE INDEX ledger_entries_schedule ON ledger_entries (schedule_id) WHERE schedule_id IS NOT NULL;
      CREATE TABLE ledger_schedules (
        id BIGSERIAL PRIMARY KEY,
        created_at TIMESTAMPTZ NOT NULL,
        due_at TIMESTAMPTZ NOT NULL,
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
        blocked_entry_id BIGINT,
        entry_id BIGINT,
        attempts INTEGER NOT NULL DEFAULT 0,
        reschedules INTEGER NOT NULL DEFAULT 0,
        claim_token TEXT,
        lease_until TIMESTAMPTZ,
        detail TEXT,
        completed_at TIMESTAMPTZ
      );
      CREATE INDEX ledger_schedules_due ON ledger_schedules (status, due_at);
    `,
  },
];

const SCHEDULE_RUN_COLUMNS = 'id::text AS id, capability, operation, exposed_as, adapter, inputs, caller_id, caller_scopes, attempts, reschedules';

/** t converts epoch-ms parameter `n` to timestamptz. */
const t = (n: number): string => `to_timestamp($${n}::float8 / 1000)`;
/** ms reads a timestamptz column as epoch ms (float8 reads as a number in `pg`). */
const ms = (column: string): string => `(extract(epoch FROM ${column}) * 1000)::float8`;

/** HOLDS_LOCK: the process that wrote entry `e` still holds its session advisory lock (its connection is up). */
const HOLDS_LOCK = `EXISTS (SELECT 1 FROM pg_locks l
  WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
    AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
    AND l.classid::bigint = ${BOOT_LOCK_NAMESPACE} AND l.objid::bigint = e.boot_key)`;
/** alive: written by this process (boot key parameter) or one still holding its lock. */
const alive = (bootKeyParam: string): string => `(e.boot_key = ${bootKeyParam} OR ${HOLDS_LOCK})`;
const STATUS = `CASE WHEN e.status = 'pending' AND NOT ${HOLDS_LOCK} THEN 'unknown' ELSE e.status END`;

/** POSTGRES_SQL is the PostgreSQL dialect of the ledger. */
export const POSTGRES_SQL: LedgerSql = {
  migrations: MIGRATIONS,
  createMigrationTable: `CREATE TABLE IF NOT EXISTS ledger_migrations (
      version INTEGER PRIMARY KEY,
      name TEXT NOT NULL,
      applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
    )`,
  migrationLock: 'SELECT pg_advisory_xact_lock(5130071, 0)',
  selectMigrations: 'SELECT version FROM ledger_migrations',
  insertMigration: `INSERT INTO ledger_migrations (version, name, applied_at) VALUES ($1, $2, ${t(3)})`,
  // The no-op SET is what makes PostgreSQL take the row lock on an existing row.
  lockOrganization: `INSERT INTO ledger_organizations AS o (organization_id) VALUES ($1)
      ON CONFLICT (organization_id) DO UPDATE SET organization_id = o.organization_id
      RETURNING ${ms('o.last_change_at')} AS last_ms`,
  lockSeat: `INSERT INTO ledger_seats AS s (organization_id, user_id) VALUES ($1, $2)
      ON CONFLICT (organization_id, user_id) DO UPDATE SET user_id = s.user_id
      RETURNING s.role, ${ms('s.active_since')} AS active_ms`,
  inFlightChange: `SELECT e.id::text AS id, e.request_id, ${ms('e.recorded_at')} AS recorded_ms, ${ms('e.deadline_at')} AS deadline_ms FROM ledger_entries e
      WHERE e.organization_id = $1 AND e.user_id = $2 AND e.status IN ('pending', 'unknown')
        AND (e.deadline_at > ${t(3)} OR (e.status = 'pending' AND ${alive('$4::int')}))
      ORDER BY e.id LIMIT 1`,
  insertEntry: `INSERT INTO ledger_entries (recorded_at, completed_at, operation, exposed_as, adapter, organization_id, user_id, old_role,
        new_role, caller_id, request_id, status, error_code, guard, guard_detail, override_reason, boot_key, prev_active_since, deadline_at,
        capability, schedule_id)
      VALUES (${t(1)}, ${t(2)}, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, ${t(18)}, ${t(19)}, $20, $21::bigint)
      RETURNING id::text AS id`,
  updateSeat: `UPDATE ledger_seats SET role = $3, active_since = ${t(4)}, last_entry_id = $5::bigint WHERE organization_id = $1 AND user_id = $2`,
  touchOrganization: `UPDATE ledger_organizations SET last_change_at = ${t(2)} WHERE organization_id = $1`,
  completeEntry: `UPDATE ledger_entries SET status = $2, upstream_status = $3, error_code = $4, completed_at = ${t(5)}
      WHERE id = $1::bigint AND status IN ('pending', 'unknown')
      RETURNING organization_id, user_id, old_role, ${ms('prev_active_since')} AS prev_ms`,
  finishEntry: `UPDATE ledger_entries SET status = $2, upstream_status = $3, error_code = $4, completed_at = ${t(5)}
      WHERE id = $1::bigint AND status IN ('pending', 'unknown')`,
  restoreSeat: `UPDATE ledger_seats SET role = $3, active_since = ${t(4)}, last_entry_id = NULL
      WHERE organization_id = $1 AND user_id = $2 AND last_entry_id = $5::bigint`,
  markAbandoned: `UPDATE ledger_entries e SET status = 'unknown' WHERE e.status = 'pending' AND NOT ${alive('$1::int')} RETURNING e.id::text AS id`,
  entryColumns: `e.id::text AS id, ${ms('e.recorded_at')} AS recorded_ms, e.operation, e.exposed_as, e.adapter,
    e.organization_id, e.user_id, e.old_role, e.new_role, e.caller_id, e.request_id, ${STATUS} AS status,
    e.upstream_status, e.error_code, e.guard, e.guard_detail, e.override_reason, ${ms('e.completed_at')} AS completed_ms,
    e.capability, e.schedule_id::text AS schedule_id`,
  status: STATUS,
  insertSchedule: `INSERT INTO ledger_schedules (created_at, due_at, status, capability, operation, exposed_as, adapter, organization_id, user_id,
        new_role, inputs, caller_id, caller_scopes, request_id, blocked_entry_id, detail)
      VALUES (${t(1)}, ${t(2)}, 'scheduled', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14::bigint, $15)
      RETURNING id::text AS id`,
  linkEntry: 'UPDATE ledger_entries SET schedule_id = $2::bigint WHERE id = $1::bigint',
  // SKIP LOCKED: replicas polling together each take a different due row, none waits on another's claim.
  claimSchedule: `UPDATE ledger_schedules SET status = 'running', claim_token = $2, lease_until = ${t(3)}, attempts = attempts + 1
      WHERE id = (SELECT id FROM ledger_schedules
        WHERE (status = 'scheduled' AND due_at <= ${t(1)}) OR (status = 'running' AND entry_id IS NULL AND lease_until < ${t(1)})
        ORDER BY due_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
      RETURNING ${SCHEDULE_RUN_COLUMNS}`,
  lockClaim: `SELECT id::text AS id FROM ledger_schedules WHERE id = $1::bigint AND status = 'running' AND claim_token = $2 AND entry_id IS NULL FOR UPDATE`,
  startRun: 'UPDATE ledger_schedules SET entry_id = $2::bigint WHERE id = $1::bigint',
  reschedule: `UPDATE ledger_schedules SET status = $2, due_at = ${t(3)}, reschedules = reschedules + 1, claim_token = NULL, lease_until = NULL, detail = $4,
        completed_at = ${t(5)}
      WHERE id = $1::bigint`,
  releaseClaim: `UPDATE ledger_schedules SET status = 'scheduled', claim_token = NULL, lease_until = NULL
      WHERE id = $1::bigint AND claim_token = $2 AND entry_id IS NULL AND status = 'running'`,
  finishSchedule: `UPDATE ledger_schedules SET status = $2, completed_at = ${t(3)}, detail = $4 WHERE entry_id = $1::bigint AND status = 'running'`,
  cancelSchedule: `UPDATE ledger_schedules SET status = 'cancelled', completed_at = ${t(2)}, detail = $3
      WHERE id = $1::bigint AND status = 'scheduled' RETURNING id::text AS id`,
  nextDue: `SELECT ${ms("MIN(CASE WHEN status = 'scheduled' THEN due_at ELSE lease_until END)")} AS due_ms FROM ledger_schedules
      WHERE status = 'scheduled' OR (status = 'running' AND entry_id IS NULL)`,
  scheduleColumns: `s.id::text AS id, ${ms('s.created_at')} AS created_ms, ${ms('s.due_at')} AS due_ms,
    CASE WHEN s.status = 'running' AND s.entry_id IS NOT NULL
      THEN (SELECT CASE ${STATUS} WHEN 'pending' THEN 'running' ELSE ${STATUS} END FROM ledger_entries e WHERE e.id = s.entry_id)
      ELSE s.status END AS status,
    s.capability, s.operation, s.exposed_as, s.adapter, s.organization_id, s.user_id, s.new_role, s.caller_id, s.request_id,
    s.blocked_entry_id::text AS blocked_entry_id, s.entry_id::text AS entry_id, s.attempts, s.reschedules, s.detail,
    ${ms('s.completed_at')} AS completed_ms`,
  placeholder: (n) => `$${n}`,
  timeParam: t,
  idParam: (n) => `$${n}::bigint`,
};
