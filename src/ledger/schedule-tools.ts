/**
 * The MCP tools of scheduled changes, beside `list-role-changes`:
 * `list-scheduled-changes` (read) and `cancel-scheduled-change` (write).
 * Transport-free (plain MCP shapes), like the ledger's list tool.
 */
import type { ValidateFunction } from 'ajv';
import { asGatewayError } from '../core/errors.js';
import { validationError } from '../core/field-errors.js';
import { compileJsonValidator } from '../core/json-validation.js';
import { jsonToolResult, problemToolResult, type BuiltinTool, type ToolCallContext, type ToolResult } from '../core/tool.js';
import { SCHEDULE_ARGUMENT, SCHEDULE_FILTER_SCHEMA, SCHEDULE_ID_SCHEMA, type ScheduleFilter, type ScheduleService } from './schedule.js';

const CANCEL_SCHEMA = { type: 'object', additionalProperties: false, required: ['id'], properties: { id: SCHEDULE_ID_SCHEMA } } as const;

/** LIST_SCHEDULES_TOOL lists scheduled changes. */
export const LIST_SCHEDULES_TOOL = {
  name: 'list-scheduled-changes',
  title: 'List scheduled changes',
  description:
    `List the changes scheduled because the seat-rotation guard refused them at the time (a call with ${SCHEDULE_ARGUMENT}: true), newest first: ` +
    'when each runs (dueAt), its status (scheduled, running, succeeded, failed, unknown, cancelled), the ledger entries of the refused attempt and of the run. ' +
    'Filter by status, organization, user; pass nextCursor back as cursor for the next page.',
  inputSchema: SCHEDULE_FILTER_SCHEMA,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
} as const;

/** CANCEL_SCHEDULE_TOOL cancels a waiting scheduled change. */
export const CANCEL_SCHEDULE_TOOL = {
  name: 'cancel-scheduled-change',
  title: 'Cancel a scheduled change',
  description: 'Cancel a scheduled change that has not run yet (status scheduled). A change that is running or ran cannot be cancelled (conflict).',
  inputSchema: CANCEL_SCHEMA,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
} as const;

/** validatedTool checks the arguments against `schema` (compiled on first use) and renders errors as problems. */
function validatedTool(definition: BuiltinTool['definition'], scope: 'read' | 'write', schema: object, failure: string, run: (input: Record<string, unknown>, ctx: ToolCallContext) => Promise<Record<string, unknown>>): BuiltinTool {
  let validate: ValidateFunction | undefined;
  return {
    definition,
    scope,
    async call(args, ctx): Promise<ToolResult> {
      try {
        validate ??= compileJsonValidator(schema);
        const input = args ?? {};
        if (!validate(input)) throw validationError('arguments', validate.errors ?? []);
        return jsonToolResult(await run(input, ctx));
      } catch (err) {
        return problemToolResult(asGatewayError(err, failure), ctx.requestId, true);
      }
    },
  };
}

/** scheduleTools serves the schedules to agents. */
export function scheduleTools(service: ScheduleService): BuiltinTool[] {
  return [
    validatedTool(LIST_SCHEDULES_TOOL, 'read', SCHEDULE_FILTER_SCHEMA, 'the scheduled changes could not be read', async (input) => {
      const page = await service.list(input as ScheduleFilter);
      return { items: page.items, nextCursor: page.nextCursor };
    }),
    validatedTool(CANCEL_SCHEDULE_TOOL, 'write', CANCEL_SCHEMA, 'the scheduled change could not be cancelled', async (input, ctx) => ({
      cancelled: true,
      schedule: await service.cancel((input as { id: string }).id, ctx.caller?.id),
    })),
  ];
}
