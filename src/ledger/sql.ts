/**
 * The ledger's statements, written once per dialect (SQLite for the embedded
 * file, PostgreSQL for replicas). Both take the same parameters in the same
 * order — times as epoch milliseconds, ids as text — and return the same
 * columns, so the store and the list never branch on the dialect.
 */
import type { SqlDialect } from './database.js';
import { POSTGRES_SQL } from './sql-postgres.js';
import { SQLITE_SQL } from './sql-sqlite.js';

/** Migration is one schema version. Never edit a released migration: add the next version. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/** LedgerSql is every statement the ledger runs. Parameters are listed in `(…)` in each comment. */
export interface LedgerSql {
  readonly migrations: readonly Migration[];
  /** Creates the version table if missing. */
  readonly createMigrationTable: string;
  /** Serializes replicas migrating together (PostgreSQL); undefined when the file lock already does. */
  readonly migrationLock: string | undefined;
  readonly selectMigrations: string;
  /** (version, name, appliedMs) */
  readonly insertMigration: string;
  /** (organization) → last_ms: creates the row or locks it. */
  readonly lockOrganization: string;
  /** (organization, user) → role, active_ms: creates the row or locks it. */
  readonly lockSeat: string;
  /**
   * (organization, user, nowMs, bootKey) → id, request_id, recorded_ms, deadline_ms: the oldest change to the seat that
   * may still be running upstream: its gateway is alive, or its upstream deadline has not passed yet.
   */
  readonly inFlightChange: string;
  /**
   * (recordedMs, completedMs, operation, exposedAs, adapter, organization, user, oldRole, newRole, caller,
   *  requestId, status, errorCode, guard, guardDetail, overrideReason, bootKey, prevActiveSinceMs, deadlineMs, capability, scheduleId) → id
   */
  readonly insertEntry: string;
  /** (organization, user, role, activeSinceMs, entryId) */
  readonly updateSeat: string;
  /** (organization, nowMs) */
  readonly touchOrganization: string;
  /** (entryId, status, upstreamStatus, errorCode, completedMs) → organization_id, user_id, old_role, prev_ms */
  readonly completeEntry: string;
  /** (entryId, status, upstreamStatus, errorCode, completedMs): completeEntry without reading the row back (no seat to restore). */
  readonly finishEntry: string;
  /** (organization, user, role, activeSinceMs, entryId): undo a failed change's seat update, if still the last one. */
  readonly restoreSeat: string;
  /** (bootKey) → id: pending intents of processes that are gone become `unknown`. */
  readonly markAbandoned: string;
  /** Columns of an EntryRow selected from `ledger_entries e`. */
  readonly entryColumns: string;
  /** The entry's status as clients see it (derives `unknown` where the database can tell a writer is gone). */
  readonly status: string;
  /**
   * (createdMs, dueMs, capability, operation, exposedAs, adapter, organization, user, newRole, inputsJson, caller, callerScopes,
   *  requestId, blockedEntryId, detail) → id
   */
  readonly insertSchedule: string;
  /** (entryId, scheduleId): the refused attempt's entry names the schedule it created. */
  readonly linkEntry: string;
  /** (nowMs, claimToken, leaseUntilMs) → ScheduleRunRow: claims the earliest due schedule (or one whose runner's lease ran out before it ran). */
  readonly claimSchedule: string;
  /** (scheduleId, claimToken) → id when the claim is still this runner's and no run started (locks the row). */
  readonly lockClaim: string;
  /** (scheduleId, entryId): the run's intent is recorded; from here on the entry tells how it went. */
  readonly startRun: string;
  /** (scheduleId, status, dueMs, detail, completedMs): the guard refused the run again: due later, or failed past the bound. */
  readonly reschedule: string;
  /** (scheduleId, claimToken): a claimed run that did not start (the gateway is stopping) goes back to the queue. */
  readonly releaseClaim: string;
  /** (entryId, status, completedMs, detail): the run's outcome. */
  readonly finishSchedule: string;
  /** (scheduleId, completedMs, detail) → id when it was still waiting. */
  readonly cancelSchedule: string;
  /** () → due_ms: when the earliest waiting schedule is due, or a claim that never started runs out of lease. */
  readonly nextDue: string;
  /** Columns of a ScheduleRow selected from `ledger_schedules s` (the status of a started run derives from its entry). */
  readonly scheduleColumns: string;
  /** placeholder is parameter number `n` (1-based). */
  placeholder(n: number): string;
  /** timeParam is parameter `n` holding epoch ms, comparable with a time column. */
  timeParam(n: number): string;
  /** idParam is parameter `n` holding an entry id as text, comparable with `e.id`. */
  idParam(n: number): string;
}

/** sqlFor returns the statements of a dialect. */
export function sqlFor(dialect: SqlDialect): LedgerSql {
  return dialect === 'sqlite' ? SQLITE_SQL : POSTGRES_SQL;
}
