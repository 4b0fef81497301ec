/**
 * The seat-rotation guard's rules, as pure functions of the seat's recorded
 * state and the clock, so the database transaction only supplies facts.
 * The roles and the period come from the capability's x-seat-guard (Label
 * Studio's update-member-role guidance: keep a licensed seat with a user for at
 * least seven days, avoid rapid successive updates — see capability.yaml).
 */
import type { SeatGuardModel } from '../capability/ledger-extension.js';

/** SeatState is what the ledger knows about one (organization, user) seat. */
export interface SeatState {
  /** Last role the gateway sent for this user, or null when it never saw one. */
  readonly role: string | null;
  /** When the gateway recorded this user's activation, or null. */
  readonly activeSinceMs: number | null;
}

/** PendingChange is a change to the same seat whose outcome is not known yet, by a live gateway. */
export interface PendingChange {
  readonly entryId: string;
  readonly requestId: string;
  readonly recordedAtMs: number;
  /** When its upstream call is over at the latest (deadline plus grace); null for entries written before deadlines were kept. */
  readonly deadlineMs: number | null;
}

/** Violation is the rule a change breaks, with the times a client needs to retry. */
export interface Violation {
  readonly rule: 'minimum-period' | 'organization-spacing' | 'in-flight';
  readonly detail: string;
  /** When the seat was assigned (minimum-period) or the last change happened (spacing). */
  readonly sinceMs: number | undefined;
  /** When the change becomes allowed, when the rule says. */
  readonly allowedAtMs: number | undefined;
}

/** GuardFacts are what the transaction read under its row locks. */
export interface GuardFacts {
  readonly organizationId: string;
  readonly userId: string;
  readonly newRole: string | undefined;
  readonly seat: SeatState;
  readonly pending: PendingChange | undefined;
  readonly organizationLastChangeMs: number | null;
  readonly nowMs: number;
}

const iso = (ms: number): string => new Date(ms).toISOString();

function formatPeriod(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000} day(s)`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} hour(s)`;
  if (ms % 60_000 === 0) return `${ms / 60_000} minute(s)`;
  return `${ms / 1000} second(s)`;
}

function isActive(roles: readonly string[], role: string | null | undefined): boolean {
  return role !== null && role !== undefined && roles.includes(role);
}

/**
 * nextActiveSince is the seat's activation time after the change: kept while
 * the user stays active (AN → RE is the same seat), set now on activation,
 * cleared on deactivation, unchanged for values that are neither.
 */
export function nextActiveSince(guard: SeatGuardModel | undefined, seat: SeatState, newRole: string | undefined, nowMs: number): number | null {
  // Without a guard the capability did not say which roles hold a seat: the assignment time is left as it was.
  if (newRole === undefined || guard === undefined) return seat.activeSinceMs;
  const active = guard.activeRoles;
  const inactive = guard.inactiveRoles;
  if (active.includes(newRole)) return isActive(active, seat.role) && seat.activeSinceMs !== null ? seat.activeSinceMs : nowMs;
  if (inactive.includes(newRole)) return null;
  return seat.activeSinceMs;
}

/** findViolation returns the first rule the change breaks, or undefined. */
export function findViolation(guard: SeatGuardModel, facts: GuardFacts): Violation | undefined {
  const who = `user ${facts.userId} in organization ${facts.organizationId}`;
  if (facts.pending !== undefined) {
    return {
      rule: 'in-flight',
      detail: `another change to the seat of ${who} (request ${facts.pending.requestId}, recorded ${iso(facts.pending.recordedAtMs)}) may still be running upstream; retry when it completes`,
      sinceMs: facts.pending.recordedAtMs,
      // Past its deadline the change is over at the latest, even if its gateway never reports back.
      allowedAtMs: facts.pending.deadlineMs !== null && facts.pending.deadlineMs > facts.nowMs ? facts.pending.deadlineMs : undefined,
    };
  }
  const since = facts.seat.activeSinceMs;
  if (
    facts.newRole !== undefined &&
    guard.inactiveRoles.includes(facts.newRole) &&
    isActive(guard.activeRoles, facts.seat.role) &&
    since !== null &&
    facts.nowMs < since + guard.minimumPeriodMs
  ) {
    const allowedAt = since + guard.minimumPeriodMs;
    return {
      rule: 'minimum-period',
      detail: `the seat of ${who} was assigned at ${iso(since)} (role ${facts.seat.role ?? '?'}); setting role ${facts.newRole} takes it away before the minimum assignment of ${formatPeriod(guard.minimumPeriodMs)}, allowed from ${iso(allowedAt)}`,
      sinceMs: since,
      allowedAtMs: allowedAt,
    };
  }
  const last = facts.organizationLastChangeMs;
  if (guard.organizationSpacingMs > 0 && last !== null && facts.nowMs < last + guard.organizationSpacingMs) {
    const allowedAt = last + guard.organizationSpacingMs;
    return {
      rule: 'organization-spacing',
      detail: `organization ${facts.organizationId} had a role change at ${iso(last)}; changes must be ${formatPeriod(guard.organizationSpacingMs)} apart, next allowed from ${iso(allowedAt)}`,
      sinceMs: last,
      allowedAtMs: allowedAt,
    };
  }
  return undefined;
}
