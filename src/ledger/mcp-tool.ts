/**
 * The MCP tool `list-role-changes`: the ledger for agents, with the same
 * filters and pages as `GET /v1/ledger`. Transport-free (plain MCP shapes),
 * so the MCP adapter only lists it and routes calls to it.
 */
import type { ValidateFunction } from 'ajv';
import { compileJsonValidator } from '../core/json-validation.js';
import { validationError } from '../core/field-errors.js';
import { asGatewayError } from '../core/errors.js';
import { jsonToolResult, problemToolResult, type ToolResult } from '../core/tool.js';
import type { SqlRunner } from './database.js';
import { LEDGER_FILTER_SCHEMA, listEntries, type LedgerFilter } from './list.js';

/** LIST_ROLE_CHANGES_TOOL is the tool as `tools/list` shows it. */
export const LIST_ROLE_CHANGES_TOOL = {
  name: 'list-role-changes',
  title: 'List role changes',
  description:
    'List the role changes and other mutating calls this gateway recorded, newest first: time, operation, organization, ' +
    'user, old and new role, caller, status (succeeded, failed, blocked by the seat-rotation guard, pending, unknown). ' +
    'Filter by organization, user, operation, status, since/until (ISO 8601); pass nextCursor back as cursor for the next page.',
  inputSchema: LEDGER_FILTER_SCHEMA,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
} as const;

let validate: ValidateFunction | undefined;

/** callListRoleChanges runs the tool; gateway errors come back as `isError` results with their code. */
export async function callListRoleChanges(db: SqlRunner, args: Record<string, unknown> | undefined, requestId = ''): Promise<ToolResult> {
  try {
    validate ??= compileJsonValidator(LEDGER_FILTER_SCHEMA);
    const input = args ?? {};
    if (!validate(input)) throw validationError('arguments', validate.errors ?? []);
    const page = await listEntries(db, input as LedgerFilter);
    return jsonToolResult({ items: page.items, nextCursor: page.nextCursor });
  } catch (err) {
    return problemToolResult(asGatewayError(err, 'the ledger could not be read'), requestId, true);
  }
}
