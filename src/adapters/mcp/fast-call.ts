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
import { resultJson, runTool, type McpCallDeps } from './call-tool.js';
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

/** FastCall is one call in flight (on a session, or stateless): its response, its cancellation, its keep-alive state. */
export class FastCall {
  readonly signal = new LightSignal();
  /** Keep-alive ticks seen while running: the first tick only marks it, so a comment comes after 15–30 s. */
  ticks = 0;
  done = false;
  /** Neighbours in McpFastCalls' list of running calls (an intrusive list: see McpFastCalls). */
  prev: FastCall | undefined = undefined;
  next: FastCall | undefined = undefined;

  constructor(
    readonly res: ServerResponse,
    readonly head: string[],
    readonly id: RequestId,
    readonly session: SessionState | undefined,
    /** The caller's key id of a stateless call ('' when anonymous): with `id`, what a cancellation names. */
    readonly callerId: string,
  ) {}

  /** cancel implements stateless-calls.ts CancelTarget: the call is aborted and its stream ends without an answer. */
  cancel(message: JSONRPCMessage): void {
    const params = 'params' in message ? message.params : undefined;
    this.signal.fire(params?.['reason'] ?? new Error('the client cancelled the call'));
  }
}

/** SessionState is what the fast path updates on the session a call runs on. */
export interface SessionState {
  /** Open HTTP exchanges: a session with one is in use, never idle. */
  open: number;
  lastSeenMs: number;
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

/**
 * McpFastCalls runs fast-path calls and keeps their SSE streams alive while they run.
 *
 * The running calls are an intrusive doubly linked list, not a Set or a Map: a JS hash table that
 * keeps gaining and losing entries is rebuilt every few dozen calls, and each superseded table keeps
 * its entries and a link to its successor. Once a full GC had moved one of those tables to the old
 * generation, every later table — and every call, response and request in it — outlived two
 * scavenges through that link and was promoted: ~1 MB per scavenge under load, an old space
 * growing to ~110 MB between full GCs (the gateway's RSS under MCP load, docs/performance.md).
 * Calls are few at a time, so a cancellation or a session's close walks the list.
 */
export class McpFastCalls {
  private head: FastCall | undefined = undefined;
  private tail: FastCall | undefined = undefined;
  private keepAlive: NodeJS.Timeout | undefined = undefined;

  /** serve runs `call` and answers it on `res` (open, then run). */
  serve(tools: ToolLookup, call: FastCallRequest, sessionId: string | undefined, session: SessionState | undefined, ctx: FastCallContext, res: ServerResponse): Promise<void> {
    return this.run(tools, call, this.open(call, sessionId, session, ctx.caller, res), ctx);
  }

  /** open registers a call about to run on `res` (its session, its cancellation, keep-alive). */
  open(call: FastCallRequest, sessionId: string | undefined, session: SessionState | undefined, caller: Caller | undefined, res: ServerResponse): FastCall {
    if (session !== undefined) session.open++;
    // The SDK's transport's headers, in the order its Headers object yields them (sorted by name).
    const head = sessionId === undefined ? [...STATELESS_HEAD] : [...SESSION_HEAD_START, sessionId, ...HEAD_END];
    const running = new FastCall(res, head, call.id, session, caller?.id ?? '');
    (res as ServerResponse & { [kCall]?: FastCall })[kCall] = running;
    res.on('close', onResponseClose);
    this.track(running);
    return running;
  }

  /**
   * run answers an opened call as the SDK's transport does: status 200, its SSE headers (the names
   * the SDK's Headers object yields, in its sorted order), one `message` event, the end of the stream.
   */
  async run(tools: ToolLookup, call: FastCallRequest, running: FastCall, ctx: FastCallContext): Promise<void> {
    try {
      const result = await runTool(call.entry, call.args, { requestId: ctx.requestId, signal: running.signal, headers: ctx.headers, caller: ctx.caller }, tools.deps);
      // A cancelled request gets no response (MCP cancellation); its stream just ends.
      // The protocol layer's response object is `{result, jsonrpc, id}`, in that order.
      const event = running.signal.aborted ? '' : `event: message\ndata: {"result":${resultJson(result)},"jsonrpc":"2.0","id":${typeof call.id === 'number' ? call.id : JSON.stringify(call.id)}}\n\n`;
      finish(running, event);
    } catch (err) {
      // callTool renders every failure as a result; reaching here is a bug, and the stream cannot say more.
      tools.deps.logger.error({ err, reqId: ctx.requestId, tool: call.entry.tool.name }, 'mcp tool call failed');
      running.res.destroy(err instanceof Error ? err : new Error(String(err)));
    } finally {
      running.done = true;
      this.untrack(running);
    }
  }

  /** cancel aborts the session's latest running fast call `id` (a `notifications/cancelled`); false when there is none. */
  cancel(session: SessionState, id: RequestId, reason: unknown): boolean {
    for (let call = this.tail; call !== undefined; call = call.prev) {
      if (call.session !== session || call.id !== id) continue;
      call.signal.fire(reason ?? new Error('the client cancelled the call'));
      return true;
    }
    return false;
  }

  /**
   * findStateless lists the running stateless fast calls of caller `callerId` ('' when anonymous) whose
   * request id reads `idText` (stateless-calls.ts tells calls apart by that text).
   */
  findStateless(callerId: string, idText: string): FastCall[] {
    const found: FastCall[] = [];
    for (let call = this.head; call !== undefined; call = call.next) {
      if (call.session === undefined && !call.done && call.callerId === callerId && String(call.id) === idText) found.push(call);
    }
    return found;
  }

  /** closeSession ends the streams of a closed session's running calls (as the SDK's close ends its streams) and aborts them. */
  closeSession(session: SessionState): void {
    for (let call = this.head; call !== undefined; call = call.next) {
      if (call.session !== session || call.done) continue;
      call.signal.fire(new Error('the MCP session was closed'));
      finish(call, '');
    }
  }

  private track(call: FastCall): void {
    const tail = this.tail;
    call.prev = tail;
    if (tail === undefined) this.head = call;
    else tail.next = call;
    this.tail = call;
    if (this.keepAlive !== undefined) return;
    this.keepAlive = setInterval(tickKeepAlive, KEEP_ALIVE_MS, this);
    this.keepAlive.unref();
  }

  private untrack(call: FastCall): void {
    const { prev, next } = call;
    if (prev === undefined) {
      if (this.head !== call) return;
      this.head = next;
    } else prev.next = next;
    if (next === undefined) this.tail = prev;
    else next.prev = prev;
    // Unlinked both ways, so a finished call keeps no later one alive.
    call.prev = undefined;
    call.next = undefined;
  }

  /**
   * tick sends the SDK's keep-alive comment on streams of calls running for a whole interval (their
   * headers go first). The timer stops once no call runs at a tick, not as each burst ends: starting
   * and clearing it per call cost more than the tick.
   */
  tick(): void {
    if (this.head === undefined) {
      clearInterval(this.keepAlive);
      this.keepAlive = undefined;
      return;
    }
    for (let call: FastCall | undefined = this.head; call !== undefined; call = call.next) {
      const res = call.res;
      if (call.ticks++ === 0 || res.writableEnded || res.destroyed) continue;
      if (!res.headersSent) res.writeHead(200, call.head);
      res.write(KEEP_ALIVE_FRAME);
    }
  }

  /** close stops the keep-alive timer (the server is closing). */
  close(): void {
    if (this.keepAlive !== undefined) clearInterval(this.keepAlive);
    this.keepAlive = undefined;
  }
}

function tickKeepAlive(calls: McpFastCalls): void {
  calls.tick();
}

const SESSION_HEAD_START: readonly string[] = ['cache-control', 'no-cache, no-transform', 'connection', 'keep-alive', 'content-type', 'text/event-stream', 'mcp-session-id'];
const HEAD_END: readonly string[] = ['x-accel-buffering', 'no'];
const STATELESS_HEAD: readonly string[] = ['cache-control', 'no-cache, no-transform', 'connection', 'keep-alive', 'content-type', 'text/event-stream', ...HEAD_END];

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
    call.head.push('content-length', String(Buffer.byteLength(event)));
    res.writeHead(200, call.head);
  }
  res.end(event);
}
