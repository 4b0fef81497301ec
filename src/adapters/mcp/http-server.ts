/**
 * MCP over Streamable HTTP: `POST/GET/DELETE /mcp` and `/healthz` on the
 * MCP adapter's port. With sessions (the default) each client gets its own
 * protocol server, found again by `Mcp-Session-Id`; stateless mode makes a
 * server per request, so any replica behind a load balancer can answer.
 */
import { randomUUID } from 'node:crypto';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { GatewayError } from '../../core/errors.js';
import { registerHealth } from '../../ops/health.js';
import { genRequestId } from '../../ops/request-id.js';
import { errorHandler, sendProblem } from '../http-problem.js';
import { createMcpAccessHook, type Authenticate } from './access.js';
import type { McpServers } from './server.js';

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
  readonly bodyLimitBytes: number;
  readonly keepAliveTimeoutMs: number;
  /** Inbound authentication of MCP clients, when enabled. */
  readonly authenticate?: Authenticate | undefined;
}

interface Session {
  readonly transport: StreamableHTTPServerTransport;
  lastSeenMs: number;
}

/** JSON-RPC error bodies for transport-level refusals, as the SDK's own transport writes them. */
function sendJsonRpcError(reply: FastifyReply, status: number, code: number, message: string): FastifyReply {
  return reply.code(status).type('application/json').send({ jsonrpc: '2.0', error: { code, message }, id: null });
}

/** McpHttpServer is the fastify app plus its session table. */
export class McpHttpServer {
  readonly app: FastifyInstance;
  private readonly sessions = new Map<string, Session>();
  private readonly sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly servers: McpServers,
    private readonly options: McpHttpOptions,
  ) {
    this.app = Fastify({
      loggerInstance: options.logger as FastifyBaseLogger,
      genReqId: genRequestId,
      // Tool calls log their own line; an SSE GET would otherwise log once per stream.
      logController: new LogController({ requestIdLogLabel: 'reqId', disableRequestLogging: true }),
      bodyLimit: options.bodyLimitBytes,
      keepAliveTimeout: options.keepAliveTimeoutMs,
      return503OnClosing: true,
      onProtoPoisoning: 'error',
      onConstructorPoisoning: 'error',
    });
    this.app.decorateRequest('errorCode', '');
    this.app.removeContentTypeParser('text/plain');
    this.app.setErrorHandler(errorHandler);
    this.app.setNotFoundHandler((request, reply) => sendProblem(reply, new GatewayError('NGW_ERR_NOT_FOUND', `no route for ${request.method} ${request.url.split('?')[0] ?? ''}; the MCP endpoint is /mcp`)));
    registerHealth(this.app);
    const onRequest = createMcpAccessHook({ allowedOrigins: options.allowedOrigins, authenticate: options.authenticate });
    this.app.post('/mcp', { onRequest }, (request, reply) => this.handlePost(request, reply));
    this.app.get('/mcp', { onRequest }, (request, reply) => this.handleSessionRequest(request, reply));
    this.app.delete('/mcp', { onRequest }, (request, reply) => this.handleSessionRequest(request, reply));
    if (!options.stateless) {
      this.sweeper = setInterval(() => this.closeIdleSessions(), SWEEP_INTERVAL_MS);
      this.sweeper.unref();
    }
  }

  /** sessionCount is the number of open sessions. */
  get sessionCount(): number {
    return this.sessions.size;
  }

  private async handlePost(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    if (this.options.stateless) return this.handleStateless(request, reply);
    const sessionId = request.headers['mcp-session-id'];
    let transport: StreamableHTTPServerTransport;
    if (typeof sessionId === 'string') {
      const session = this.sessions.get(sessionId);
      if (session === undefined) return sendJsonRpcError(reply, 404, -32001, 'Session not found');
      session.lastSeenMs = Date.now();
      transport = session.transport;
    } else if (isInitializeRequest(request.body)) {
      if (this.sessions.size >= MAX_SESSIONS) return sendProblem(reply, new GatewayError('NGW_ERR_UNAVAILABLE', `too many MCP sessions (${MAX_SESSIONS})`, { headers: { 'retry-after': '60' } }));
      transport = await this.openSession();
    } else {
      return sendJsonRpcError(reply, 400, -32000, 'Bad Request: no valid session id; start with an initialize request');
    }
    reply.hijack();
    await transport.handleRequest(request.raw, reply.raw, request.body);
    // An initialize the transport refused never became a session: drop its server instead of leaking it.
    if (transport.sessionId === undefined) await transport.close();
    return undefined;
  }

  private async openSession(): Promise<StreamableHTTPServerTransport> {
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: randomUUID,
      onsessioninitialized: (id) => {
        this.sessions.set(id, { transport, lastSeenMs: Date.now() });
      },
    });
    transport.onclose = () => {
      if (transport.sessionId !== undefined) this.sessions.delete(transport.sessionId);
    };
    await this.servers.create().connect(transport);
    return transport;
  }

  private async handleStateless(request: FastifyRequest, reply: FastifyReply): Promise<undefined> {
    const mcp = this.servers.create();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    reply.raw.on('close', () => {
      void mcp.close();
    });
    await mcp.connect(transport);
    reply.hijack();
    await transport.handleRequest(request.raw, reply.raw, request.body);
    return undefined;
  }

  private async handleSessionRequest(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    if (this.options.stateless) {
      reply.header('allow', 'POST');
      return sendJsonRpcError(reply, 405, -32000, 'Method not allowed: this server is stateless (no sessions, no server-sent stream)');
    }
    const sessionId = request.headers['mcp-session-id'];
    if (typeof sessionId !== 'string') return sendJsonRpcError(reply, 400, -32000, 'Bad Request: Mcp-Session-Id header is required');
    const session = this.sessions.get(sessionId);
    if (session === undefined) return sendJsonRpcError(reply, 404, -32001, 'Session not found');
    session.lastSeenMs = Date.now();
    reply.hijack();
    await session.transport.handleRequest(request.raw, reply.raw);
    return undefined;
  }

  private closeIdleSessions(): void {
    const cutoff = Date.now() - SESSION_IDLE_TIMEOUT_MS;
    for (const [id, session] of this.sessions) {
      if (session.lastSeenMs >= cutoff) continue;
      this.sessions.delete(id);
      void session.transport.close();
    }
  }

  /** close ends every session (and its open streams), then the HTTP server. */
  async close(): Promise<void> {
    if (this.sweeper !== undefined) clearInterval(this.sweeper);
    const sessions = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.allSettled(sessions.map((s) => s.transport.close()));
    await this.servers.closeAll();
    await this.app.close();
  }
}
