/**
 * MCP over stdio for desktop agents that launch the gateway themselves:
 * one protocol server on stdin/stdout. stdout carries only JSON-RPC, so the
 * gateway's logs must go to stderr (see startGateway).
 */
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { McpServers } from './server.js';

/** McpStdio is the running stdio connection. */
export interface McpStdio {
  /** Resolves when the client closes stdin (the agent quit), so the process can exit. */
  readonly ended: Promise<void>;
  close(): Promise<void>;
}

/** serveMcpStdio connects one server to the process's stdin and stdout. */
export async function serveMcpStdio(servers: McpServers): Promise<McpStdio> {
  const mcp = servers.create();
  // The SDK transport does not watch for end of input; an agent closing the pipe means "stop".
  const ended = new Promise<void>((resolve) => process.stdin.once('end', () => resolve()));
  await mcp.connect(new StdioServerTransport());
  return {
    ended,
    close: () => mcp.close(),
  };
}
