/**
 * A ledger entry as clients see it (REST JSON, CSV, MCP), and the row it is
 * read from (each dialect's SQL derives `unknown` for an intent whose process is gone).
 */

/** EntryStatus: `pending` while the upstream call runs; `unknown` when the process died in between. */
export type EntryStatus = 'pending' | 'succeeded' | 'failed' | 'blocked' | 'unknown';
/** GuardVerdict is what the seat guard decided, when it applies. */
export type GuardVerdict = 'allowed' | 'warned' | 'overridden' | 'blocked';

/** LedgerEntry is one mutating call through the gateway. */
export interface LedgerEntry {
  readonly id: string;
  /** When the intent was recorded, before the upstream call (ISO 8601, UTC). */
  readonly time: string;
  /** The consumed operation key (`namespace.operation`). */
  readonly operation: string;
  /** The REST route's operation name or the MCP tool that was called. */
  readonly exposedAs: string;
  readonly adapter: string;
  readonly organizationId: string | null;
  readonly userId: string | null;
  readonly oldRole: string | null;
  readonly newRole: string | null;
  readonly callerId: string | null;
  readonly requestId: string;
  readonly status: EntryStatus;
  readonly upstreamStatus: number | null;
  readonly errorCode: string | null;
  readonly guard: GuardVerdict | null;
  readonly guardDetail: string | null;
  readonly overrideReason: string | null;
  /** When the outcome was recorded (ISO 8601), null while pending or unknown. */
  readonly completedAt: string | null;
  /** The capability that declares the operation, when the gateway serves a set of several. */
  readonly capability: string | null;
  /** The scheduled change this entry created (a refused attempt) or ran. */
  readonly scheduleId: string | null;
}

/** ENTRY_FIELDS is the column order of CSV exports. */
export const ENTRY_FIELDS: readonly (keyof LedgerEntry)[] = [
  'id', 'time', 'operation', 'exposedAs', 'adapter', 'organizationId', 'userId', 'oldRole', 'newRole', 'callerId',
  'requestId', 'status', 'upstreamStatus', 'errorCode', 'guard', 'guardDetail', 'overrideReason', 'completedAt', 'capability', 'scheduleId',
];

/** BOOT_LOCK_NAMESPACE is the advisory-lock namespace each gateway process holds while it lives. */
export const BOOT_LOCK_NAMESPACE = 0x4e4758;

/** EntryRow is a row selected with the dialect's `entryColumns` (see sql.ts). */
export interface EntryRow {
  id: string;
  recorded_ms: number;
  operation: string;
  exposed_as: string;
  adapter: string;
  organization_id: string | null;
  user_id: string | null;
  old_role: string | null;
  new_role: string | null;
  caller_id: string | null;
  request_id: string;
  status: EntryStatus;
  upstream_status: number | null;
  error_code: string | null;
  guard: GuardVerdict | null;
  guard_detail: string | null;
  override_reason: string | null;
  completed_ms: number | null;
  capability: string | null;
  schedule_id: string | null;
}

/** toEntry maps a row to the client shape. */
export function toEntry(r: EntryRow): LedgerEntry {
  return {
    id: r.id,
    time: new Date(Math.round(Number(r.recorded_ms))).toISOString(),
    operation: r.operation,
    exposedAs: r.exposed_as,
    adapter: r.adapter,
    organizationId: r.organization_id,
    userId: r.user_id,
    oldRole: r.old_role,
    newRole: r.new_role,
    callerId: r.caller_id,
    requestId: r.request_id,
    status: r.status,
    upstreamStatus: r.upstream_status === null ? null : Number(r.upstream_status),
    errorCode: r.error_code,
    guard: r.guard,
    guardDetail: r.guard_detail,
    overrideReason: r.override_reason,
    completedAt: r.completed_ms === null ? null : new Date(Math.round(Number(r.completed_ms))).toISOString(),
    capability: r.capability,
    scheduleId: r.schedule_id,
  };
}
