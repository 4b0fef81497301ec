/**
 * The ledger's CallInterceptor: write-ahead recording of every mutating call
 * (intent before the upstream call, outcome after) and the seat-rotation
 * guard, for REST routes and MCP tools alike. The credential is never read.
 */
import type { Logger } from 'pino';
import type { CompiledCall } from '../capability/compiled.js';
import { readInput, type SeatGuardModel } from '../capability/ledger-extension.js';
import type { CallInterceptor, InputValues, InvokeContext, Outcome } from '../core/operation.js';
import { GatewayError } from '../core/errors.js';
import type { EntryStatus } from './entry.js';
import { asksToSchedule, ChangeScheduledAnswer, type ScheduledChange } from './schedule.js';
import { ScheduleLostError, type IntentResult, type LedgerStore, type ScheduleRequest } from './store.js';

/** MAX_REASON_LENGTH bounds an override reason kept in the ledger. */
export const MAX_REASON_LENGTH = 500;
/** WRITE_SCOPE is the caller scope that may override the guard once inbound authentication is on. */
export const WRITE_SCOPE = 'write';
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/g;

const INTEGER_TEXT = /^\s*\+?0*(\d+)(\.0*)?\s*$/;

/**
 * canonicalId writes `14`, `"014"`, `" 14"` and `"14.0"` the same way: Label Studio (DRF IntegerField)
 * reads them all as user 14, so the guard must not see four different seats.
 */
export function canonicalId(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const m = INTEGER_TEXT.exec(value);
  return m === null ? value : (m[1] as string).replace(/^0+(?=\d)/, '');
}

/** MAX_FIELD_LENGTH bounds what a client's input can write into the ledger (ids and roles are short). */
const MAX_FIELD_LENGTH = 128;

function bounded(value: string | undefined): string | undefined {
  return value === undefined || value.length <= MAX_FIELD_LENGTH ? value : `${value.slice(0, MAX_FIELD_LENGTH)}…`;
}

/** readOverride returns the override reason a request carries, after checking the caller may override. */
function readOverride(guard: SeatGuardModel, ctx: InvokeContext): string | undefined {
  const raw = ctx.headers?.[guard.overrideHeader];
  if (raw === undefined) return undefined;
  const reason = (Array.isArray(raw) ? raw.join(', ') : raw).replace(CONTROL_CHARS, ' ').trim();
  if (reason === '' || reason.length > MAX_REASON_LENGTH) {
    throw new GatewayError('NGW_ERR_VALIDATION', `${guard.overrideHeader} must give a reason of 1 to ${MAX_REASON_LENGTH} characters`, {
      errors: [{ field: `header.${guard.overrideHeader}`, message: `must be a reason of 1 to ${MAX_REASON_LENGTH} characters` }],
    });
  }
  // Without inbound authentication there is no caller to check; with it, only write-scoped callers may override.
  if (ctx.caller !== undefined && !ctx.caller.scopes.includes(WRITE_SCOPE)) {
    throw new GatewayError('NGW_ERR_FORBIDDEN', `overriding the seat-rotation guard needs the "${WRITE_SCOPE}" scope`);
  }
  return reason;
}

function conflict(result: IntentResult, organizationId: string | undefined, userId: string | undefined): GatewayError {
  const v = result.violation;
  const headers: Record<string, string> = {};
  if (v?.allowedAtMs !== undefined) headers['retry-after'] = new Date(v.allowedAtMs).toUTCString();
  const since = v?.sinceMs === undefined ? undefined : new Date(v.sinceMs).toISOString();
  return new GatewayError('NGW_ERR_CONFLICT', `seat-rotation guard: ${v?.detail ?? 'change refused'}`, {
    headers,
    members: {
      rule: v?.rule,
      organizationId,
      userId,
      assignedAt: v?.rule === 'minimum-period' ? since : undefined,
      lastChangeAt: v?.rule === 'organization-spacing' ? since : undefined,
      allowedAt: v?.allowedAtMs === undefined ? undefined : new Date(v.allowedAtMs).toISOString(),
      ledgerEntry: result.entryId,
    },
  });
}

/** outcomeStatus: a call that reached the upstream without an answer may or may not have changed anything. */
function outcomeStatus(outcome: Outcome): Exclude<EntryStatus, 'pending' | 'blocked'> {
  if (outcome.status !== undefined) return outcome.status >= 200 && outcome.status < 300 ? 'succeeded' : 'failed';
  const code = outcome.error?.code ?? '';
  const cause = outcome.error?.cause as { code?: unknown } | undefined;
  if (cause?.code === 'ECONNREFUSED') return 'failed';
  return code.startsWith('NGW_ERR_UPSTREAM_') ? 'unknown' : 'failed';
}

/** LedgerInterceptor records mutating calls and applies each operation's seat guard. */
export class LedgerInterceptor implements CallInterceptor {
  readonly name = 'ledger';
  private readonly entries = new WeakMap<InvokeContext, string>();
  /** Called when a refused change was scheduled (the runner looks at its queue). */
  onScheduled: (() => void) | undefined = undefined;
  /** Contexts of scheduled runs, whose outcome also ends their schedule. */
  private readonly runs = new WeakSet<InvokeContext>();

  constructor(
    private readonly store: LedgerStore,
    private readonly logger: Logger,
    /** The gateway's upstream timeout, for operations without their own: bounds how long a change stays in flight. */
    private readonly defaultTimeoutMs: number,
  ) {}

  /** Calls that change nothing upstream are not recorded (the capability's one `mutates` answer). */
  appliesTo(call: CompiledCall): boolean {
    return call.mutates;
  }

  async before(call: CompiledCall, values: InputValues, ctx: InvokeContext): Promise<void> {
    const spec = call.operation.ledger;
    const guard = spec?.seatGuard;
    const overrideReason = guard === undefined || guard.policy === 'off' ? undefined : readOverride(guard, ctx);
    const organizationId = bounded(canonicalId(readInput(values, spec?.organization)));
    const userId = bounded(canonicalId(readInput(values, spec?.user)));
    const newRole = bounded(readInput(values, spec?.role));
    // Only a refusal the client may wait out is scheduled: enforce (warn never refuses) and not a run itself.
    const scheduling: ScheduleRequest | undefined =
      guard !== undefined && guard.policy === 'enforce' && ctx.scheduleRun === undefined && asksToSchedule(ctx)
        ? { inputsJson: JSON.stringify(values), callerScopes: ctx.caller?.scopes.join(',') }
        : undefined;
    let result: IntentResult;
    try {
      result = await this.store.recordIntent({
        operation: call.operation.key,
        exposedAs: call.name,
        adapter: ctx.adapter,
        organizationId,
        userId,
        newRole,
        callerId: ctx.caller?.id,
        requestId: ctx.requestId,
        guard,
        overrideReason,
        upstreamTimeoutMs: call.operation.timeoutMs ?? this.defaultTimeoutMs,
        capability: call.operation.capability,
        scheduling,
        run: ctx.scheduleRun,
      });
    } catch (err) {
      if (err instanceof ScheduleLostError) throw err;
      // Write-ahead means no record, no call: a mutating call never goes upstream unrecorded.
      this.logger.error({ err, operation: call.operation.key }, 'ledger: cannot record intent');
      throw new GatewayError('NGW_ERR_UNAVAILABLE', 'the role-change ledger is unavailable; changes are refused until it is back', { cause: err });
    }
    if (result.verdict === 'blocked') {
      const scheduled = result.scheduled;
      if (scheduled === undefined) throw conflict(result, organizationId, userId);
      const now = new Date(result.recordedMs).toISOString();
      const schedule: ScheduledChange = {
        id: scheduled.id, status: 'scheduled', dueAt: new Date(scheduled.dueMs).toISOString(), createdAt: now,
        capability: call.operation.capability ?? null, operation: call.operation.key, exposedAs: call.name, adapter: ctx.adapter,
        organizationId: organizationId ?? null, userId: userId ?? null, newRole: newRole ?? null, callerId: ctx.caller?.id ?? null,
        requestId: ctx.requestId, blockedEntry: result.entryId, runEntry: null, attempts: 0, reschedules: 0,
        detail: result.violation?.detail ?? null, completedAt: null,
      };
      this.onScheduled?.();
      throw new ChangeScheduledAnswer(schedule, result.violation?.detail ?? 'refused by the seat-rotation guard');
    }
    this.entries.set(ctx, result.entryId);
    if (ctx.scheduleRun !== undefined) this.runs.add(ctx);
    if (result.verdict === 'warned' && result.violation !== undefined) (ctx.notes ??= []).push(`seat-rotation guard (policy warn): ${result.violation.detail}`);
  }

  async after(_call: CompiledCall, _values: InputValues, ctx: InvokeContext, outcome: Outcome): Promise<void> {
    const entryId = this.entries.get(ctx);
    if (entryId === undefined) return;
    this.entries.delete(ctx);
    try {
      await this.store.recordOutcome(entryId, {
        status: outcomeStatus(outcome),
        upstreamStatus: outcome.status,
        errorCode: outcome.error?.code,
      }, this.runs.has(ctx));
    } catch (err) {
      // The intent stays pending and reads as unknown once this process is gone: never a silent gap.
      this.logger.error({ err, ledgerEntry: entryId }, 'ledger: cannot record outcome');
    }
  }
}
