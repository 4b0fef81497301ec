/**
 * MCP over Streamable HTTP: `POST/GET/DELETE /mcp` and `/healthz` on the
 * MCP adapter's port. With sessions (the default) each client gets its own
 * protocol server, found again by `Mcp-Session-Id`; stateless mode makes a
 * server per request, so any replica behind a load balancer can answer.
 */
import { randomUUID } from 'node:crypto';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { ErrorCode, isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { GatewayError } from '../../core/errors.js';
import { registerHealth } from '../../ops/health.js';
import { requestLoggerFactory } from '../../ops/logger.js';
import { genRequestId } from '../../ops/request-id.js';
import { errorHandler, sendProblem } from '../http-problem.js';
import { AccessPolicy, callerOfRequest, createMcpAccessHook, type Authenticate } from './access.js';
import { cancelledRequestOf, fastCallOf, McpFastCalls, type SessionState } from './fast-call.js';
import { MCP_METHODS } from './cors.js';
import { MCP_PATH, PROTECTED_RESOURCE_PATH, protectedResourceMetadata } from './protected-resource.js';
import { registerBodyReplay } from '../body-replay.js';
import { createFrontedServer, RawFront, type CallerOfHeaders } from './raw-front.js';
import type { McpServers } from './server.js';
import { StatelessCalls, TransportTarget } from './stateless-calls.js';

/** Sessions idle longer than this are closed (clients that never send DELETE). */
export const SESSION_IDLE_TIMEOUT_MS = 30 * 60_000;
/** At most this many sessions live at once; a new one past it gets 503. */
export const MAX_SESSIONS = 1_000;
const SWEEP_INTERVAL_MS = 60_000;

/** McpHttpOptions configure the HTTP transport. */
export interface McpHttpOptions {
  readonly logger: Logger;
  readonly stateless: boolean;
  readonly allowedOrigins: readonly string[];
  /** Host header values allowed besides loopback names on the served port (see AccessPolicy). */
  readonly allowedHosts?: readonly string[] | undefined;
  /** The address the server listens on. */
  readonly listenHost: string;
  readonly bodyLimitBytes: number;
  readonly keepAliveTimeoutMs: number;
  /** Inbound authentication of MCP clients, when enabled. */
  readonly authenticate?: Authenticate | undefined;
  /**
   * The same check on bare headers, for the node:http front (raw-front.ts): the caller, or undefined
   * (the access hook then answers the request). Without it, keyed requests all take fastify's path.
   */
  readonly callerOfHeaders?: CallerOfHeaders | undefined;
  /** Capability sets: each capability's own tools at `/mcp/<capability>` (src/family/mcp-scopes.ts). */
  readonly scopes?: McpScopeLookup | undefined;
  /** Overrides SESSION_IDLE_TIMEOUT_MS (tests). */
  readonly sessionIdleTimeoutMs?: number | undefined;
  /** Overrides how often idle sessions are looked for (tests). */
  readonly sweepIntervalMs?: number | undefined;
}

/** McpScopeLookup finds the servers of one capability's endpoint `/mcp/<capability>`; it may change on reload. */
export interface McpScopeLookup {
  get(capability: string): McpServers | undefined;
}

/** SCOPED_PATH is a capability's own endpoint in a capability set. */
const SCOPED_PATH = `${MCP_PATH}/:capability`;

interface Session extends SessionState {
  readonly transport: StreamableHTTPServerTransport;
  /** The endpoint the session was opened on: it is found again only there. */
  readonly servers: McpServers;
}

/** JSON-RPC error bodies for transport-level refusals, as the SDK's own transport writes them. */
function sendJsonRpcError(reply: FastifyReply, status: number, code: number, message: string): FastifyReply {
  return reply.code(status).type('application/json').send({ jsonrpc: '2.0', error: { code, message }, id: null });
}

/**
 * JSON-RPC has its own answers for what fastify rejects before a handler runs: a body that is not
 * JSON is a Parse error (-32700), any other unreadable request an Invalid Request (-32600).
 */
function mcpErrorHandler(this: FastifyInstance, err: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if ((request.routeOptions.url !== MCP_PATH && request.routeOptions.url !== SCOPED_PATH) || err instanceof GatewayError) return errorHandler.call(this, err, request, reply);
  const code = err.code ?? '';
  if (code === 'FST_ERR_CTP_INVALID_JSON_BODY' || code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || err instanceof SyntaxError) {
    return sendJsonRpcError(reply, 400, ErrorCode.ParseError, `Parse error: the body is not valid JSON (${err.message})`);
  }
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || code === 'FST_ERR_CTP_EMPTY_TYPE' || code === 'FST_ERR_CTP_INVALID_TYPE') {
    return sendJsonRpcError(reply, 415, ErrorCode.InvalidRequest, 'Unsupported Media Type: Content-Type must be application/json');
  }
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendJsonRpcError(reply, 413, ErrorCode.InvalidRequest, 'Request body too large');
  return errorHandler.call(this, err, request, reply);
}

function methodNotAllowed(_request: FastifyRequest, reply: FastifyReply): FastifyReply {
  reply.header('allow', MCP_METHODS);
  return sendJsonRpcError(reply, 405, ErrorCode.ConnectionClosed, `Method not allowed: the MCP endpoint serves ${MCP_METHODS}`);
}

function answerOptions(_request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return reply.code(204).header('allow', `${MCP_METHODS}, OPTIONS`).send();
}

/** McpHttpServer is the fastify app plus its session table. */
export class McpHttpServer {
  readonly app: FastifyInstance;
  private readonly sessions = new Map<string, Session>();
  private readonly sweeper: NodeJS.Timeout | undefined;
  private readonly fastCalls = new McpFastCalls();
  private readonly statelessCalls = new StatelessCalls(this.fastCalls);
  private closing = false;

  constructor(
    private readonly servers: McpServers,
    private readonly options: McpHttpOptions,
  ) {
    this.app = Fastify({
      loggerInstance: options.logger as FastifyBaseLogger,
      genReqId: genRequestId,
      // Tool calls log their own line; an SSE GET would otherwise log once per stream.
      logController: new LogController({ requestIdLogLabel: 'reqId', disableRequestLogging: true }),
      // A request's pino child is only built if something logs through it (a refusal does).
      childLoggerFactory: requestLoggerFactory,
      bodyLimit: options.bodyLimitBytes,
      keepAliveTimeout: options.keepAliveTimeoutMs,
      return503OnClosing: true,
      onProtoPoisoning: 'error',
      onConstructorPoisoning: 'error',
      // A session's tools/call is served in front of fastify (raw-front.ts); everything else is fastify's.
      serverFactory: (handler, serverOptions) => {
        const front = new RawFront({
          policy: new AccessPolicy({ allowedOrigins: options.allowedOrigins, allowedHosts: options.allowedHosts, listenHost: options.listenHost }),
          bodyLimitBytes: options.bodyLimitBytes,
          servers,
          scopes: options.scopes,
          sessions: this.sessions,
          stateless: options.stateless,
          calls: this.fastCalls,
          authenticated: options.authenticate !== undefined,
          callerOf: options.callerOfHeaders,
          closing: () => this.closing,
        });
        return createFrontedServer(serverOptions, (req, res) => {
          if (!front.handle(req, res, handler)) handler(req, res);
        });
      },
    });
    registerBodyReplay(this.app);
    this.app.decorateRequest('errorCode', '');
    this.app.removeContentTypeParser('text/plain');
    this.app.setErrorHandler(mcpErrorHandler);
    this.app.setNotFoundHandler((request, reply) => sendProblem(reply, new GatewayError('NGW_ERR_NOT_FOUND', `no route for ${request.method} ${request.url.split('?')[0] ?? ''}; the MCP endpoint is /mcp`)));
    registerHealth(this.app);
    const access = { allowedOrigins: options.allowedOrigins, allowedHosts: options.allowedHosts, listenHost: options.listenHost };
    const onRequest = createMcpAccessHook({ ...access, authenticate: options.authenticate });
    this.app.post(MCP_PATH, { onRequest }, (request, reply) => this.handlePost(this.servers, request, reply));
    this.app.get(MCP_PATH, { onRequest }, (request, reply) => this.handleSessionRequest(this.servers, request, reply));
    this.app.delete(MCP_PATH, { onRequest }, (request, reply) => this.handleSessionRequest(this.servers, request, reply));
    const scopes = options.scopes;
    if (scopes !== undefined) {
      const scoped = (request: FastifyRequest): McpServers | undefined => scopes.get((request.params as { capability: string }).capability);
      const unknown = (request: FastifyRequest, reply: FastifyReply): FastifyReply =>
        sendProblem(reply, new GatewayError('NGW_ERR_NOT_FOUND', `no capability named "${(request.params as { capability: string }).capability}" is served here`));
      this.app.post(SCOPED_PATH, { onRequest }, (request, reply) => {
        const servers = scoped(request);
        return servers === undefined ? unknown(request, reply) : this.handlePost(servers, request, reply);
      });
      for (const method of ['GET', 'DELETE'] as const) {
        this.app.route({
          method,
          url: SCOPED_PATH,
          onRequest,
          handler: (request, reply) => {
            const servers = scoped(request);
            return servers === undefined ? unknown(request, reply) : this.handleSessionRequest(servers, request, reply);
          },
        });
      }
    }
    this.app.options(MCP_PATH, { onRequest }, answerOptions);
    this.app.route({ method: ['PUT', 'PATCH'], url: MCP_PATH, onRequest, handler: methodNotAllowed });
    if (options.authenticate !== undefined) {
      // Discovery is public (a client reads it before it has a key); Host and Origin are still checked.
      const discovery = { onRequest: createMcpAccessHook(access) };
      const serveMetadata = (request: FastifyRequest, reply: FastifyReply) => reply.header('cache-control', 'max-age=300').send(protectedResourceMetadata(request));
      this.app.get(PROTECTED_RESOURCE_PATH, discovery, serveMetadata);
      this.app.get(PROTECTED_RESOURCE_PATH + MCP_PATH, discovery, serveMetadata);
    }
    if (!options.stateless) {
      this.sweeper = setInterval(() => this.closeIdleSessions(), options.sweepIntervalMs ?? SWEEP_INTERVAL_MS);
      this.sweeper.unref();
    }
  }

  /** sessionCount is the number of open sessions. */
  get sessionCount(): number {
    return this.sessions.size;
  }

  private async handlePost(servers: McpServers, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    if (this.options.stateless) return this.handleStateless(servers, request, reply);
    const sessionId = request.headers['mcp-session-id'];
    let transport: StreamableHTTPServerTransport;
    if (typeof sessionId === 'string') {
      const session = this.sessions.get(sessionId);
      if (session === undefined || session.servers !== servers) return sendJsonRpcError(reply, 404, -32001, 'Session not found');
      session.lastSeenMs = Date.now();
      const body: unknown = request.body;
      const call = fastCallOf(body, request.headers, servers);
      if (call !== undefined) {
        reply.hijack();
        const ctx = { requestId: request.id, headers: request.headers, caller: callerOfRequest(request.raw) };
        await this.fastCalls.serve(servers, call, sessionId, session, ctx, reply.raw);
        return undefined;
      }
      this.trackOpen(session, reply);
      // A cancellation of a fast-path call stops it; the SDK still answers the notification (202).
      const cancelled = cancelledRequestOf(body);
      if (cancelled !== undefined) this.fastCalls.cancel(session, cancelled, (body as { params: { reason?: unknown } }).params.reason);
      transport = session.transport;
    } else if (isInitializeRequest(request.body)) {
      if (this.sessions.size >= MAX_SESSIONS) return sendProblem(reply, new GatewayError('NGW_ERR_UNAVAILABLE', `too many MCP sessions (${MAX_SESSIONS})`, { headers: { 'retry-after': '60' } }));
      transport = await this.openSession(servers);
    } else {
      return sendJsonRpcError(reply, 400, -32000, 'Bad Request: no valid session id; start with an initialize request');
    }
    reply.hijack();
    await transport.handleRequest(request.raw, reply.raw, request.body);
    // An initialize the transport refused never became a session: drop its server instead of leaking it.
    if (transport.sessionId === undefined) await transport.close();
    return undefined;
  }

  private async openSession(servers: McpServers): Promise<StreamableHTTPServerTransport> {
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: randomUUID,
      onsessioninitialized: (id) => {
        this.sessions.set(id, { transport, servers, lastSeenMs: Date.now(), open: 0 });
      },
    });
    transport.onclose = () => {
      const id = transport.sessionId;
      if (id === undefined) return;
      const session = this.sessions.get(id);
      if (session !== undefined) this.fastCalls.closeSession(session);
      this.sessions.delete(id);
    };
    await servers.create().connect(transport);
    return transport;
  }

  private async handleStateless(servers: McpServers, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    // Without sessions a cancellation arrives in its own POST: it is delivered to the server running the call.
    if (this.statelessCalls.deliverCancellation(request.body, request.raw)) return reply.code(202).send();
    // A plain tools/call needs no protocol server of its own (fast-call.ts); its cancellation finds it the same way.
    const call = fastCallOf(request.body, request.headers, servers);
    if (call !== undefined) {
      reply.hijack();
      const caller = callerOfRequest(request.raw);
      await this.fastCalls.serve(servers, call, undefined, undefined, { requestId: request.id, headers: request.headers, caller }, reply.raw);
      return undefined;
    }
    const mcp = servers.create({ stateless: true });
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    const untrack = this.statelessCalls.track(request.body, request.raw, new TransportTarget(transport));
    reply.raw.on('close', () => {
      untrack();
      void mcp.close();
    });
    await mcp.connect(transport);
    reply.hijack();
    await transport.handleRequest(request.raw, reply.raw, request.body);
    return undefined;
  }

  /** trackOpen counts an exchange as open until its response closes, and the session as seen when it ends. */
  private trackOpen(session: Session, reply: FastifyReply): void {
    session.open++;
    reply.raw.once('close', () => {
      session.open--;
      session.lastSeenMs = Date.now();
    });
  }

  private async handleSessionRequest(servers: McpServers, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    if (this.options.stateless) {
      reply.header('allow', 'POST');
      return sendJsonRpcError(reply, 405, -32000, 'Method not allowed: this server is stateless (no sessions, no server-sent stream)');
    }
    const sessionId = request.headers['mcp-session-id'];
    if (typeof sessionId !== 'string') return sendJsonRpcError(reply, 400, -32000, 'Bad Request: Mcp-Session-Id header is required');
    const session = this.sessions.get(sessionId);
    if (session === undefined || session.servers !== servers) return sendJsonRpcError(reply, 404, -32001, 'Session not found');
    session.lastSeenMs = Date.now();
    this.trackOpen(session, reply);
    reply.hijack();
    await session.transport.handleRequest(request.raw, reply.raw);
    return undefined;
  }

  private closeIdleSessions(): void {
    const cutoff = Date.now() - (this.options.sessionIdleTimeoutMs ?? SESSION_IDLE_TIMEOUT_MS);
    for (const [id, session] of this.sessions) {
      // A client holding its GET stream open is connected, however long it stays quiet.
      if (session.open > 0 || session.lastSeenMs >= cutoff) continue;
      this.sessions.delete(id);
      this.fastCalls.closeSession(session);
      void session.transport.close();
    }
  }

  /** close ends every session (and its open streams), then the HTTP server. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.sweeper !== undefined) clearInterval(this.sweeper);
    const sessions = [...this.sessions.values()];
    this.sessions.clear();
    for (const session of sessions) this.fastCalls.closeSession(session);
    this.fastCalls.close();
    await Promise.allSettled(sessions.map((s) => s.transport.close()));
    await this.servers.closeAll();
    await this.app.close();
  }
}
