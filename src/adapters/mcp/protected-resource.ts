/**
 * MCP authorization discovery for a gateway whose MCP clients present
 * gateway API keys as bearer tokens: OAuth 2.0 Protected Resource Metadata
 * (RFC 9728) at /.well-known/oauth-protected-resource[/mcp], and a 401
 * challenge naming it (MCP specification, Authorization: "Protected Resource
 * Metadata Discovery"). There is no authorization server: the metadata tells
 * a client to send its key as `Authorization: Bearer <key>`.
 */
import type { FastifyRequest } from 'fastify';

/** PROTECTED_RESOURCE_PATH is RFC 9728's well-known path; clients try it suffixed with the resource path first. */
export const PROTECTED_RESOURCE_PATH = '/.well-known/oauth-protected-resource';
/** MCP_PATH is the MCP endpoint, the protected resource. */
export const MCP_PATH = '/mcp';

/** The scopes a gateway key may hold (read-only tools need `read`, the others `write`). */
const SCOPES = ['read', 'write'];

function originOf(request: FastifyRequest): string {
  // The Host header was checked against the allow-list before this runs.
  return `${request.protocol}://${request.headers.host ?? `localhost:${request.raw.socket.localPort ?? 0}`}`;
}

/** protectedResourceChallenge is the WWW-Authenticate value of a 401 from the MCP endpoint. */
export function protectedResourceChallenge(request: FastifyRequest): string {
  return `Bearer realm="naftiko-gateway", resource_metadata="${originOf(request)}${PROTECTED_RESOURCE_PATH}${MCP_PATH}"`;
}

/** protectedResourceMetadata is the RFC 9728 document of this MCP endpoint. */
export function protectedResourceMetadata(request: FastifyRequest): Record<string, unknown> {
  return {
    resource: `${originOf(request)}${MCP_PATH}`,
    resource_name: 'naftiko-gateway MCP server',
    bearer_methods_supported: ['header'],
    scopes_supported: SCOPES,
    // No authorization_servers (optional in RFC 9728): keys are issued by the gateway's operator, not by an OAuth server.
    resource_documentation: 'https://github.com/naftiko/naftiko-gateway/blob/main/docs/mcp.md#authentication',
  };
}
