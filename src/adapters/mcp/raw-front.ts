/**
 * The MCP port's node:http front: a POST to `/mcp` (or to a capability set's
 * `/mcp/<capability>`) that can only be a `tools/call` — a known session of that
 * endpoint or a stateless server, no Origin, an allowed Host, a valid inbound key
 * when keys are on, a JSON body with a Content-Length within the limit — has its
 * body read and parsed here, and a qualifying call (fast-call.ts) is run without
 * fastify's routing, hooks and body parser. Anything else — including a body that
 * turns out not to be such a call, and every refusal — goes to fastify, the body
 * handed back through a `preParsing` hook, so fastify answers it exactly as if it
 * had read the body itself (parse errors, poisoned JSON, limits, the SDK).
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerOptions, type ServerResponse } from 'node:http';
import type { Caller } from '../../core/operation.js';
import { genRequestId } from '../../ops/request-id.js';
import { BodyChunks, carryReadBody, framedWithin, parseJsonBody } from '../body-replay.js';
import type { AccessPolicy } from './access.js';
import { fastCallOf, type McpFastCalls, type SessionState, type ToolLookup } from './fast-call.js';
import { MCP_PATH } from './protected-resource.js';

/** FrontSession is what the front needs of a session: its state and the endpoint it was opened on. */
export interface FrontSession extends SessionState {
  readonly servers: ToolLookup;
}

/** CallerOfHeaders is the inbound key check: the caller, or undefined for fastify's access hook to answer (no key, a bad one). */
export type CallerOfHeaders = (headers: IncomingHttpHeaders) => Caller | undefined;

/** RawFrontOptions are the MCP server's parts the front reads. */
export interface RawFrontOptions {
  readonly policy: AccessPolicy;
  readonly bodyLimitBytes: number;
  /** The `/mcp` endpoint's tools. */
  readonly servers: ToolLookup;
  /** A capability set's `/mcp/<capability>` endpoints, if any. */
  readonly scopes: { get(capability: string): ToolLookup | undefined } | undefined;
  readonly sessions: ReadonlyMap<string, FrontSession>;
  readonly stateless: boolean;
  readonly calls: McpFastCalls;
  /** Inbound keys are on: only a request `callerOf` accepts is the front's (without `callerOf`, none is). */
  readonly authenticated: boolean;
  readonly callerOf: CallerOfHeaders | undefined;
  /** The server is closing: fastify answers (503). */
  closing(): boolean;
}

const SCOPED_PREFIX = `${MCP_PATH}/`;

/**
 * plainName: a capability name the router would hand over unchanged (letters, digits, `.`, `_`, `-`);
 * anything else (percent-encoding, a further segment, a query) is fastify's to route.
 */
function plainName(url: string, from: number): boolean {
  if (from >= url.length) return false;
  for (let i = from; i < url.length; i++) {
    const c = url.charCodeAt(i);
    if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x5f || c === 0x2d)) return false;
  }
  return true;
}

/** RawFront decides per request between the front's own path and fastify's. */
export class RawFront {
  constructor(private readonly options: RawFrontOptions) {}

  /** handle takes `req` (returns true) when it may be a tools/call; otherwise fastify gets it untouched. */
  handle(req: IncomingMessage, res: ServerResponse, fastify: Listener): boolean {
    if (req.method !== 'POST') return false;
    const o = this.options;
    const servers = this.endpointOf(req.url ?? '');
    if (servers === undefined) return false;
    const headers = req.headers;
    if (headers.origin !== undefined || o.closing()) return false;
    let sessionId: string | undefined;
    let session: FrontSession | undefined;
    if (!o.stateless) {
      const id = headers['mcp-session-id'];
      if (typeof id !== 'string') return false;
      session = o.sessions.get(id);
      if (session === undefined || session.servers !== servers) return false;
      sessionId = id;
    }
    if (!framedWithin(headers, o.bodyLimitBytes)) return false;
    if (!o.policy.hostAllowed(headers.host, req.socket.localPort)) return false;
    let caller: Caller | undefined;
    if (o.authenticated) {
      caller = o.callerOf?.(headers);
      if (caller === undefined) return false;
    }
    (req as PendingRequest)[kPending] = new PendingBody(this, res, servers, sessionId, session, caller, fastify);
    req.on('data', onBodyData);
    req.on('end', onBodyEnd);
    // A client that leaves mid-body ends nothing: the request is dropped. Its 'error' must not be unhandled.
    req.on('error', ignoreError);
    return true;
  }

  /** endpointOf is the tools behind a POST's path: `/mcp`, a served `/mcp/<capability>`, or undefined. */
  private endpointOf(url: string): ToolLookup | undefined {
    if (url === MCP_PATH) return this.options.servers;
    const scopes = this.options.scopes;
    if (scopes === undefined || !url.startsWith(SCOPED_PREFIX) || !plainName(url, SCOPED_PREFIX.length)) return undefined;
    return scopes.get(url.slice(SCOPED_PREFIX.length));
  }

  /** bodyRead runs a call the body turned out to be, or hands the request (and the body) to fastify. */
  bodyRead(req: IncomingMessage, pending: PendingBody): void {
    const body = pending.bytes();
    // As fastify's parser reads it (a poisoned body, escaped or not, is fastify's to refuse).
    const message = parseJsonBody(body.toString('utf8'));
    const call = message === undefined ? undefined : fastCallOf(message, req.headers, pending.servers);
    if (call === undefined) {
      carryReadBody(req, body);
      pending.fastify(req, pending.res);
      return;
    }
    const session = pending.session;
    if (session !== undefined) session.lastSeenMs = Date.now();
    void this.options.calls.serve(pending.servers, call, pending.sessionId, session, { requestId: genRequestId(req), headers: req.headers, caller: pending.caller }, pending.res);
  }
}

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

const kPending = Symbol('naftiko.mcpPendingBody');

/** PendingBody is a request whose body the front is reading. */
class PendingBody extends BodyChunks {
  constructor(
    readonly front: RawFront,
    readonly res: ServerResponse,
    readonly servers: ToolLookup,
    readonly sessionId: string | undefined,
    readonly session: FrontSession | undefined,
    readonly caller: Caller | undefined,
    readonly fastify: Listener,
  ) {
    super();
  }
}

interface PendingRequest extends IncomingMessage {
  [kPending]?: PendingBody | undefined;
}

function onBodyData(this: PendingRequest, chunk: Buffer): void {
  (this[kPending] as PendingBody).add(chunk);
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
