/**
 * Running one MCP tool call: validate the arguments, invoke the compiled
 * operation through the shared Invoker (the same path as REST), and render
 * the outcome as a CallToolResult. Never throws for upstream or gateway
 * failures: MCP reports those as `isError` results the model can read.
 */
import { AcceptedAnswer } from '../../core/accepted.js';
import { SCHEDULE_ARGUMENT } from '../../ledger/schedule.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import type { InputBinding } from '../../capability/compiled.js';
import { asGatewayError, GatewayError } from '../../core/errors.js';
import { validationError } from '../../core/field-errors.js';
import type { Invoker } from '../../core/invoker.js';
import type { InputValues, InvokeContext } from '../../core/operation.js';
import { problemToolResult, type BuiltinTool, type ToolCallContext } from '../../core/tool.js';
import type { UpstreamClient, UpstreamResponse } from '../../upstream/client.js';
import { readBodyText } from '../../upstream/response.js';
import { decodeBody } from '../../mapping/decode.js';
import { isCanonicalJson } from './canonical-json.js';
import type { InboundAuth } from '../../security/inbound-auth.js';
import { accessLogOf, ACCESS_LINE_BASE, INFO_LEVEL, isoTime } from '../../ops/logger.js';
import type { McpToolEntry } from './tool-table.js';

/** McpCallDeps are the services a tool call uses. */
export interface McpCallDeps {
  readonly invoker: Invoker<UpstreamClient>;
  /** Tools the gateway serves itself next to the capability's (e.g. the ledger's list-role-changes). */
  readonly builtinTools?: readonly BuiltinTool[] | undefined;
  readonly maxResponseBytes: number;
  readonly logger: Logger;
  /** Inbound key checks of the HTTP transport; the caller was authenticated before the call, the scope is checked here. */
  readonly auth?: InboundAuth | undefined;
}

const LINE_START = `{"level":${INFO_LEVEL}`;

/** Bounds what an upstream error body may add to the text an agent reads. */
const MAX_ERROR_DETAIL_CHARS = 2_000;

/** collectArguments maps tool arguments onto the consumed parameters. */
function collectArguments(inputs: readonly InputBinding[], args: Record<string, unknown>): InputValues {
  const values: InputValues = {};
  for (let i = 0; i < inputs.length; i++) {
    const input = inputs[i] as InputBinding;
    const source = input.source;
    const value = source.kind === 'argument' ? args[source.name] : source.kind === 'const' ? source.value : undefined;
    if (value !== undefined) values[input.parameter.name] = value;
  }
  return values;
}

function clip(text: string): string {
  return text.length > MAX_ERROR_DETAIL_CHARS ? `${text.slice(0, MAX_ERROR_DETAIL_CHARS)}…` : text;
}

/** Where common error envelopes put their one-line message: RFC 9457 and DRF `detail`, then `message`, `title`, `error`. */
const DETAIL_KEYS = ['detail', 'message', 'title', 'error'] as const;

/**
 * upstreamErrorContent is an upstream error as an agent reads it: a line naming the status and the
 * envelope's message, then the upstream's JSON body itself (clipped), as REST passes it through, so
 * field-level errors reach the agent whatever the upstream calls them. Non-JSON bodies (an HTML error
 * page) are left out: the status is the message.
 */
export function upstreamErrorContent(status: number, body: string): string[] {
  let detail = '';
  let json = false;
  try {
    const parsed: unknown = JSON.parse(body);
    json = typeof parsed === 'object' && parsed !== null;
    if (json && !Array.isArray(parsed)) {
      const record = parsed as Record<string, unknown>;
      const key = DETAIL_KEYS.find((k) => typeof record[k] === 'string');
      if (key !== undefined) detail = (record[key] as string).trim();
    }
  } catch {
    // Not JSON: the status alone is the message.
  }
  const summary = clip(detail === '' ? `upstream answered ${status}` : `upstream answered ${status}: ${detail}`);
  return json ? [summary, clip(body.trim())] : [summary];
}

function structuredOf(entry: McpToolEntry, output: unknown): Record<string, unknown> {
  const value = output === undefined ? null : output;
  if (entry.wrap === 'never') return value as Record<string, unknown>;
  if (entry.wrap === 'non-object' && typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  return { result: value };
}

async function renderResponse(entry: McpToolEntry, deps: McpCallDeps, res: UpstreamResponse): Promise<ToolOutcome> {
  const call = entry.tool;
  const status = res.statusCode;
  const timeoutMs = deps.invoker.upstream.timeoutFor(call.operation);
  if (status >= 300 && status < 400) {
    res.body.destroy();
    throw new GatewayError('NGW_ERR_UPSTREAM_BAD_RESPONSE', `upstream answered ${call.operation.key} with a redirect (${status}), which the gateway does not follow`);
  }
  if (status >= 400) {
    const content = upstreamErrorContent(status, await readBodyText(call, res, deps.maxResponseBytes, timeoutMs));
    return { isError: true, content: content.map((text) => ({ type: 'text', text })) };
  }
  const body = await readBodyText(call, res, deps.maxResponseBytes, timeoutMs);
  // The upstream's JSON unchanged, already in JSON.stringify's form: its text is the structured content's.
  if (call.output.identity && call.operation.outputRawFormat === 'json' && body.length > 0 && isCanonicalJson(body)) return new JsonTextResult(structuredTextOf(entry, body));
  const structured = structuredOf(entry, body.length === 0 ? undefined : call.output.map(decodeBody(call, body)));
  const text = JSON.stringify(structured);
  const result: CallToolResult & { [kStructuredJson]?: string } = { content: [{ type: 'text', text }], structuredContent: structured };
  result[kStructuredJson] = text;
  return result;
}

/** structuredTextOf is structuredOf for a value given as its canonical JSON text. */
function structuredTextOf(entry: McpToolEntry, json: string): string {
  if (entry.wrap === 'never' || (entry.wrap === 'non-object' && json.charCodeAt(0) === 0x7b)) return json;
  return `{"result":${json}}`;
}

/**
 * JsonTextResult is a successful result kept as the JSON text of its structured content, which is
 * also its first text block (then any notes): the fast path writes it without building the value,
 * and the SDK's path gets it as a CallToolResult (toolResult).
 */
class JsonTextResult {
  readonly isError = false;
  notes: string[] | undefined = undefined;

  constructor(readonly json: string) {}
}

/** Marks a `{content, structuredContent}` result with its structured content's JSON text (a symbol: JSON.stringify skips it). */
const kStructuredJson = Symbol('naftiko.structuredJson');

/** ToolOutcome is what runTool answers: a result, or one still in its JSON text. */
export type ToolOutcome = CallToolResult | JsonTextResult;

/** toolResult is an outcome as a CallToolResult (the SDK's path). */
export function toolResult(outcome: ToolOutcome): CallToolResult {
  if (!(outcome instanceof JsonTextResult)) return outcome;
  const content: CallToolResult['content'] = [{ type: 'text', text: outcome.json }];
  if (outcome.notes !== undefined) for (const text of outcome.notes) content.push({ type: 'text', text });
  return { content, structuredContent: JSON.parse(outcome.json) as Record<string, unknown> };
}

/**
 * resultJson serializes an outcome as JSON.stringify serializes its CallToolResult; a success reuses
 * the JSON text of its structured content, which its text block already holds, instead of walking
 * the value again.
 */
export function resultJson(outcome: ToolOutcome): string {
  if (outcome instanceof JsonTextResult) {
    let content = `[{"type":"text","text":${JSON.stringify(outcome.json)}}`;
    if (outcome.notes !== undefined) for (const note of outcome.notes) content += `,{"type":"text","text":${JSON.stringify(note)}}`;
    return `{"content":${content}],"structuredContent":${outcome.json}}`;
  }
  const structured = (outcome as { [kStructuredJson]?: string })[kStructuredJson];
  if (structured === undefined) return JSON.stringify(outcome);
  return `{"content":${JSON.stringify(outcome.content)},"structuredContent":${structured}}`;
}

/**
 * toolCallLine renders a call's `tool call completed` line as pino renders the same object (absent
 * fields left out), pre-serialized like REST's access line: its fields are fixed and secret-free,
 * so pino's serialization and redaction paths need not run per call.
 */
function toolCallLine(reqId: string, entry: McpToolEntry, keyId: string | undefined, upstreamStatus: number | undefined, code: string | undefined, isError: boolean, cancelled: boolean, elapsedMs: number): string {
  let line = `${LINE_START}${isoTime()}${ACCESS_LINE_BASE},"reqId":${JSON.stringify(reqId)}${entry.logFields}`;
  if (keyId !== undefined) line += `,"keyId":${JSON.stringify(keyId)}`;
  if (upstreamStatus !== undefined) line += `,"upstreamStatus":${upstreamStatus}`;
  if (code !== undefined) line += `,"code":${JSON.stringify(code)}`;
  line += `,"isError":${isError}`;
  if (cancelled) line += ',"cancelled":true';
  return `${line},"durationMs":${Math.round(elapsedMs * 100) / 100},"msg":"tool call completed"}\n`;
}

/**
 * acceptedResult is a call accepted for later (a scheduled change). The change did not happen now, and a tool with an
 * output schema must return conforming structured content unless it reports an error (and clients check structured
 * content against it even then), so it is an `isError` result whose text says what was scheduled, then its JSON.
 */
function acceptedResult(answer: AcceptedAnswer): CallToolResult {
  return { isError: true, content: [{ type: 'text', text: `ACCEPTED (202): ${answer.message}` }, { type: 'text', text: JSON.stringify(answer.body()) }] };
}

/** callTool runs one validated call and always resolves to a result (errors as `isError`). */
export async function callTool(entry: McpToolEntry, args: Record<string, unknown> | undefined, ctx: ToolCallContext, deps: McpCallDeps): Promise<CallToolResult> {
  return toolResult(await runTool(entry, args, ctx, deps));
}

/** runTool is callTool for a caller that serializes the outcome itself (resultJson). */
export async function runTool(entry: McpToolEntry, args: Record<string, unknown> | undefined, ctx: ToolCallContext, deps: McpCallDeps): Promise<ToolOutcome> {
  const started = performance.now();
  const input = args ?? {};
  let upstreamStatus: number | undefined;
  let code: string | undefined;
  let result: ToolOutcome;
  try {
    const denied = deps.auth?.authorizeScope(ctx.caller, entry.tool.scope);
    if (denied !== undefined) throw denied;
    if (!entry.validate(input)) throw validationError('arguments', entry.validate.errors ?? []);
    const invokeCtx: InvokeContext = { requestId: ctx.requestId, adapter: 'mcp', signal: ctx.signal, headers: ctx.headers, caller: ctx.caller, scheduleIfRefused: entry.schedulable && input[SCHEDULE_ARGUMENT] === true };
    const res = await deps.invoker.invoke(entry.tool, collectArguments(entry.tool.inputs, input), invokeCtx);
    upstreamStatus = res.statusCode;
    result = await renderResponse(entry, deps, res);
    // Interceptor notes (a seat-guard warning) reach the agent as extra text; the call itself succeeded.
    if (invokeCtx.notes !== undefined) {
      if (result instanceof JsonTextResult) result.notes = [...invokeCtx.notes];
      else for (const note of invokeCtx.notes) result.content.push({ type: 'text', text: note });
    }
  } catch (err) {
    if (err instanceof AcceptedAnswer) result = acceptedResult(err);
    else {
      const error = asGatewayError(err, 'the gateway failed to run the tool');
      if (error.code === 'NGW_ERR_INTERNAL') deps.logger.error({ err, reqId: ctx.requestId, tool: entry.tool.name }, error.message);
      code = error.code;
      result = problemToolResult(error, ctx.requestId, entry.problemFitsOutput);
    }
  }
  if (deps.logger.isLevelEnabled('info')) {
    const line = toolCallLine(ctx.requestId, entry, ctx.caller?.id, upstreamStatus, code, result.isError === true, ctx.signal.aborted, performance.now() - started);
    accessLogOf(deps.logger).write(line);
  }
  return result;
}
