/**
 * CORS on the MCP port, for browser clients (the MCP Inspector's direct
 * mode, web agents): the origin is checked by the access hook; preflights
 * are answered by security/cors.ts with the MCP header lists below.
 */
import type { CorsHeaders } from '../../security/cors.js';

/** MCP_METHODS are the methods the Streamable HTTP endpoint serves. */
export const MCP_METHODS = 'GET, POST, DELETE';

/** The SDK client reads Mcp-Session-Id and Mcp-Protocol-Version; WWW-Authenticate drives authorization discovery. */
export const MCP_CORS: CorsHeaders = {
  methods: MCP_METHODS,
  allowHeaders: 'accept, authorization, content-type, last-event-id, mcp-protocol-version, mcp-session-id, x-api-key, x-request-id',
  exposeHeaders: 'mcp-session-id, mcp-protocol-version, www-authenticate, x-request-id, retry-after',
};
