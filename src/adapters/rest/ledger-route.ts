/**
 * `GET /v1/ledger`: the role-change ledger as JSON pages or CSV, with a JSON
 * Schema for its query string so it is validated and documented like every route.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifySchema } from 'fastify';
import type { SqlRunner } from '../../ledger/database.js';
import { toCsv } from '../../ledger/csv.js';
import { ENTRY_FIELDS } from '../../ledger/entry.js';
import { LEDGER_FILTER_SCHEMA, listEntries, type LedgerFilter } from '../../ledger/list.js';
import { GatewayError } from '../../core/errors.js';
import { sendProblem } from '../http-problem.js';

/** LEDGER_PATH is where the ledger is read. */
export const LEDGER_PATH = '/v1/ledger';

const QUERY_SCHEMA = {
  ...LEDGER_FILTER_SCHEMA,
  properties: { ...LEDGER_FILTER_SCHEMA.properties, format: { type: 'string', enum: ['json', 'csv'], description: 'csv: the same as Accept: text/csv.' } },
};

const NULLABLE_STRING = { type: ['string', 'null'] };
const ENTRY_SCHEMA = {
  type: 'object',
  properties: Object.fromEntries(ENTRY_FIELDS.map((f) => [f, f === 'upstreamStatus' ? { type: ['integer', 'null'] } : NULLABLE_STRING])),
};

const PAGE_SCHEMA = {
  type: 'object',
  required: ['items', 'nextCursor'],
  properties: { items: { type: 'array', items: ENTRY_SCHEMA }, nextCursor: NULLABLE_STRING },
};

/** LEDGER_DOCUMENTATION describes the route for the OpenAPI document. */
export const LEDGER_DOCUMENTATION = {
  path: LEDGER_PATH,
  operationId: 'listRoleChanges',
  summary: 'List recorded role changes and other mutating calls',
  description: 'The gateway ledger, newest first. JSON pages with nextCursor, or CSV with Accept: text/csv or format=csv.',
  query: QUERY_SCHEMA,
  page: PAGE_SCHEMA,
} as const;

type LedgerQuery = LedgerFilter & { format?: 'json' | 'csv' };

function wantsCsv(request: FastifyRequest<{ Querystring: LedgerQuery }>): boolean {
  if (request.query.format !== undefined) return request.query.format === 'csv';
  const accept = request.headers.accept ?? '';
  return /\btext\/csv\b/i.test(accept) && !/\bapplication\/json\b/i.test(accept);
}

function nextLink(request: FastifyRequest<{ Querystring: LedgerQuery }>, cursor: string): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(request.query)) if (v !== undefined && k !== 'cursor') params.set(k, String(v));
  params.set('cursor', cursor);
  return `<${LEDGER_PATH}?${params.toString()}>; rel="next"`;
}

function readOnly(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  reply.header('allow', 'GET, HEAD');
  return sendProblem(reply, new GatewayError('NGW_ERR_METHOD_NOT_ALLOWED', `${request.method} is not allowed here; allowed: GET, HEAD`));
}

/** registerLedgerRoute adds `GET /v1/ledger` (and 405 for other methods) to the REST server. */
export function registerLedgerRoute(app: FastifyInstance, db: SqlRunner): void {
  app.route({ method: ['DELETE', 'PATCH', 'POST', 'PUT', 'OPTIONS'], url: LEDGER_PATH, handler: readOnly });
  app.route<{ Querystring: LedgerQuery }>({
    method: 'GET',
    url: LEDGER_PATH,
    config: { operationId: 'listRoleChanges', scope: 'read' },
    schema: { querystring: QUERY_SCHEMA } as FastifySchema,
    async handler(request: FastifyRequest<{ Querystring: LedgerQuery }>, reply: FastifyReply) {
      const page = await listEntries(db, request.query);
      reply.header('cache-control', 'no-store');
      if (page.nextCursor !== null) reply.header('link', nextLink(request, page.nextCursor));
      if (wantsCsv(request)) {
        if (page.nextCursor !== null) reply.header('x-next-cursor', page.nextCursor);
        return reply.type('text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="ledger.csv"').send(toCsv(page.items));
      }
      return reply.type('application/json; charset=utf-8').send(JSON.stringify(page));
    },
  });
}
