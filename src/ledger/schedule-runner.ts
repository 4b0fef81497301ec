/**
 * The runner of scheduled changes: claims the earliest due schedule (a lease
 * in the database, so on PostgreSQL exactly one replica takes it and a crashed
 * runner's claim is retaken) and runs it through the same invoker as a live
 * call: upstream credential, mapping, seat guard (checked again at run time)
 * and ledger entry. Its timer never keeps the process alive; stop() waits for
 * the run in progress and puts a claim that did not start back in the queue.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { CompiledCall } from '../capability/compiled.js';
import { asGatewayError } from '../core/errors.js';
import type { Invoker } from '../core/invoker.js';
import type { Caller, InputValues, InvokeContext } from '../core/operation.js';
import type { UpstreamClient } from '../upstream/client.js';
import type { ScheduleRunRow } from './schedule.js';
import { ScheduleLostError, type Clock, type LedgerStore } from './store.js';

/** LEASE_MS is how long a claim holds before another runner may retake a run that never started. */
export const LEASE_MS = 60_000;
/** POLL_MS bounds the wait between looks at a shared queue (PostgreSQL: other replicas add schedules too). */
export const POLL_MS = 2_000;
/** MAX_WAIT_MS bounds one timer (longer waits re-arm): a timer's delay must fit 31 bits, and clocks drift. */
const MAX_WAIT_MS = 3_600_000;
/** RETRY_MS is the wait after the queue could not be read. */
const RETRY_MS = 5_000;

/** CallResolver finds the compiled call a schedule names in the capability served now. */
export type CallResolver = (row: ScheduleRunRow) => CompiledCall | undefined;

function callerOf(row: ScheduleRunRow): Caller | undefined {
  if (row.caller_id === null) return undefined;
  return { id: row.caller_id, scopes: row.caller_scopes === null || row.caller_scopes === '' ? [] : row.caller_scopes.split(',') };
}

/** ScheduleRunner runs due schedules one at a time. */
export class ScheduleRunner {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopping = false;
  private rerun = false;

  constructor(
    private readonly store: LedgerStore,
    private readonly invoker: Invoker<UpstreamClient>,
    private readonly resolve: CallResolver,
    private readonly logger: Logger,
    private readonly clock: Clock,
    /**
     * How often to look at a queue other processes add to; undefined for the embedded store, which only this
     * process writes: it wakes at the next due time and when a schedule is added (kick), and does not poll.
     */
    private readonly pollMs: number | undefined = POLL_MS,
  ) {}

  /** start looks at the queue now (a schedule already due at boot runs) and then on its timer. */
  start(): void {
    this.kick();
  }

  /** kick looks at the queue now (a schedule was just added, or is due). */
  kick(): void {
    if (this.stopping) return;
    if (this.running !== undefined) {
      this.rerun = true;
      return;
    }
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.running = this.drain().finally(() => {
      this.running = undefined;
      if (this.rerun) {
        this.rerun = false;
        this.kick();
      }
    });
  }

  /** stop ends the timer and waits for the run in progress (a claim not yet started is released). */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private async drain(): Promise<void> {
    try {
      for (;;) {
        if (this.stopping) return;
        const token = randomUUID();
        const row = await this.store.claimNext(token, LEASE_MS);
        if (row === undefined) break;
        await this.run(row, token);
      }
      await this.arm();
    } catch (err) {
      this.logger.error({ err }, 'scheduled changes: the queue could not be read; retrying');
      void this.arm(RETRY_MS);
    }
  }

  private async arm(delayMs?: number): Promise<void> {
    if (this.stopping) return;
    let delay = delayMs;
    if (delay === undefined) {
      const due = await this.store.nextDueMs();
      const limit = this.pollMs ?? MAX_WAIT_MS;
      if (due === undefined && this.pollMs === undefined) return;
      delay = due === undefined ? limit : Math.min(Math.max(due - this.clock(), 0), limit);
    }
    if (this.stopping) return;
    // Never keeps the process alive: shutdown does not wait for the next look at the queue.
    this.timer = setTimeout(() => this.kick(), delay).unref();
  }

  private async run(row: ScheduleRunRow, token: string): Promise<void> {
    if (this.stopping) {
      await this.store.releaseClaim(row.id, token);
      return;
    }
    const call = this.resolve(row);
    if (call === undefined) {
      const detail = `operation ${row.operation} (${row.adapter} ${row.exposed_as}) is no longer served`;
      await this.store.failClaim(row.id, token, detail);
      this.logger.warn({ scheduleId: row.id, operation: row.operation }, `scheduled change failed: ${detail}`);
      return;
    }
    const ctx: InvokeContext = {
      requestId: `schedule-${row.id}-${Number(row.attempts)}`,
      adapter: row.adapter === 'mcp' ? 'mcp' : 'rest',
      caller: callerOf(row),
      scheduleRun: { id: row.id, token },
    };
    try {
      const values = JSON.parse(row.inputs) as InputValues;
      const res = await this.invoker.invoke(call, values, ctx);
      await res.discard().catch(() => undefined);
      this.logger.info({ scheduleId: row.id, reqId: ctx.requestId, operation: row.operation, upstreamStatus: res.statusCode }, 'scheduled change ran');
    } catch (err) {
      if (err instanceof ScheduleLostError) {
        this.logger.warn({ scheduleId: row.id }, err.message);
        return;
      }
      const error = asGatewayError(err, 'the scheduled change failed');
      if (error.code === 'NGW_ERR_CONFLICT') {
        this.logger.info({ scheduleId: row.id, reqId: ctx.requestId, detail: error.message }, 'scheduled change refused again by the guard; rescheduled');
      } else if (error.code === 'NGW_ERR_UNAVAILABLE') {
        // The ledger could not record the intent: nothing ran; the claim goes back (its lease would free it anyway).
        await this.store.releaseClaim(row.id, token).catch(() => undefined);
        this.logger.warn({ scheduleId: row.id }, 'scheduled change postponed: the ledger is unavailable');
      } else {
        this.logger.warn({ scheduleId: row.id, reqId: ctx.requestId, code: error.code, detail: error.message }, 'scheduled change failed');
      }
    }
  }
}

/** findCall finds the call a schedule names: the same adapter and exposed name, else the same adapter and operation. */
export function findCall(calls: Iterable<CompiledCall>, row: ScheduleRunRow): CompiledCall | undefined {
  let sameOperation: CompiledCall | undefined;
  for (const call of calls) {
    if (call.operation.key !== row.operation || (call.operation.capability ?? null) !== row.capability) continue;
    if (call.name === row.exposed_as) return call;
    sameOperation ??= call;
  }
  return sameOperation;
}
