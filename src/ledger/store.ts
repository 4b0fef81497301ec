/**
 * Writing the ledger: the intent before the upstream call (with the seat
 * guard's check in the same transaction, under row locks on the seat and the
 * organization, so replicas sharing one PostgreSQL cannot both rotate a seat),
 * and the outcome after it.
 */
import type { SeatGuardModel } from '../capability/ledger-extension.js';
import type { LedgerDatabase, SqlRunner } from './database.js';
import { ALIVE, ms, type EntryStatus, type GuardVerdict } from './entry.js';
import { findViolation, nextActiveSince, type PendingChange, type SeatState, type Violation } from './seat-guard.js';

/** Intent is what a mutating call is about to do. */
export interface Intent {
  readonly nowMs: number;
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
}

/** IntentResult is the recorded entry and the guard's verdict. */
export interface IntentResult {
  readonly entryId: string;
  readonly oldRole: string | null;
  readonly verdict: GuardVerdict | undefined;
  readonly violation: Violation | undefined;
}

/** OutcomeRecord is how a call ended. */
export interface OutcomeRecord {
  readonly nowMs: number;
  readonly status: Exclude<EntryStatus, 'pending' | 'blocked'>;
  readonly upstreamStatus: number | undefined;
  readonly errorCode: string | undefined;
}

const iso = (t: number | null): string | null => (t === null ? null : new Date(t).toISOString());
const num = (v: unknown): number | null => (v === null || v === undefined ? null : Math.round(Number(v)));

function verdictFor(guard: SeatGuardModel, violation: Violation | undefined, overrideReason: string | undefined): GuardVerdict {
  if (violation === undefined) return 'allowed';
  if (guard.policy === 'warn') return 'warned';
  // An override lifts the rotation rules, never the one-change-at-a-time rule: racing changes leave the seat undefined.
  if (overrideReason !== undefined && violation.rule !== 'in-flight') return 'overridden';
  return 'blocked';
}

/*
 * INSERT … ON CONFLICT DO UPDATE creates the row or locks the existing one (like SELECT … FOR UPDATE)
 * and returns it, in one round trip; the no-op SET is what makes PostgreSQL take the row lock.
 */
async function lockOrganization(tx: SqlRunner, organizationId: string): Promise<number | null> {
  const rows = await tx.query<{ last_ms: number | null }>(
    `INSERT INTO ledger_organizations AS o (organization_id) VALUES ($1)
      ON CONFLICT (organization_id) DO UPDATE SET organization_id = o.organization_id
      RETURNING ${ms('o.last_change_at')} AS last_ms`,
    [organizationId],
  );
  return num(rows[0]?.last_ms);
}

async function lockSeat(tx: SqlRunner, organizationId: string, userId: string): Promise<SeatState> {
  const rows = await tx.query<{ role: string | null; active_ms: number | null }>(
    `INSERT INTO ledger_seats AS s (organization_id, user_id) VALUES ($1, $2)
      ON CONFLICT (organization_id, user_id) DO UPDATE SET user_id = s.user_id
      RETURNING s.role, ${ms('s.active_since')} AS active_ms`,
    [organizationId, userId],
  );
  return { role: rows[0]?.role ?? null, activeSinceMs: num(rows[0]?.active_ms) };
}

async function pendingChange(tx: SqlRunner, organizationId: string, userId: string): Promise<PendingChange | undefined> {
  const rows = await tx.query<{ id: string; request_id: string; recorded_ms: number }>(
    `SELECT e.id::text AS id, e.request_id, ${ms('e.recorded_at')} AS recorded_ms FROM ledger_entries e
      WHERE e.organization_id = $1 AND e.user_id = $2 AND e.status = 'pending' AND ${ALIVE} ORDER BY e.id LIMIT 1`,
    [organizationId, userId],
  );
  const r = rows[0];
  return r === undefined ? undefined : { entryId: r.id, requestId: r.request_id, recordedAtMs: Math.round(Number(r.recorded_ms)) };
}

/** LedgerStore records intents and outcomes for one gateway process (its boot key). */
export class LedgerStore {
  constructor(
    readonly db: LedgerDatabase,
    /** This process's liveness lock key (see ALIVE). */
    readonly bootKey: number,
  ) {}

  /** recordIntent checks the guard and records the intent atomically; a blocked change is recorded as `blocked`. */
  recordIntent(intent: Intent): Promise<IntentResult> {
    return this.db.transaction(async (tx) => {
      const org = intent.organizationId;
      const user = intent.userId;
      const guard = intent.guard?.policy === 'off' ? undefined : intent.guard;
      const isSeat = org !== undefined && user !== undefined;
      // Lock order: organization, then seat, everywhere, so two transactions never wait on each other in a cycle.
      const orgLast = guard !== undefined && guard.organizationSpacingMs > 0 && org !== undefined ? await lockOrganization(tx, org) : null;
      const seat: SeatState = isSeat ? await lockSeat(tx, org, user) : { role: null, activeSinceMs: null };
      let violation: Violation | undefined;
      let verdict: GuardVerdict | undefined;
      if (guard !== undefined && isSeat) {
        const pending = await pendingChange(tx, org, user);
        violation = findViolation(guard, { organizationId: org, userId: user, newRole: intent.newRole, seat, pending, organizationLastChangeMs: orgLast, nowMs: intent.nowMs });
        verdict = verdictFor(guard, violation, intent.overrideReason);
      }
      const blocked = verdict === 'blocked';
      const inserted = await tx.query<{ id: string }>(
        `INSERT INTO ledger_entries (recorded_at, completed_at, operation, exposed_as, adapter, organization_id, user_id, old_role, new_role,
           caller_id, request_id, status, error_code, guard, guard_detail, override_reason, boot_key, prev_active_since)
         VALUES ($1::timestamptz, $2::timestamptz, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18::timestamptz)
         RETURNING id::text AS id`,
        [
          iso(intent.nowMs), blocked ? iso(intent.nowMs) : null, intent.operation, intent.exposedAs, intent.adapter, org ?? null, user ?? null,
          seat.role, intent.newRole ?? null, intent.callerId ?? null, intent.requestId, blocked ? 'blocked' : 'pending',
          blocked ? 'NGW_ERR_CONFLICT' : null, verdict ?? null, violation?.detail ?? null, intent.overrideReason ?? null,
          this.bootKey, iso(seat.activeSinceMs),
        ],
      );
      const entryId = (inserted[0] as { id: string }).id;
      if (!blocked && isSeat && intent.newRole !== undefined) {
        // Recorded at intent time, under the lock: a concurrent deactivation sees this activation at once.
        await tx.query(
          'UPDATE ledger_seats SET role = $3, active_since = $4::timestamptz, last_entry_id = $5 WHERE organization_id = $1 AND user_id = $2',
          [org, user, intent.newRole, iso(nextActiveSince(intent.guard, seat, intent.newRole, intent.nowMs)), entryId],
        );
      }
      if (!blocked && guard !== undefined && guard.organizationSpacingMs > 0 && org !== undefined) {
        await tx.query('UPDATE ledger_organizations SET last_change_at = $2::timestamptz WHERE organization_id = $1', [org, iso(intent.nowMs)]);
      }
      return { entryId, oldRole: seat.role, verdict, violation };
    });
  }

  /**
   * recordOutcome completes an intent; a failed change restores the seat it would have changed. An intent
   * another replica marked `unknown` (our liveness lock was lost for a while) still gets its real outcome.
   */
  recordOutcome(entryId: string, outcome: OutcomeRecord): Promise<void> {
    return this.db.transaction(async (tx) => {
      const rows = await tx.query<{ organization_id: string | null; user_id: string | null; old_role: string | null; prev_ms: number | null }>(
        `UPDATE ledger_entries SET status = $2, upstream_status = $3, error_code = $4, completed_at = $5::timestamptz
          WHERE id = $1::bigint AND status IN ('pending', 'unknown')
          RETURNING organization_id, user_id, old_role, ${ms('prev_active_since')} AS prev_ms`,
        [entryId, outcome.status, outcome.upstreamStatus ?? null, outcome.errorCode ?? null, iso(outcome.nowMs)],
      );
      const row = rows[0];
      if (outcome.status !== 'failed' || row === undefined || row.organization_id === null || row.user_id === null) return;
      await tx.query(
        `UPDATE ledger_seats SET role = $3, active_since = $4::timestamptz, last_entry_id = NULL
          WHERE organization_id = $1 AND user_id = $2 AND last_entry_id = $5::bigint`,
        [row.organization_id, row.user_id, row.old_role, iso(num(row.prev_ms)), entryId],
      );
    });
  }

  /** markAbandoned turns pending intents of processes that are gone into `unknown`; returns how many. */
  async markAbandoned(): Promise<number> {
    const rows = await this.db.query<{ id: string }>(`UPDATE ledger_entries e SET status = 'unknown' WHERE e.status = 'pending' AND NOT ${ALIVE} RETURNING e.id::text AS id`);
    return rows.length;
  }
}
