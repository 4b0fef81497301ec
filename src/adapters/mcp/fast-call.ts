/**
 * The compiled `tools/call` path of an open session (or a stateless server). The SDK's Streamable HTTP
 * transport turns each POST into web-standard Request/Response objects, parses
 * the message with zod three times, runs it through its protocol layer and
 * writes headers, event and end in three socket writes: ~1 ms of CPU for a call
 * REST forwards in ~70 µs. A POST that is exactly one well-formed `tools/call`
 * of a capability tool, on an initialized session or a stateless server, with the headers the SDK
 * accepts, is answered here instead: the same tool run (call-tool.ts), and the
 * same bytes the SDK would write (status, headers, one SSE `message` event with
 * `{result, jsonrpc, id}`). Anything else — initialize, notifications, batches,
 * `_meta`/`task` params, unknown or built-in tools, invalid params, unusual
 * headers — takes the SDK path, which answers every protocol error.
 */
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { SUPPORTED_PROTOCOL_VERSIONS, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { Caller } from '../../core/operation.js';
import { LightSignal } from '../../upstream/deadline.js';
import { callTool, resultJson, type McpCallDeps } from './call-tool.js';
import type { McpToolEntry } from './tool-table.js';

/** RequestId is a JSON-RPC request id (MCP: a string or an integer). */
export type RequestId = string | number;

/** FastCallRequest is a message the fast path answers: its id, tool and arguments. */
export interface FastCallRequest {
  readonly id: RequestId;
  readonly entry: McpToolEntry;
  readonly args: Record<string, unknown> | undefined;
}

/** ToolLookup finds a capability tool by name (never a built-in one: those take the SDK path). */
export interface ToolLookup {
  capabilityTool(name: string): McpToolEntry | undefined;
  readonly deps: McpCallDeps;
}

/** The SDK's interval between SSE keep-alive comments (server/sseKeepAlive.js). */
const KEEP_ALIVE_MS = 15_000;
const KEEP_ALIVE_FRAME = ': keepalive\n\n';
const SUPPORTED_VERSIONS: ReadonlySet<string> = new Set(SUPPORTED_PROTOCOL_VERSIONS);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * headersQualify: the checks the SDK's POST handler makes, passed the way it passes them (Accept holds
 * both types as substrings, a JSON Content-Type, a supported Mcp-Protocol-Version when one is sent).
 * Content-Types the SDK would parse first (parameters other than the usual charset) take its path.
 */
function headersQualify(headers: IncomingHttpHeaders): boolean {
  const accept = headers.accept;
  if (accept === undefined || !accept.includes('application/json') || !accept.includes('text/event-stream')) return false;
  const type = headers['content-type'];
  if (type !== 'application/json' && type?.toLowerCase() !== 'application/json; charset=utf-8') return false;
  const version = headers['mcp-protocol-version'];
  return version === undefined || (typeof version === 'string' && SUPPORTED_VERSIONS.has(version));
}

/**
 * fastCallOf returns the call when `body` is one `tools/call` request the SDK would accept as is
 * (its JSON-RPC request schema is strict: no other members) with params of exactly `name` and
 * optional object `arguments`, naming a capability tool; otherwise undefined.
 */
export function fastCallOf(body: unknown, headers: IncomingHttpHeaders, tools: ToolLookup): FastCallRequest | undefined {
  if (!isPlainObject(body) || body['method'] !== 'tools/call' || body['jsonrpc'] !== '2.0') return undefined;
  const id = body['id'];
  if (typeof id !== 'string' && !Number.isInteger(id)) return undefined;
  const params = body['params'];
  if (!isPlainObject(params)) return undefined;
  let members = 0;
  for (const key in body) {
    if (key !== 'jsonrpc' && key !== 'id' && key !== 'method' && key !== 'params') return undefined;
    members++;
  }
  if (members !== 4) return undefined;
  const name = params['name'];
  const args = params['arguments'];
  for (const key in params) if (key !== 'name' && key !== 'arguments') return undefined;
  if (typeof name !== 'string' || (args !== undefined && !isPlainObject(args))) return undefined;
  if (!headersQualify(headers)) return undefined;
  const entry = tools.capabilityTool(name);
  return entry === undefined ? undefined : { id: id as RequestId, entry, args };
}

/** cancelledRequestOf is the request id a `notifications/cancelled` body names, if it is one. */
export function cancelledRequestOf(body: unknown): RequestId | undefined {
  if (!isPlainObject(body) || body['method'] !== 'notifications/cancelled' || body['id'] !== undefined) return undefined;
  const params = body['params'];
  if (!isPlainObject(params)) return undefined;
  const id = params['requestId'];
  return typeof id === 'string' || Number.isInteger(id) ? (id as RequestId) : undefined;
}

/** FastCall is one call in flight on a session: its response, its cancellation, its keep-alive state. */
export class FastCall {
  readonly signal = new LightSignal();
  /** Keep-alive ticks seen while running: the first tick only marks it, so a comment comes after 15–30 s. */
  ticks = 0;
  done = false;

  constructor(
    readonly res: ServerResponse,
    readonly head: Record<string, string>,
    readonly id: RequestId,
    readonly session: SessionState | undefined,
  ) {}

  /** cancel implements stateless-calls.ts CancelTarget: the call is aborted and its stream ends without an answer. */
  cancel(message: JSONRPCMessage): void {
    const params = 'params' in message ? message.params : undefined;
    this.signal.fire(params?.['reason'] ?? new Error('the client cancelled the call'));
  }
}

/** The calls in flight on one session, by JSON-RPC id (ids are unique per session while in flight). */
export type SessionCalls = Map<RequestId, FastCall>;

/** SessionState is what the fast path updates on the session a call runs on. */
export interface SessionState {
  /** Open HTTP exchanges: a session with one is in use, never idle. */
  open: number;
  lastSeenMs: number;
  /** Fast-path calls running on the session, made on its first. */
  calls: SessionCalls | undefined;
}

/** FastCallContext is what the HTTP layer knows about the POST. */
export interface FastCallContext {
  readonly requestId: string;
  readonly headers: IncomingHttpHeaders;
  readonly caller: Caller | undefined;
}

function onResponseClose(this: ServerResponse & { [kCall]?: FastCall }): void {
  const call = this[kCall];
  if (call === undefined) return;
  this[kCall] = undefined;
  const session = call.session;
  if (session !== undefined) {
    session.open--;
    session.lastSeenMs = Date.now();
  }
  if (call.done) return;
  // The client left before the answer: stop the upstream call (the SDK path would let it finish unread).
  call.signal.fire(new Error('the client closed the connection'));
}

const kCall = Symbol('naftiko.mcpFastCall');

/** McpFastCalls runs fast-path calls and keeps their SSE streams alive while they run. */
export class McpFastCalls {
  private readonly running = new Set<FastCall>();
  private keepAlive: NodeJS.Timeout | undefined = undefined;

  /** serve runs `call` and answers it on `res` (open, then run). */
  serve(tools: ToolLookup, call: FastCallRequest, sessionId: string | undefined, session: SessionState | undefined, ctx: FastCallContext, res: ServerResponse): Promise<void> {
    return this.run(tools, call, this.open(call, sessionId, session, res), ctx);
  }

  /** open registers a call about to run on `res` (its session, its cancellation, keep-alive). */
  open(call: FastCallRequest, sessionId: string | undefined, session: SessionState | undefined, res: ServerResponse): FastCall {
    if (session !== undefined) {
      session.open++;
      session.calls ??= new Map();
    }
    const head: Record<string, string> = { 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'content-type': 'text/event-stream' };
    if (sessionId !== undefined) head['mcp-session-id'] = sessionId;
    head['x-accel-buffering'] = 'no';
    const running = new FastCall(res, head, call.id, session);
    (res as ServerResponse & { [kCall]?: FastCall })[kCall] = running;
    res.on('close', onResponseClose);
    session?.calls?.set(call.id, running);
    this.track(running);
    return running;
  }

  /**
   * run answers an opened call as the SDK's transport does: status 200, its SSE headers (the names
   * the SDK's Headers object yields, in its sorted order), one `message` event, the end of the stream.
   */
  async run(tools: ToolLookup, call: FastCallRequest, running: FastCall, ctx: FastCallContext): Promise<void> {
    const res = running.res;
    const calls = running.session?.calls;
    try {
      const result = await callTool(call.entry, call.args, { requestId: ctx.requestId, signal: running.signal, headers: ctx.headers, caller: ctx.caller }, tools.deps);
      // A cancelled request gets no response (MCP cancellation); its stream just ends.
      // The protocol layer's response object is `{result, jsonrpc, id}`, in that order.
      const event = running.signal.aborted ? '' : `event: message\ndata: {"result":${resultJson(result)},"jsonrpc":"2.0","id":${JSON.stringify(call.id)}}\n\n`;
      finish(running, event);
    } catch (err) {
      // callTool renders every failure as a result; reaching here is a bug, and the stream cannot say more.
      tools.deps.logger.error({ err, reqId: ctx.requestId, tool: call.entry.tool.name }, 'mcp tool call failed');
      res.destroy(err instanceof Error ? err : new Error(String(err)));
    } finally {
      running.done = true;
      if (calls?.get(call.id) === running) calls.delete(call.id);
      this.running.delete(running);
      if (this.running.size === 0) this.stopKeepAlive();
    }
  }

  /** cancel aborts the session's call `id` (a `notifications/cancelled`); false when no fast call has that id. */
  static cancel(calls: SessionCalls | undefined, id: RequestId, reason: unknown): boolean {
    const call = calls?.get(id);
    if (call === undefined) return false;
    call.signal.fire(reason ?? new Error('the client cancelled the call'));
    return true;
  }

  /** closeSession ends the streams of a closed session's running calls (as the SDK's close ends its streams) and aborts them. */
  static closeSession(calls: SessionCalls | undefined): void {
    if (calls === undefined) return;
    for (const call of calls.values()) {
      call.signal.fire(new Error('the MCP session was closed'));
      finish(call, '');
    }
    calls.clear();
  }

  private track(call: FastCall): void {
    this.running.add(call);
    if (this.keepAlive !== undefined) return;
    this.keepAlive = setInterval(() => this.tick(), KEEP_ALIVE_MS);
    this.keepAlive.unref();
  }

  /** tick sends the SDK's keep-alive comment on streams of calls running for a whole interval (their headers go first). */
  private tick(): void {
    for (const call of this.running) {
      if (call.ticks++ === 0 || call.res.writableEnded || call.res.destroyed) continue;
      if (!call.res.headersSent) call.res.writeHead(200, call.head);
      call.res.write(KEEP_ALIVE_FRAME);
    }
  }

  private stopKeepAlive(): void {
    if (this.keepAlive === undefined) return;
    clearInterval(this.keepAlive);
    this.keepAlive = undefined;
  }
}

/**
 * finish writes the answer in one socket write: headers, the event, the end. Once a keep-alive
 * comment has sent the headers, the stream is chunked (as the SDK's always is); otherwise the
 * whole answer is known and goes with a Content-Length, as the SDK's transport also sends it when
 * the result is ready before it writes the headers.
 */
function finish(call: FastCall, event: string): void {
  const res = call.res;
  call.done = true;
  if (res.writableEnded || res.destroyed) return;
  if (!res.headersSent) {
    call.head['content-length'] = String(Buffer.byteLength(event));
    res.writeHead(200, call.head);
  }
  res.end(event);
}
