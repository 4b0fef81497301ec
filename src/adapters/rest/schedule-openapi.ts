/**
 * The OpenAPI of scheduled changes: the `Prefer: respond-async` header and
 * 202 answer of guarded routes, and the `/v1/ledger/schedules` paths. Kept
 * next to the routes (schedule-routes.ts); openapi-builder.ts adds them when the ledger is on.
 */
import type { JsonSchema } from '../../capability/model.js';
import { SCHEDULE_FILTER_SCHEMA, SCHEDULE_ID_SCHEMA, SCHEDULE_SCHEMA, SCHEDULED_ANSWER_SCHEMA, SCHEDULES_PATH } from '../../ledger/schedule.js';
import { errorResponse, headerRef, JSON_MEDIA, PROBLEM_MEDIA, schemaRef } from './openapi-components.js';
import { exampleOf } from './openapi-examples.js';

/** PREFER_PARAMETER asks a guarded route to schedule a change the guard refuses now. */
export const PREFER_PARAMETER: JsonSchema = {
  name: 'prefer',
  in: 'header',
  required: false,
  description: '`respond-async` (RFC 7240): if the seat-rotation guard refuses the change now, schedule it for the earliest time the guard allows and answer 202 instead of 409. Ignored when the change is allowed now.',
  schema: { type: 'string' },
  example: 'respond-async',
};

const string = (description: string): JsonSchema => ({ description, schema: { type: 'string' } });

/** scheduledResponse is a guarded route's 202. */
export function scheduledResponse(): JsonSchema {
  return {
    description: 'Refused by the seat-rotation guard now and scheduled for the earliest time it allows (Prefer: respond-async); the body names the schedule.',
    headers: {
      'x-request-id': headerRef('XRequestId'),
      location: string('The schedule: GET to follow it, DELETE to cancel it.'),
      'preference-applied': string('respond-async'),
      'retry-after': headerRef('RetryAfter'),
    },
    content: { [JSON_MEDIA]: { schema: SCHEDULED_ANSWER_SCHEMA, example: exampleOf(SCHEDULED_ANSWER_SCHEMA as unknown as JsonSchema) } },
  };
}

function problems(statuses: readonly string[]): Record<string, JsonSchema> {
  const out: Record<string, JsonSchema> = {};
  for (const status of statuses) {
    const response = errorResponse(status);
    // Scheduled changes are the gateway's own: their errors are always problems.
    response['content'] = { [PROBLEM_MEDIA]: { schema: schemaRef('Problem') } };
    out[status] = response;
  }
  return out;
}

const ERRORS = ['400', '401', '403', '408', '414', '429', '431', '500', '503'];
const ID_PARAMETER: JsonSchema = { name: 'id', in: 'path', required: true, description: SCHEDULE_ID_SCHEMA.description, schema: { type: 'string', pattern: SCHEDULE_ID_SCHEMA.pattern } };

/** scheduleOperations documents `/v1/ledger/schedules` and `/{id}`; `authenticated` adds the scope notes. */
export function scheduleOperations(authenticated: boolean, successHeaders: Record<string, JsonSchema>): Record<string, Record<string, JsonSchema>> {
  const needs = (scope: string): string => (authenticated ? ` Needs a gateway key with the \`${scope}\` scope.` : '');
  const query = Object.entries(SCHEDULE_FILTER_SCHEMA.properties).map(([name, schema]) => {
    const { description, ...rest } = schema as JsonSchema;
    return { name, in: 'query', required: false, schema: rest, ...(typeof description === 'string' ? { description } : {}) };
  });
  const page: JsonSchema = { type: 'object', required: ['items', 'nextCursor'], properties: { items: { type: 'array', items: SCHEDULE_SCHEMA }, nextCursor: { type: ['string', 'null'] } } };
  const list: JsonSchema = {
    operationId: 'listScheduledChanges',
    summary: 'List scheduled changes',
    description: `Changes scheduled because the seat-rotation guard refused them at the time, newest first.${needs('read')}`,
    tags: ['ledger'],
    parameters: query,
    responses: { '200': { description: 'One page of schedules.', headers: successHeaders, content: { [JSON_MEDIA]: { schema: page, example: exampleOf(page) } } }, ...problems(ERRORS) },
  };
  const get: JsonSchema = {
    operationId: 'getScheduledChange',
    summary: 'Read a scheduled change',
    description: `Its status (scheduled, running, succeeded, failed, unknown, cancelled), due time and ledger entries.${needs('read')}`,
    tags: ['ledger'],
    parameters: [ID_PARAMETER],
    responses: { '200': { description: 'The schedule.', headers: successHeaders, content: { [JSON_MEDIA]: { schema: SCHEDULE_SCHEMA, example: exampleOf(SCHEDULE_SCHEMA as unknown as JsonSchema) } } }, ...problems([...ERRORS, '404'].sort()) },
  };
  const cancel: JsonSchema = {
    operationId: 'cancelScheduledChange',
    summary: 'Cancel a scheduled change',
    description: `Cancels a change that has not run yet; 409 once it is running or done.${needs('write')}`,
    tags: ['ledger'],
    parameters: [ID_PARAMETER],
    responses: { '204': { description: 'Cancelled.', headers: successHeaders }, ...problems([...ERRORS, '404', '409'].sort()) },
  };
  return { [SCHEDULES_PATH]: { get: list }, [`${SCHEDULES_PATH}/{id}`]: { get, delete: cancel } };
}
