/**
 * CORS on the MCP port, for browser clients (the MCP Inspector's direct
 * mode, web agents): preflights are answered here, and every answer to an
 * allowed origin exposes the MCP headers a browser client must read. Headers
 * go on the raw response, so they survive the transport taking the reply over.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';

/** MCP_METHODS are the methods the Streamable HTTP endpoint serves. */
export const MCP_METHODS = 'GET, POST, DELETE';
const ALLOW_HEADERS = 'accept, authorization, content-type, last-event-id, mcp-protocol-version, mcp-session-id, x-api-key, x-request-id';
/** The SDK client reads Mcp-Session-Id and Mcp-Protocol-Version; WWW-Authenticate drives authorization discovery. */
const EXPOSE_HEADERS = 'mcp-session-id, mcp-protocol-version, www-authenticate, x-request-id, retry-after';
const PREFLIGHT_MAX_AGE_S = '600';

/** applyMcpCors marks the answer for an allowed `origin`; it answers a preflight itself and then returns true. */
export function applyMcpCors(request: FastifyRequest, reply: FastifyReply, origin: string): boolean {
  const raw = reply.raw;
  raw.setHeader('access-control-allow-origin', origin);
  raw.setHeader('vary', 'origin');
  if (request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined) {
    void reply
      .code(204)
      .header('access-control-allow-methods', MCP_METHODS)
      .header('access-control-allow-headers', ALLOW_HEADERS)
      .header('access-control-max-age', PREFLIGHT_MAX_AGE_S)
      .send();
    return true;
  }
  raw.setHeader('access-control-expose-headers', EXPOSE_HEADERS);
  return false;
}
