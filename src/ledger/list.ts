/**
 * Reading the ledger: filters, newest first, opaque cursor pagination. Shared
 * by `GET /v1/ledger` and the MCP tool `list-role-changes`.
 */
import { GatewayError } from '../core/errors.js';
import type { SqlRunner } from './database.js';
import { toEntry, type EntryRow, type LedgerEntry } from './entry.js';
import { sqlFor } from './sql.js';

/** DEFAULT_PAGE_SIZE and MAX_PAGE_SIZE bound one page. */
export const DEFAULT_PAGE_SIZE = 50;
/** MAX_PAGE_SIZE is the largest `limit` accepted. */
export const MAX_PAGE_SIZE = 500;

/** LedgerFilter selects entries; every field is optional. */
export interface LedgerFilter {
  readonly organization?: string | undefined;
  readonly user?: string | undefined;
  /** Matches the consumed operation key or the exposed name (route operation / MCP tool). */
  readonly operation?: string | undefined;
  readonly status?: string | undefined;
  /** The capability that declares the operation (in a set of several). */
  readonly capability?: string | undefined;
  /** ISO 8601 or anything Date.parse accepts; inclusive. */
  readonly since?: string | undefined;
  /** Exclusive. */
  readonly until?: string | undefined;
  readonly cursor?: string | undefined;
  readonly limit?: number | undefined;
}

/** LedgerPage is one page and the cursor of the next, if any. */
export interface LedgerPage {
  readonly items: LedgerEntry[];
  readonly nextCursor: string | null;
}

/** LEDGER_FILTER_SCHEMA is the JSON Schema of the filters (REST query string and MCP tool input). */
export const LEDGER_FILTER_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    organization: { type: 'string', maxLength: 64, description: 'Organization id.' },
    user: { type: 'string', maxLength: 64, description: 'Target user id.' },
    operation: { type: 'string', maxLength: 256, description: 'Consumed operation key (namespace.operation) or exposed name.' },
    status: { type: 'string', enum: ['pending', 'succeeded', 'failed', 'blocked', 'unknown'] },
    capability: { type: 'string', maxLength: 128, description: 'Capability name (in a gateway serving a set of several).' },
    since: { type: 'string', format: 'date-time', description: 'Entries recorded at or after this time (ISO 8601).' },
    until: { type: 'string', format: 'date-time', description: 'Entries recorded before this time (ISO 8601).' },
    cursor: { type: 'string', maxLength: 64, description: 'nextCursor of the previous page.' },
    limit: { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE },
  },
} as const;

/** encodeCursor hides the last id of a page. */
export function encodeCursor(id: string): string {
  return Buffer.from(`v1:${id}`).toString('base64url');
}

/** decodeCursor reads a cursor encodeCursor issued (ledger entries and schedules alike); a 400 otherwise. */
export function decodeCursor(cursor: string): string {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const m = /^v1:(\d{1,19})$/.exec(text);
  if (m === null) throw new GatewayError('NGW_ERR_VALIDATION', 'cursor is not one this gateway issued', { errors: [{ field: 'query.cursor', message: 'is invalid' }] });
  return m[1] as string;
}

function timestamp(name: string, value: string): number {
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new GatewayError('NGW_ERR_VALIDATION', `${name} must be an ISO 8601 date-time`, { errors: [{ field: `query.${name}`, message: 'must be an ISO 8601 date-time' }] });
  return t;
}

/** listEntries returns one page of entries matching `filter`, newest first. */
export async function listEntries(db: SqlRunner, filter: LedgerFilter): Promise<LedgerPage> {
  const sql = sqlFor(db.dialect);
  const where: string[] = [];
  const params: unknown[] = [];
  // `#` marks where the value goes; the dialect says how a text, time or id parameter is written.
  const add = (clause: string, value: unknown, param: (n: number) => string = sql.placeholder): void => {
    params.push(value);
    where.push(clause.replaceAll('#', param(params.length)));
  };
  if (filter.organization !== undefined) add('e.organization_id = #', filter.organization);
  if (filter.user !== undefined) add('e.user_id = #', filter.user);
  if (filter.operation !== undefined) add('(e.operation = # OR e.exposed_as = #)', filter.operation);
  if (filter.status !== undefined) add(`${sql.status} = #`, filter.status);
  if (filter.capability !== undefined) add('e.capability = #', filter.capability);
  if (filter.since !== undefined) add('e.recorded_at >= #', timestamp('since', filter.since), sql.timeParam);
  if (filter.until !== undefined) add('e.recorded_at < #', timestamp('until', filter.until), sql.timeParam);
  if (filter.cursor !== undefined) add('e.id < #', decodeCursor(filter.cursor), sql.idParam);
  const limit = Math.min(Math.max(filter.limit ?? DEFAULT_PAGE_SIZE, 1), MAX_PAGE_SIZE);
  params.push(limit + 1);
  const text = `SELECT ${sql.entryColumns} FROM ledger_entries e ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY e.id DESC LIMIT ${sql.placeholder(params.length)}`;
  const rows = await db.query<EntryRow>(text, params);
  const items = rows.slice(0, limit).map(toEntry);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last !== undefined ? encodeCursor(last.id) : null };
}
