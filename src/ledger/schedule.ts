/**
 * Scheduled changes: a change the seat guard refuses now can be scheduled for
 * the earliest time the guard allows it (REST `Prefer: respond-async`, MCP
 * argument `_schedule`). The schedule is written in the guard's own
 * transaction; the runner (schedule-runner.ts) runs it later through the same
 * invoker as a live call. This module holds the shapes, the answer a client
 * gets, and the list / get / cancel services the REST routes and MCP tools share.
 */
import { AcceptedAnswer } from '../core/accepted.js';
import { GatewayError } from '../core/errors.js';
import type { InvokeContext } from '../core/operation.js';
import type { SqlRunner } from './database.js';
import { DEFAULT_PAGE_SIZE, decodeCursor, MAX_PAGE_SIZE, PageQuery, pageLimit, toPage } from './list.js';
import { sqlFor } from './sql.js';
import type { Clock } from './store.js';

/** SCHEDULES_PATH is where schedules are listed; `/{id}` reads or cancels one. */
export const SCHEDULES_PATH = '/v1/ledger/schedules';
/** SCHEDULE_ARGUMENT is the MCP tool argument asking for a schedule; the leading `_` keeps it apart from the operation's inputs. */
export const SCHEDULE_ARGUMENT = '_schedule';
/** MAX_RESCHEDULES bounds how often a run the guard refuses again is moved to its new earliest time before it fails. */
export const MAX_RESCHEDULES = 10;

/** ScheduleStatus: `running` once claimed; a started run's status follows its ledger entry. */
export type ScheduleStatus = 'scheduled' | 'running' | 'succeeded' | 'failed' | 'unknown' | 'cancelled';
const STATUSES: readonly ScheduleStatus[] = ['scheduled', 'running', 'succeeded', 'failed', 'unknown', 'cancelled'];

/** ScheduledChange is a schedule as clients see it (REST JSON, MCP). */
export interface ScheduledChange {
  readonly id: string;
  readonly status: ScheduleStatus;
  /** When the change will run (or ran): the earliest time the guard allowed it. */
  readonly dueAt: string;
  readonly createdAt: string;
  readonly capability: string | null;
  readonly operation: string;
  readonly exposedAs: string;
  readonly adapter: string;
  readonly organizationId: string | null;
  readonly userId: string | null;
  readonly newRole: string | null;
  readonly callerId: string | null;
  /** The request that asked for the change. */
  readonly requestId: string;
  /** The ledger entry of the refused attempt that created the schedule. */
  readonly blockedEntry: string | null;
  /** The ledger entry of the run, once it started. */
  readonly runEntry: string | null;
  readonly attempts: number;
  readonly reschedules: number;
  /** Why it was scheduled, moved, failed or cancelled. */
  readonly detail: string | null;
  readonly completedAt: string | null;
}

/** ScheduleRow is a row selected with the dialect's `scheduleColumns`. */
export interface ScheduleRow {
  id: string;
  created_ms: number;
  due_ms: number;
  status: ScheduleStatus;
  capability: string | null;
  operation: string;
  exposed_as: string;
  adapter: string;
  organization_id: string | null;
  user_id: string | null;
  new_role: string | null;
  caller_id: string | null;
  request_id: string;
  blocked_entry_id: string | null;
  entry_id: string | null;
  attempts: number;
  reschedules: number;
  detail: string | null;
  completed_ms: number | null;
}

/** ScheduleRunRow is what a runner needs of a claimed schedule. */
export interface ScheduleRunRow {
  id: string;
  capability: string | null;
  operation: string;
  exposed_as: string;
  adapter: string;
  inputs: string;
  caller_id: string | null;
  caller_scopes: string | null;
  attempts: number;
  reschedules: number;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(Math.round(Number(ms))).toISOString());

/** toSchedule maps a row to the client shape. */
export function toSchedule(r: ScheduleRow): ScheduledChange {
  return {
    id: r.id,
    status: r.status,
    dueAt: iso(r.due_ms) as string,
    createdAt: iso(r.created_ms) as string,
    capability: r.capability,
    operation: r.operation,
    exposedAs: r.exposed_as,
    adapter: r.adapter,
    organizationId: r.organization_id,
    userId: r.user_id,
    newRole: r.new_role,
    callerId: r.caller_id,
    requestId: r.request_id,
    blockedEntry: r.blocked_entry_id,
    runEntry: r.entry_id,
    attempts: Number(r.attempts),
    reschedules: Number(r.reschedules),
    detail: r.detail,
    completedAt: iso(r.completed_ms),
  };
}

const PREFER_ASYNC = /(^|[,;\s])respond-async\s*(?=[,;]|$)/i;

/** asksToSchedule: REST `Prefer: respond-async` (RFC 7240), or the MCP argument the adapter put on the context. */
export function asksToSchedule(ctx: InvokeContext): boolean {
  if (ctx.scheduleIfRefused === true) return true;
  const prefer = ctx.headers?.['prefer'];
  if (prefer === undefined) return false;
  return PREFER_ASYNC.test(Array.isArray(prefer) ? prefer.join(',') : prefer);
}

/**
 * ChangeScheduledAnswer is thrown by the ledger interceptor instead of the guard's 409 when the client asked for a
 * schedule: the adapters answer it with 202 (REST) or a result naming the schedule (MCP). It is not a GatewayError:
 * the request was accepted, not refused.
 */
export class ChangeScheduledAnswer extends AcceptedAnswer {
  override name = 'ChangeScheduledAnswer';
  constructor(
    readonly schedule: ScheduledChange,
    /** Why the change could not run now (the guard's detail). */
    readonly reason: string,
  ) {
    super(`change scheduled as ${schedule.id} for ${schedule.dueAt}: ${reason}`);
  }

  body(): Record<string, unknown> {
    return { scheduled: true, id: this.schedule.id, dueAt: this.schedule.dueAt, status: this.schedule.status, reason: this.reason, schedule: this.schedule, location: `${SCHEDULES_PATH}/${this.schedule.id}` };
  }

  headers(): Record<string, string> {
    return {
      location: `${SCHEDULES_PATH}/${this.schedule.id}`,
      'preference-applied': 'respond-async',
      'retry-after': new Date(Date.parse(this.schedule.dueAt)).toUTCString(),
      'cache-control': 'no-store',
    };
  }
}

/** ScheduleFilter selects schedules (REST query string and MCP tool input). */
export interface ScheduleFilter {
  readonly status?: ScheduleStatus | undefined;
  readonly organization?: string | undefined;
  readonly user?: string | undefined;
  readonly cursor?: string | undefined;
  readonly limit?: number | undefined;
}

/** SCHEDULE_FILTER_SCHEMA is the JSON Schema of the filters. */
export const SCHEDULE_FILTER_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    status: { type: 'string', enum: STATUSES, description: 'Only schedules in this state.' },
    organization: { type: 'string', maxLength: 64, description: 'Organization id.' },
    user: { type: 'string', maxLength: 64, description: 'Target user id.' },
    cursor: { type: 'string', maxLength: 64, description: 'nextCursor of the previous page.' },
    limit: { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE },
  },
} as const;

/** SCHEDULE_ID_SCHEMA is a schedule id (path parameter, MCP argument). */
export const SCHEDULE_ID_SCHEMA = { type: 'string', pattern: '^[0-9]{1,19}$', description: 'The schedule id (from the 202 answer or the list).' } as const;

const NULLABLE_STRING = { type: ['string', 'null'] };
/** SCHEDULE_SCHEMA is the JSON Schema of one schedule. */
export const SCHEDULE_SCHEMA = {
  type: 'object',
  required: ['id', 'status', 'dueAt', 'operation'],
  properties: {
    id: { type: 'string' },
    status: { type: 'string', enum: STATUSES },
    dueAt: { type: 'string', format: 'date-time' },
    createdAt: { type: 'string', format: 'date-time' },
    capability: NULLABLE_STRING,
    operation: { type: 'string' },
    exposedAs: { type: 'string' },
    adapter: { type: 'string' },
    organizationId: NULLABLE_STRING,
    userId: NULLABLE_STRING,
    newRole: NULLABLE_STRING,
    callerId: NULLABLE_STRING,
    requestId: { type: 'string' },
    blockedEntry: NULLABLE_STRING,
    runEntry: NULLABLE_STRING,
    attempts: { type: 'integer' },
    reschedules: { type: 'integer' },
    detail: NULLABLE_STRING,
    completedAt: NULLABLE_STRING,
  },
} as const;

/** SCHEDULED_ANSWER_SCHEMA is the JSON Schema of the 202 body. */
export const SCHEDULED_ANSWER_SCHEMA = {
  type: 'object',
  required: ['scheduled', 'id', 'dueAt', 'status', 'schedule', 'location'],
  properties: {
    scheduled: { type: 'boolean', enum: [true] },
    id: { type: 'string' },
    dueAt: { type: 'string', format: 'date-time' },
    status: { type: 'string', enum: STATUSES },
    reason: { type: 'string' },
    schedule: SCHEDULE_SCHEMA,
    location: { type: 'string' },
  },
} as const;

/** SchedulePage is one page of schedules, newest first. */
export interface SchedulePage {
  readonly items: ScheduledChange[];
  readonly nextCursor: string | null;
}

/** ScheduleService lists, reads and cancels schedules (REST routes and MCP tools). */
export class ScheduleService {
  constructor(
    private readonly db: SqlRunner,
    private readonly clock: Clock,
  ) {}

  /** list returns schedules newest first (by id), filtered. */
  async list(filter: ScheduleFilter): Promise<SchedulePage> {
    const sql = sqlFor(this.db.dialect);
    const q = new PageQuery(sql.placeholder);
    if (filter.organization !== undefined) q.where('s.organization_id = #', filter.organization);
    if (filter.user !== undefined) q.where('s.user_id = #', filter.user);
    if (filter.cursor !== undefined) q.where('s.id < #', decodeCursor(filter.cursor), sql.idParam);
    const limit = pageLimit(filter.limit);
    // The status of a started run derives from its entry, so that filter applies to the derived column.
    let text = `SELECT * FROM (SELECT ${sql.scheduleColumns} FROM ledger_schedules s ${q.whereClause()}) v`;
    if (filter.status !== undefined) text += ` WHERE v.status = ${q.bind(filter.status)}`;
    text += ` ORDER BY CAST(v.id AS BIGINT) DESC LIMIT ${q.bind(limit + 1)}`;
    return toPage(await this.db.query<ScheduleRow>(text, q.params), limit, toSchedule);
  }

  /** get returns one schedule; 404 when unknown. */
  async get(id: string): Promise<ScheduledChange> {
    const sql = sqlFor(this.db.dialect);
    const rows = /^\d{1,19}$/.test(id) ? await this.db.query<ScheduleRow>(`SELECT ${sql.scheduleColumns} FROM ledger_schedules s WHERE s.id = ${sql.idParam(1)}`, [id]) : [];
    const row = rows[0];
    if (row === undefined) throw new GatewayError('NGW_ERR_NOT_FOUND', `no scheduled change ${id}`);
    return toSchedule(row);
  }

  /** cancel stops a waiting schedule; 404 when unknown, 409 once it runs or ran. */
  async cancel(id: string, callerId: string | undefined): Promise<ScheduledChange> {
    const sql = sqlFor(this.db.dialect);
    const detail = `cancelled${callerId === undefined ? '' : ` by ${callerId}`}`;
    const done = /^\d{1,19}$/.test(id) ? await this.db.query<{ id: string }>(sql.cancelSchedule, [id, this.clock(), detail]) : [];
    const current = await this.get(id);
    if (done.length === 0) {
      throw new GatewayError('NGW_ERR_CONFLICT', `scheduled change ${id} is ${current.status}; only a waiting (scheduled) change can be cancelled`, {
        members: { scheduleId: id, scheduleStatus: current.status },
      });
    }
    return current;
  }
}
