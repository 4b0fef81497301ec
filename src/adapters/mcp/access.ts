/**
 * The one place an MCP HTTP request is accepted or refused, before the MCP
 * transport sees it: the Origin allow-list (MCP specification, "Security
 * Warning" of the Streamable HTTP transport: servers MUST validate Origin to
 * stop DNS rebinding), then inbound authentication when configured.
 */
import type { IncomingMessage } from 'node:http';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError } from '../../core/errors.js';
import type { Caller } from '../../core/operation.js';
import { sendProblem } from '../http-problem.js';

/** Authenticate resolves the caller of a request, or throws a GatewayError (401/403) to refuse it. */
export type Authenticate = (request: FastifyRequest) => Caller | undefined | Promise<Caller | undefined>;

/** McpAccessOptions say who may call the MCP endpoint. */
export interface McpAccessOptions {
  /** Exact browser origins (`https://app.example.com`) allowed; any other Origin header is refused. */
  readonly allowedOrigins: readonly string[];
  readonly authenticate?: Authenticate | undefined;
}

/**
 * checkOrigin refuses a request whose Origin is not on the list. Requests without Origin
 * come from non-browser clients (agents, the Inspector's proxy) and are not cross-site.
 */
function checkOrigin(origin: string | undefined, allowed: ReadonlySet<string>): void {
  if (origin === undefined || allowed.has(origin.toLowerCase())) return;
  throw new GatewayError('NGW_ERR_FORBIDDEN', `origin ${JSON.stringify(origin)} is not allowed to call this MCP server`);
}

/** createMcpAccessHook builds the `onRequest` hook of the `/mcp` routes. */
export function createMcpAccessHook(options: McpAccessOptions) {
  const allowed = new Set(options.allowedOrigins.map((o) => o.toLowerCase()));
  const authenticate = options.authenticate;
  return async function acceptMcpRequest(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    try {
      checkOrigin(request.headers.origin, allowed);
      if (authenticate === undefined) return undefined;
      const caller = await authenticate(request);
      // The SDK hands `req.auth` to tool handlers as `extra.authInfo`; the caller travels that way.
      if (caller !== undefined) (request.raw as IncomingMessage & { auth?: AuthInfo }).auth = { token: '', clientId: caller.id, scopes: [...caller.scopes] };
      return undefined;
    } catch (err) {
      if (!(err instanceof GatewayError)) throw err;
      request.log.warn({ origin: request.headers.origin, code: err.code }, 'mcp request refused');
      return sendProblem(reply, err);
    }
  };
}
