/**
 * Tool results as plain data (the MCP `CallToolResult` shape, without the SDK),
 * so the gateway's own tools (the ledger's `list-role-changes`) and the MCP
 * adapter render successes and problems one way.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { GatewayError } from './errors.js';
import type { Caller, CancelSignal } from './operation.js';
import { problemSummary, toProblem } from './problem.js';

/** ToolResult is a tool call's result: text for any client, structured content for those that read it. */
export interface ToolResult {
  [key: string]: unknown;
  content: { type: 'text'; text: string }[];
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
}

/** ToolDefinition is a tool as `tools/list` shows it. */
export interface ToolDefinition {
  readonly name: string;
  readonly title?: string;
  readonly description?: string;
  readonly inputSchema: object;
  readonly annotations?: Readonly<Record<string, boolean>>;
}

/** ToolCallContext is what the transport knows about one call. */
export interface ToolCallContext {
  readonly requestId: string;
  readonly signal: CancelSignal;
  readonly headers: IncomingHttpHeaders | undefined;
  readonly caller: Caller | undefined;
}

/** BuiltinTool is a tool the gateway itself serves; a capability tool of the same name wins. */
export interface BuiltinTool {
  readonly definition: ToolDefinition;
  /** The inbound key scope the tool needs once authentication is on (default `read`). */
  readonly scope?: 'read' | 'write';
  call(args: Record<string, unknown> | undefined, ctx: ToolCallContext): Promise<ToolResult>;
}

/** jsonToolResult returns `structured` both as text and as structured content. */
export function jsonToolResult(structured: Record<string, unknown>): ToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(structured) }], structuredContent: structured };
}

/**
 * problemToolResult is a gateway error as an `isError` result: the summary line
 * (`NGW_ERR_VALIDATION (400): …`, the same code REST puts in its problem+json) as text,
 * and the problem itself as structured content when `problemFitsOutput`: MCP says structured
 * content conforms to the tool's output schema, and the SDK's client checks it even on
 * errors, so a tool whose schema a problem object does not satisfy gets the text only.
 */
export function problemToolResult(err: GatewayError, requestId: string, problemFitsOutput: boolean): ToolResult {
  const result: ToolResult = { isError: true, content: [{ type: 'text', text: problemSummary(err) }] };
  if (problemFitsOutput) result.structuredContent = toProblem(err, requestId);
  return result;
}
