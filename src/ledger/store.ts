/**
 * Writing the ledger: the intent before the upstream call (with the seat
 * guard's check in the same transaction, under row locks on the seat and the
 * organization, so replicas sharing one PostgreSQL cannot both rotate a seat),
 * and the outcome after it. The SQL comes from the database's dialect.
 */
import type { SeatGuardModel } from '../capability/ledger-extension.js';
import type { LedgerDatabase, SqlRunner } from './database.js';
import type { EntryStatus, GuardVerdict } from './entry.js';
import { findViolation, nextActiveSince, type PendingChange, type SeatState, type Violation } from './seat-guard.js';
import { MAX_RESCHEDULES, type ScheduleRunRow } from './schedule.js';
import { sqlFor, type LedgerSql } from './sql.js';

/** Clock returns epoch milliseconds; tests inject an offset clock. */
export type Clock = () => number;

/**
 * IN_FLIGHT_GRACE_MS is added to a change's upstream deadline before the seat counts as free again when its
 * gateway looks dead: it covers clock skew between replicas and the upstream finishing a request the gateway
 * already gave up on.
 */
export const IN_FLIGHT_GRACE_MS = 5_000;

/** Intent is what a mutating call is about to do. */
export interface Intent {
  readonly operation: string;
  readonly exposedAs: string;
  readonly adapter: string;
  readonly organizationId: string | undefined;
  readonly userId: string | undefined;
  readonly newRole: string | undefined;
  readonly callerId: string | undefined;
  readonly requestId: string;
  readonly guard: SeatGuardModel | undefined;
  /** A permitted override's reason; only used when the guard would block. */
  readonly overrideReason: string | undefined;
  /** How long the upstream call may take (its deadline, retries included). */
  readonly upstreamTimeoutMs: number;
  /** The capability that declares the operation (in a set of several), for the entry. */
  readonly capability: string | undefined;
  /** When set and the guard refuses with a time it would allow the change: schedule it (these inputs) instead. */
  readonly scheduling?: ScheduleRequest | undefined;
  /** When set, the intent is the run of this claimed schedule. */
  readonly run?: { readonly id: string; readonly token: string } | undefined;
}

/** ScheduleRequest is what a refused change needs to run later. */
export interface ScheduleRequest {
  readonly inputsJson: string;
  readonly callerScopes: string | undefined;
}

/** ScheduleLostError: a runner's claim on a schedule was taken over (its lease ran out) or the schedule was cancelled. */
export class ScheduleLostError extends Error {
  override name = 'ScheduleLostError';
}

/** IntentResult is the recorded entry and the guard's verdict. */
export interface IntentResult {
  readonly entryId: string;
  readonly oldRole: string | null;
  readonly verdict: GuardVerdict | undefined;
  readonly violation: Violation | undefined;
  /** When the intent was recorded (inside the transaction, after its locks). */
  readonly recordedMs: number;
  /** The schedule a refused change was turned into, and when it is due. */
  readonly scheduled?: { readonly id: string; readonly dueMs: number } | undefined;
}

/** OutcomeRecord is how a call ended. */
export interface OutcomeRecord {
  readonly status: Exclude<EntryStatus, 'pending' | 'blocked'>;
  readonly upstreamStatus: number | undefined;
  readonly errorCode: string | undefined;
}

const NO_SEAT: SeatState = { role: null, activeSinceMs: null };

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Math.round(Number(v)));

function verdictFor(guard: SeatGuardModel, violation: Violation | undefined, overrideReason: string | undefined): GuardVerdict {
  if (violation === undefined) return 'allowed';
  // Neither `warn` nor an override lifts the one-change-at-a-time rule, only the rotation rules: two calls racing
  // upstream leave the seat in whichever state the upstream applied last, which no one chose.
  if (violation.rule === 'in-flight') return 'blocked';
  if (guard.policy === 'warn') return 'warned';
  return overrideReason === undefined ? 'blocked' : 'overridden';
}

async function lockOrganization(tx: SqlRunner, sql: LedgerSql, organizationId: string): Promise<number | null> {
  const row = await tx.one<{ last_ms: number | null }>(sql.lockOrganization, [organizationId]);
  return num(row?.last_ms);
}

async function lockSeat(tx: SqlRunner, sql: LedgerSql, organizationId: string, userId: string): Promise<SeatState> {
  const row = await tx.one<{ role: string | null; active_ms: number | null }>(sql.lockSeat, [organizationId, userId]);
  return { role: row?.role ?? null, activeSinceMs: num(row?.active_ms) };
}

async function inFlightChange(tx: SqlRunner, sql: LedgerSql, organizationId: string, userId: string, nowMs: number, bootKey: number): Promise<PendingChange | undefined> {
  const r = await tx.one<{ id: string; request_id: string; recorded_ms: number; deadline_ms: number | null }>(sql.inFlightChange, [organizationId, userId, nowMs, bootKey]);
  return r === undefined ? undefined : { entryId: r.id, requestId: r.request_id, recordedAtMs: Math.round(Number(r.recorded_ms)), deadlineMs: num(r.deadline_ms) };
}

/** LedgerStore records intents and outcomes for one gateway process (its boot key). */
export class LedgerStore {
  private readonly sql: LedgerSql;

  constructor(
    readonly db: LedgerDatabase,
    /** This process's liveness lock key (see the dialects' in-flight check). */
    readonly bootKey: number,
    private readonly clock: Clock,
  ) {
    this.sql = sqlFor(db.dialect);
  }

  /** recordIntent checks the guard and records the intent atomically; a blocked change is recorded as `blocked`. */
  recordIntent(intent: Intent): Promise<IntentResult> {
    const guard = intent.guard?.policy === 'off' ? undefined : intent.guard;
    const org = intent.organizationId;
    // No seat, no organization spacing, not a scheduled run: nothing to lock or check, the intent is one INSERT
    // (atomic by itself), without a transaction function around it.
    if (intent.run === undefined && (org === undefined || intent.userId === undefined) && !(guard !== undefined && guard.organizationSpacingMs > 0 && org !== undefined)) {
      return this.recordPlainIntent(intent);
    }
    return this.db.transaction(async (tx) => {
      const user = intent.userId;
      const isSeat = org !== undefined && user !== undefined;
      const sql = this.sql;
      const run = intent.run;
      // A run checks its claim first (schedule, then organization and seat: no transaction takes them the other way round):
      // a runner whose lease ran out and was retaken by another replica must not run the change a second time.
      if (run !== undefined && (await tx.query(sql.lockClaim, [run.id, run.token])).length === 0) {
        throw new ScheduleLostError(`scheduled change ${run.id} is no longer claimed by this runner`);
      }
      // Lock order: organization, then seat, everywhere, so two transactions never wait on each other in a cycle.
      const orgLast = guard !== undefined && guard.organizationSpacingMs > 0 && org !== undefined ? await lockOrganization(tx, sql, org) : null;
      const seat: SeatState = isSeat ? await lockSeat(tx, sql, org, user) : NO_SEAT;
      // The time is read once the locks are held, so recorded order is the order changes really took the seat.
      const nowMs = this.clock();
      let violation: Violation | undefined;
      let verdict: GuardVerdict | undefined;
      if (guard !== undefined && isSeat) {
        const pending = await inFlightChange(tx, sql, org, user, nowMs, this.bootKey);
        violation = findViolation(guard, { organizationId: org, userId: user, newRole: intent.newRole, seat, pending, organizationLastChangeMs: orgLast, nowMs });
        verdict = verdictFor(guard, violation, intent.overrideReason);
      }
      const blocked = verdict === 'blocked';
      const inserted = await tx.one<{ id: string }>(sql.insertEntry, this.entryParams(intent, nowMs, seat, verdict, violation));
      const entryId = (inserted as { id: string }).id;
      if (blocked && run !== undefined) {
        await this.reschedule(tx, run.id, violation, nowMs);
        return { entryId, oldRole: seat.role, verdict, violation, recordedMs: nowMs };
      }
      if (blocked && intent.scheduling !== undefined && violation?.allowedAtMs !== undefined) {
        const dueMs = violation.allowedAtMs;
        const row = await tx.one<{ id: string }>(sql.insertSchedule, [
          nowMs, dueMs, intent.capability ?? null, intent.operation, intent.exposedAs, intent.adapter, org ?? null, user ?? null,
          intent.newRole ?? null, intent.scheduling.inputsJson, intent.callerId ?? null, intent.scheduling.callerScopes ?? null,
          intent.requestId, entryId, violation.detail,
        ]);
        const scheduleId = (row as { id: string }).id;
        await tx.query(sql.linkEntry, [entryId, scheduleId]);
        return { entryId, oldRole: seat.role, verdict, violation, recordedMs: nowMs, scheduled: { id: scheduleId, dueMs } };
      }
      if (!blocked && run !== undefined) await tx.query(sql.startRun, [run.id, entryId]);
      if (!blocked && isSeat && intent.newRole !== undefined) {
        // Recorded at intent time, under the lock: a concurrent deactivation sees this activation at once.
        await tx.query(sql.updateSeat, [org, user, intent.newRole, nextActiveSince(intent.guard, seat, intent.newRole, nowMs), entryId]);
      }
      if (!blocked && guard !== undefined && guard.organizationSpacingMs > 0 && org !== undefined) {
        await tx.query(sql.touchOrganization, [org, nowMs]);
      }
      return { entryId, oldRole: seat.role, verdict, violation, recordedMs: nowMs };
    });
  }

  /** recordPlainIntent records an intent with no seat and no guard check: one statement. */
  private async recordPlainIntent(intent: Intent): Promise<IntentResult> {
    const nowMs = this.clock();
    const inserted = await this.db.one<{ id: string }>(this.sql.insertEntry, this.entryParams(intent, nowMs, NO_SEAT, undefined, undefined));
    return { entryId: (inserted as { id: string }).id, oldRole: null, verdict: undefined, violation: undefined, recordedMs: nowMs };
  }

  /** entryParams are insertEntry's parameters (see sql.ts). */
  private entryParams(intent: Intent, nowMs: number, seat: SeatState, verdict: GuardVerdict | undefined, violation: Violation | undefined): unknown[] {
    const blocked = verdict === 'blocked';
    return [
      nowMs, blocked ? nowMs : null, intent.operation, intent.exposedAs, intent.adapter, intent.organizationId ?? null, intent.userId ?? null,
      seat.role, intent.newRole ?? null, intent.callerId ?? null, intent.requestId, blocked ? 'blocked' : 'pending',
      blocked ? 'NGW_ERR_CONFLICT' : null, verdict ?? null, violation?.detail ?? null, intent.overrideReason ?? null,
      this.bootKey, seat.activeSinceMs, blocked ? null : nowMs + intent.upstreamTimeoutMs + IN_FLIGHT_GRACE_MS,
      intent.capability ?? null, intent.run?.id ?? null,
    ];
  }

  /**
   * recordOutcome completes an intent; a failed change restores the seat it would have changed. An intent
   * another replica marked `unknown` (our liveness lock was lost for a while) still gets its real outcome.
   * Resolves once the outcome is durable (its value means nothing).
   */
  recordOutcome(entryId: string, outcome: OutcomeRecord, scheduled = false): Promise<unknown> {
    if (outcome.status !== 'failed' && !scheduled) {
      // The common case is one statement, atomic by itself, with no row to read back: no transaction function around it.
      return this.db.query(this.sql.finishEntry, [entryId, outcome.status, outcome.upstreamStatus ?? null, outcome.errorCode ?? null, this.clock()]);
    }
    return this.db.transaction(async (tx) => {
      const nowMs = this.clock();
      const row = await tx.one<{ organization_id: string | null; user_id: string | null; old_role: string | null; prev_ms: number | null }>(
        this.sql.completeEntry,
        [entryId, outcome.status, outcome.upstreamStatus ?? null, outcome.errorCode ?? null, nowMs],
      );
      if (scheduled) {
        const detail = outcome.upstreamStatus !== undefined ? `upstream answered ${outcome.upstreamStatus}` : (outcome.errorCode ?? null);
        await tx.query(this.sql.finishSchedule, [entryId, outcome.status, nowMs, detail]);
      }
      if (outcome.status !== 'failed' || row === undefined || row.organization_id === null || row.user_id === null) return;
      await tx.query(this.sql.restoreSeat, [row.organization_id, row.user_id, row.old_role, num(row.prev_ms), entryId]);
    });
  }

  /**
   * reschedule moves a run the guard refused again to the new earliest time it allows (without one, a backoff
   * doubling from a second), or fails it once it was moved MAX_RESCHEDULES times.
   */
  private async reschedule(tx: SqlRunner, id: string, violation: Violation | undefined, nowMs: number): Promise<void> {
    const rows = await tx.query<{ reschedules: number }>(`SELECT reschedules FROM ledger_schedules WHERE id = ${this.sql.idParam(1)}`, [id]);
    const count = Number(rows[0]?.reschedules ?? 0);
    const detail = `refused again at run time: ${violation?.detail ?? 'seat-rotation guard'}`;
    if (count >= MAX_RESCHEDULES) {
      await tx.query(this.sql.reschedule, [id, 'failed', nowMs, `${detail}; gave up after ${count} reschedules`, nowMs]);
      return;
    }
    const dueMs = violation?.allowedAtMs ?? nowMs + Math.min(1000 * 2 ** count, 3_600_000);
    await tx.query(this.sql.reschedule, [id, 'scheduled', dueMs, detail, null]);
  }

  /** claimNext claims the earliest due schedule for `leaseMs`; undefined when none is due. */
  async claimNext(token: string, leaseMs: number): Promise<ScheduleRunRow | undefined> {
    const nowMs = this.clock();
    const rows = await this.db.transaction((tx) => tx.query<ScheduleRunRow>(this.sql.claimSchedule, [nowMs, token, nowMs + leaseMs]));
    return rows[0];
  }

  /** releaseClaim puts a claimed schedule whose run did not start back in the queue. */
  async releaseClaim(id: string, token: string): Promise<void> {
    await this.db.transaction((tx) => tx.query(this.sql.releaseClaim, [id, token]));
  }

  /** failClaim ends a claimed schedule that cannot run (its operation is no longer served). */
  async failClaim(id: string, token: string, detail: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      if ((await tx.query(this.sql.lockClaim, [id, token])).length === 0) return;
      const nowMs = this.clock();
      await tx.query(this.sql.reschedule, [id, 'failed', nowMs, detail, nowMs]);
    });
  }

  /** nextDueMs is when the earliest waiting schedule is due, or undefined. */
  async nextDueMs(): Promise<number | undefined> {
    const row = await this.db.one<{ due_ms: number | null }>(this.sql.nextDue);
    return num(row?.due_ms) ?? undefined;
  }

  /** markAbandoned turns pending intents of processes that are gone into `unknown`; returns how many. */
  async markAbandoned(): Promise<number> {
    const rows = await this.db.query<{ id: string }>(this.sql.markAbandoned, [this.bootKey]);
    return rows.length;
  }
}
