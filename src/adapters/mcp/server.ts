/**
 * MCP protocol servers for the tool table. One SDK server serves one
 * connection (a session, a stateless request, or stdio), so they are made
 * per connection from a tool table compiled once. Tools are served through
 * the low-level request handlers so the capability's JSON Schemas are sent
 * as they are (McpServer.registerTool only takes zod shapes, and McpServer
 * always advertises listChanged).
 */
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { Protocol } from '@modelcontextprotocol/sdk/shared/protocol.js';
import { CallToolRequestSchema, ErrorCode, ListToolsRequestSchema, type Tool } from '@modelcontextprotocol/sdk/types.js';
import * as z from 'zod/v4';
import type { CompiledMcpAdapter } from '../../capability/compiled.js';
import { problemToolResult, type BuiltinTool } from '../../core/tool.js';
import { requestIdFrom } from '../../ops/request-id.js';
import { VERSION } from '../../version.js';
import { callerOfAuth } from './access.js';
import { callTool, type McpCallDeps } from './call-tool.js';
import type { ToolLookup } from './fast-call.js';
import { compileToolTable, type McpToolEntry, type McpToolTable } from './tool-table.js';

/**
 * RpcError is a JSON-RPC error to answer as is. The SDK's McpError prefixes its message with
 * "MCP error <code>: ", which the protocol layer sends and the client's McpError prefixes again.
 */
export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'RpcError';
  }
}

/**
 * tools/call with its params unchecked, so bad params become a -32602 with a readable message
 * instead of the SDK's -32603 carrying a serialized zod error.
 */
const LooseCallToolRequestSchema = CallToolRequestSchema.extend({ params: z.unknown() });
type LooseCallToolRequest = z.infer<typeof LooseCallToolRequestSchema>;
type CallToolHandler = Parameters<Server['setRequestHandler']>[1];

/**
 * Server.setRequestHandler wraps tools/call in its own zod check, which answers bad params with a
 * serialized zod error behind "MCP error -32602:"; Protocol's registration is the same minus that
 * wrap, and the handler checks the params itself.
 */
function setCallToolHandler(server: Server, handler: (request: LooseCallToolRequest, extra: Parameters<CallToolHandler>[1]) => unknown): void {
  (Protocol.prototype.setRequestHandler as (this: Server, schema: typeof LooseCallToolRequestSchema, handler: unknown) => void).call(server, LooseCallToolRequestSchema, handler);
}
const CallToolParamsSchema = CallToolRequestSchema.shape.params;

function invalidParams(error: z.ZodError): RpcError {
  const issues = error.issues.map((issue) => `${['params', ...issue.path.map(String)].join('.')}: ${issue.message}`);
  return new RpcError(ErrorCode.InvalidParams, `Invalid params for tools/call: ${issues.join('; ')}`);
}

/** CreateOptions describe the connection a server is made for. */
export interface CreateOptions {
  /** A stateless HTTP request: nothing can be sent to the client later, so no list-changed notifications. */
  readonly stateless?: boolean;
}

/** McpServers makes protocol servers and tracks the connected ones for list-changed notifications. */
export class McpServers implements ToolLookup {
  private table: McpToolTable;
  private readonly live = new Set<Server>();
  /** Servers whose client can receive notifications (sessions and stdio). */
  private readonly notifiable = new Set<Server>();

  constructor(
    adapter: CompiledMcpAdapter,
    readonly deps: McpCallDeps,
  ) {
    this.table = compileToolTable(adapter);
  }

  /** capabilityTool is the capability's tool `name` (the fast path serves those; built-in tools take the SDK's). */
  capabilityTool(name: string): McpToolEntry | undefined {
    return this.table.byName.get(name);
  }

  /** tools is the current tool table. */
  get tools(): McpToolTable {
    return this.table;
  }

  /** builtins are the gateway's own tools whose names the capability does not use. */
  private builtins(): readonly BuiltinTool[] {
    const all = this.deps.builtinTools ?? [];
    return all.length === 0 ? all : all.filter((b) => !this.table.byName.has(b.definition.name));
  }

  /** connected counts the servers currently attached to a transport. */
  get connected(): number {
    return this.live.size;
  }

  /** create builds a server for one connection; it forgets itself when its transport closes. */
  create(options: CreateOptions = {}): Server {
    const adapter = this.table.adapter;
    const stateless = options.stateless === true;
    const server = new Server(
      { name: adapter.namespace, version: VERSION },
      { capabilities: { tools: stateless ? {} : { listChanged: true } }, ...(adapter.description === undefined ? {} : { instructions: adapter.description }) },
    );
    server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: [...this.table.list, ...this.builtins().map((b) => b.definition as Tool)] }));
    setCallToolHandler(server, (request, extra) => {
      const parsed = CallToolParamsSchema.safeParse(request.params);
      if (!parsed.success) throw invalidParams(parsed.error);
      const params = parsed.data;
      const headers = extra.requestInfo?.headers;
      const ctx = { requestId: requestIdFrom(headers?.['x-request-id']), signal: extra.signal, headers, caller: callerOfAuth(extra.authInfo) };
      const entry = this.table.byName.get(params.name);
      if (entry !== undefined) return callTool(entry, params.arguments, ctx, this.deps);
      const builtin = this.builtins().find((b) => b.definition.name === params.name);
      if (builtin !== undefined) {
        // The gateway's own tools read (the ledger) unless they say otherwise (cancelling a scheduled change needs `write`).
        const denied = this.deps.auth?.authorizeScope(ctx.caller, builtin.scope ?? 'read');
        // Built-in tools declare no output schema, so the problem travels as structured content too.
        return denied === undefined ? builtin.call(params.arguments, ctx) : problemToolResult(denied, ctx.requestId, true);
      }
      throw new RpcError(ErrorCode.InvalidParams, `unknown tool "${params.name}"`);
    });
    this.live.add(server);
    if (!stateless) this.notifiable.add(server);
    server.onclose = () => {
      this.live.delete(server);
      this.notifiable.delete(server);
    };
    return server;
  }

  /** replaceTools swaps in a reloaded capability's tools and tells connected clients. */
  replaceTools(adapter: CompiledMcpAdapter): void {
    this.table = compileToolTable(adapter);
    this.notifyToolsChanged();
  }

  /** notifyToolsChanged sends `notifications/tools/list_changed` to every connected client. */
  notifyToolsChanged(): void {
    for (const mcp of this.notifiable) mcp.sendToolListChanged();
  }

  /** closeAll closes every connected server (and so its transport). */
  async closeAll(): Promise<void> {
    await Promise.allSettled([...this.live].map((mcp) => mcp.close()));
    this.live.clear();
  }
}
