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

/** PageQuery collects the conditions of a page query and their parameters, in the dialect's placeholders. */
export class PageQuery {
  readonly params: unknown[] = [];
  private readonly conditions: string[] = [];

  constructor(private readonly placeholder: (n: number) => string) {}

  /** bind adds `value` and returns how the query refers to it (text by default; a time or an id through `param`). */
  bind(value: unknown, param: (n: number) => string = this.placeholder): string {
    this.params.push(value);
    return param(this.params.length);
  }

  /** where adds a condition; each `#` in `clause` stands for `value`. */
  where(clause: string, value: unknown, param?: (n: number) => string): void {
    this.conditions.push(clause.replaceAll('#', this.bind(value, param)));
  }

  /** whereClause is `WHERE …` of the conditions added, or nothing. */
  whereClause(): string {
    return this.conditions.length > 0 ? `WHERE ${this.conditions.join(' AND ')}` : '';
  }
}

/** pageLimit bounds a filter's `limit`. */
export function pageLimit(limit: number | undefined): number {
  return Math.min(Math.max(limit ?? DEFAULT_PAGE_SIZE, 1), MAX_PAGE_SIZE);
}

/** toPage keeps `limit` of the `limit + 1` rows a page query asks for, with the next page's cursor when there were more. */
export function toPage<R, T extends { readonly id: string }>(rows: readonly R[], limit: number, map: (row: R) => T): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit).map(map);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last !== undefined ? encodeCursor(last.id) : null };
}

/** listEntries returns one page of entries matching `filter`, newest first. */
export async function listEntries(db: SqlRunner, filter: LedgerFilter): Promise<LedgerPage> {
  const sql = sqlFor(db.dialect);
  const q = new PageQuery(sql.placeholder);
  if (filter.organization !== undefined) q.where('e.organization_id = #', filter.organization);
  if (filter.user !== undefined) q.where('e.user_id = #', filter.user);
  if (filter.operation !== undefined) q.where('(e.operation = # OR e.exposed_as = #)', filter.operation);
  if (filter.status !== undefined) q.where(`${sql.status} = #`, filter.status);
  if (filter.capability !== undefined) q.where('e.capability = #', filter.capability);
  if (filter.since !== undefined) q.where('e.recorded_at >= #', timestamp('since', filter.since), sql.timeParam);
  if (filter.until !== undefined) q.where('e.recorded_at < #', timestamp('until', filter.until), sql.timeParam);
  if (filter.cursor !== undefined) q.where('e.id < #', decodeCursor(filter.cursor), sql.idParam);
  const limit = pageLimit(filter.limit);
  const text = `SELECT ${sql.entryColumns} FROM ledger_entries e ${q.whereClause()} ORDER BY e.id DESC LIMIT ${q.bind(limit + 1)}`;
  return toPage(await db.query<EntryRow>(text, q.params), limit, toEntry);
}
