/**
 * MCP clients for tests: the SDK's real Client over Streamable HTTP, and the
 * text of a tool result.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

/** connectHttp opens a session (or, against a stateless server, a plain client) on `${mcpUrl}/mcp`. */
export async function connectHttp(mcpUrl: string, name = 'tap'): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const client = new Client({ name, version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL('/mcp', mcpUrl));
  await client.connect(transport);
  return { client, transport };
}

/** textOf joins a result's text blocks. */
export function textOf(result: CallToolResult): string {
  return result.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
}
