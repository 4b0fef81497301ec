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
}

/** IntentResult is the recorded entry and the guard's verdict. */
export interface IntentResult {
  readonly entryId: string;
  readonly oldRole: string | null;
  readonly verdict: GuardVerdict | undefined;
  readonly violation: Violation | undefined;
  /** When the intent was recorded (inside the transaction, after its locks). */
  readonly recordedMs: number;
}

/** OutcomeRecord is how a call ended. */
export interface OutcomeRecord {
  readonly status: Exclude<EntryStatus, 'pending' | 'blocked'>;
  readonly upstreamStatus: number | undefined;
  readonly errorCode: string | undefined;
}

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
  const rows = await tx.query<{ last_ms: number | null }>(sql.lockOrganization, [organizationId]);
  return num(rows[0]?.last_ms);
}

async function lockSeat(tx: SqlRunner, sql: LedgerSql, organizationId: string, userId: string): Promise<SeatState> {
  const rows = await tx.query<{ role: string | null; active_ms: number | null }>(sql.lockSeat, [organizationId, userId]);
  return { role: rows[0]?.role ?? null, activeSinceMs: num(rows[0]?.active_ms) };
}

async function inFlightChange(tx: SqlRunner, sql: LedgerSql, organizationId: string, userId: string, nowMs: number, bootKey: number): Promise<PendingChange | undefined> {
  const rows = await tx.query<{ id: string; request_id: string; recorded_ms: number; deadline_ms: number | null }>(sql.inFlightChange, [organizationId, userId, nowMs, bootKey]);
  const r = rows[0];
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
    return this.db.transaction(async (tx) => {
      const org = intent.organizationId;
      const user = intent.userId;
      const guard = intent.guard?.policy === 'off' ? undefined : intent.guard;
      const isSeat = org !== undefined && user !== undefined;
      const sql = this.sql;
      // Lock order: organization, then seat, everywhere, so two transactions never wait on each other in a cycle.
      const orgLast = guard !== undefined && guard.organizationSpacingMs > 0 && org !== undefined ? await lockOrganization(tx, sql, org) : null;
      const seat: SeatState = isSeat ? await lockSeat(tx, sql, org, user) : { role: null, activeSinceMs: null };
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
      const inserted = await tx.query<{ id: string }>(sql.insertEntry, [
        nowMs, blocked ? nowMs : null, intent.operation, intent.exposedAs, intent.adapter, org ?? null, user ?? null,
        seat.role, intent.newRole ?? null, intent.callerId ?? null, intent.requestId, blocked ? 'blocked' : 'pending',
        blocked ? 'NGW_ERR_CONFLICT' : null, verdict ?? null, violation?.detail ?? null, intent.overrideReason ?? null,
        this.bootKey, seat.activeSinceMs, blocked ? null : nowMs + intent.upstreamTimeoutMs + IN_FLIGHT_GRACE_MS,
      ]);
      const entryId = (inserted[0] as { id: string }).id;
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

  /**
   * recordOutcome completes an intent; a failed change restores the seat it would have changed. An intent
   * another replica marked `unknown` (our liveness lock was lost for a while) still gets its real outcome.
   */
  recordOutcome(entryId: string, outcome: OutcomeRecord): Promise<void> {
    return this.db.transaction(async (tx) => {
      const rows = await tx.query<{ organization_id: string | null; user_id: string | null; old_role: string | null; prev_ms: number | null }>(
        this.sql.completeEntry,
        [entryId, outcome.status, outcome.upstreamStatus ?? null, outcome.errorCode ?? null, this.clock()],
      );
      const row = rows[0];
      if (outcome.status !== 'failed' || row === undefined || row.organization_id === null || row.user_id === null) return;
      await tx.query(this.sql.restoreSeat, [row.organization_id, row.user_id, row.old_role, num(row.prev_ms), entryId]);
    });
  }

  /** markAbandoned turns pending intents of processes that are gone into `unknown`; returns how many. */
  async markAbandoned(): Promise<number> {
    const rows = await this.db.query<{ id: string }>(this.sql.markAbandoned, [this.bootKey]);
    return rows.length;
  }
}
