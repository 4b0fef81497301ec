/**
 * The MCP port's node:http front: a POST to `/mcp` that can only be a session's
 * `tools/call` (a known session, no Origin, an allowed Host, a JSON body with a
 * Content-Length within the limit) has its body read and parsed here, and a
 * qualifying call (fast-call.ts) is run without fastify's routing, hooks and
 * body parser. Anything else — including a body that turns out not to be such
 * a call — goes to fastify, the body handed back through a `preParsing` hook,
 * so fastify answers it exactly as if it had read the body itself (parse
 * errors, poisoned JSON, limits, the SDK).
 */
import { createServer, type IncomingMessage, type Server, type ServerOptions, type ServerResponse } from 'node:http';
import { genRequestId } from '../../ops/request-id.js';
import { carryReadBody, parseJsonBody } from '../body-replay.js';
import type { AccessPolicy } from './access.js';
import { fastCallOf, type McpFastCalls, type SessionState, type ToolLookup } from './fast-call.js';
import { MCP_PATH } from './protected-resource.js';

/** FrontSession is what the front needs of a session: its state and the endpoint it was opened on. */
export interface FrontSession extends SessionState {
  readonly servers: ToolLookup;
}

/** RawFrontOptions are the MCP server's parts the front reads. */
export interface RawFrontOptions {
  readonly policy: AccessPolicy;
  readonly bodyLimitBytes: number;
  /** The `/mcp` endpoint's tools (capability sets' `/mcp/<capability>` endpoints take fastify's path). */
  readonly servers: ToolLookup;
  readonly sessions: ReadonlyMap<string, FrontSession>;
  readonly calls: McpFastCalls;
  /** Inbound keys on: requests take fastify's path, whose access hook authenticates them. */
  readonly authenticated: boolean;
  /** The server is closing: fastify answers (503). */
  closing(): boolean;
}

/** RawFront decides per request between the front's own path and fastify's. */
export class RawFront {
  constructor(private readonly options: RawFrontOptions) {}

  /** handle takes `req` (returns true) when it may be a session's tools/call; otherwise fastify gets it untouched. */
  handle(req: IncomingMessage, res: ServerResponse, fastify: Listener): boolean {
    if (req.method !== 'POST' || req.url !== MCP_PATH) return false;
    const o = this.options;
    const headers = req.headers;
    if (headers.origin !== undefined || o.authenticated || o.closing()) return false;
    const sessionId = headers['mcp-session-id'];
    if (typeof sessionId !== 'string') return false;
    const session = o.sessions.get(sessionId);
    if (session === undefined || session.servers !== o.servers) return false;
    const length = headers['content-length'];
    if (length === undefined || headers['transfer-encoding'] !== undefined) return false;
    const bytes = Number(length);
    if (!(bytes > 0 && bytes <= o.bodyLimitBytes)) return false;
    if (!o.policy.hostAllowed(headers.host, req.socket.localPort)) return false;
    (req as PendingRequest)[kPending] = new PendingBody(this, res, sessionId, session, fastify);
    req.on('data', onBodyData);
    req.on('end', onBodyEnd);
    // A client that leaves mid-body ends nothing: the request is dropped. Its 'error' must not be unhandled.
    req.on('error', ignoreError);
    return true;
  }

  /** bodyRead runs a call the body turned out to be, or hands the request (and the body) to fastify. */
  bodyRead(req: IncomingMessage, pending: PendingBody): void {
    const body = pending.chunks.length === 1 ? (pending.chunks[0] as Buffer) : Buffer.concat(pending.chunks, pending.received);
    // As fastify's parser reads it (a poisoned body, escaped or not, is fastify's to refuse).
    const message = parseJsonBody(body.toString('utf8'));
    const session = pending.session;
    const call = message === undefined ? undefined : fastCallOf(message, req.headers, session.servers);
    if (call === undefined) {
      carryReadBody(req, body);
      pending.fastify(req, pending.res);
      return;
    }
    session.lastSeenMs = Date.now();
    void this.options.calls.serve(session.servers, call, pending.sessionId, session, { requestId: genRequestId(req), headers: req.headers, caller: undefined }, pending.res);
  }
}

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

const kPending = Symbol('naftiko.mcpPendingBody');

/** PendingBody is a request whose body the front is reading. */
class PendingBody {
  readonly chunks: Buffer[] = [];
  received = 0;

  constructor(
    readonly front: RawFront,
    readonly res: ServerResponse,
    readonly sessionId: string,
    readonly session: FrontSession,
    readonly fastify: Listener,
  ) {}
}

interface PendingRequest extends IncomingMessage {
  [kPending]?: PendingBody | undefined;
}

function onBodyData(this: PendingRequest, chunk: Buffer): void {
  const pending = this[kPending] as PendingBody;
  pending.chunks.push(chunk);
  pending.received += chunk.length;
}

function onBodyEnd(this: PendingRequest): void {
  const pending = this[kPending] as PendingBody;
  this[kPending] = undefined;
  this.off('data', onBodyData);
  this.off('end', onBodyEnd);
  pending.front.bodyRead(this, pending);
}

function ignoreError(): void {
  // The request is dropped with its socket; the response has nothing to say.
}

/** The server settings fastify applies to a server it creates itself (fastify lib/server.js); a serverFactory must apply them. */
interface ServerSettings {
  readonly http?: ServerOptions | null | undefined;
  readonly keepAliveTimeout?: number | undefined;
  readonly requestTimeout?: number | undefined;
  readonly connectionTimeout?: number | undefined;
  readonly maxRequestsPerSocket?: number | undefined;
}

/** createFrontedServer is fastify's HTTP/1 server with `listener` in front of fastify's handler. */
export function createFrontedServer(settings: ServerSettings, listener: (req: IncomingMessage, res: ServerResponse) => void): Server {
  const server = createServer(settings.http ?? {}, listener);
  if (settings.keepAliveTimeout !== undefined) server.keepAliveTimeout = settings.keepAliveTimeout;
  if (settings.requestTimeout !== undefined) server.requestTimeout = settings.requestTimeout;
  server.setTimeout(settings.connectionTimeout ?? 0);
  if ((settings.maxRequestsPerSocket ?? 0) > 0) server.maxRequestsPerSocket = settings.maxRequestsPerSocket as number;
  return server;
}
