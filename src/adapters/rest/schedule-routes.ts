/**
 * The scheduled changes over REST: `GET /v1/ledger/schedules` (list),
 * `GET /v1/ledger/schedules/{id}` and `DELETE /v1/ledger/schedules/{id}`
 * (cancel: 204, 409 once it runs or ran, 404 unknown). Served only while the ledger is open.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifySchema } from 'fastify';
import { SCHEDULE_FILTER_SCHEMA, SCHEDULE_ID_SCHEMA, SCHEDULES_PATH, type ScheduleFilter, type ScheduleService } from '../../ledger/schedule.js';

const PARAMS_SCHEMA = { type: 'object', required: ['id'], properties: { id: SCHEDULE_ID_SCHEMA } } as const;
const ITEM_PATH = `${SCHEDULES_PATH}/:id`;

type IdParams = { id: string };

/** registerScheduleRoutes adds the scheduled changes' routes to the REST server. */
export function registerScheduleRoutes(app: FastifyInstance, schedules: ScheduleService): void {
  app.route<{ Querystring: ScheduleFilter }>({
    method: 'GET',
    url: SCHEDULES_PATH,
    config: { operationId: 'listScheduledChanges', scope: 'read' },
    schema: { querystring: SCHEDULE_FILTER_SCHEMA } as FastifySchema,
    async handler(request: FastifyRequest<{ Querystring: ScheduleFilter }>, reply: FastifyReply) {
      const page = await schedules.list(request.query);
      return reply.header('cache-control', 'no-store').type('application/json; charset=utf-8').send(JSON.stringify(page));
    },
  });
  app.route<{ Params: IdParams }>({
    method: 'GET',
    url: ITEM_PATH,
    config: { operationId: 'getScheduledChange', scope: 'read' },
    schema: { params: PARAMS_SCHEMA } as FastifySchema,
    async handler(request: FastifyRequest<{ Params: IdParams }>, reply: FastifyReply) {
      const schedule = await schedules.get(request.params.id);
      return reply.header('cache-control', 'no-store').type('application/json; charset=utf-8').send(JSON.stringify(schedule));
    },
  });
  app.route<{ Params: IdParams }>({
    method: 'DELETE',
    url: ITEM_PATH,
    config: { operationId: 'cancelScheduledChange', scope: 'write' },
    schema: { params: PARAMS_SCHEMA } as FastifySchema,
    async handler(request: FastifyRequest<{ Params: IdParams }>, reply: FastifyReply) {
      await schedules.cancel(request.params.id, request.caller?.id);
      return reply.code(204).send();
    },
  });
}
