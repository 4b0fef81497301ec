/**
 * A minimal MCP client for trying the gateway's MCP adapter from a shell:
 *   npm run mcp-call -- [--url http://127.0.0.1:9090] <tool> ['{"arg":1}']
 *   npm run mcp-call -- [--url …] --list
 * Uses the SDK's real Client over Streamable HTTP, as an agent would; prints
 * the tool's structured result (or text) as JSON and exits 1 when it is an error.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { parseArgs } from 'node:util';

const USAGE = "usage: npm run mcp-call -- [--url http://127.0.0.1:9090] <tool> ['{\"id\":1}'] | --list";

function parseArguments(text: string | undefined): Record<string, unknown> {
  if (text === undefined) return {};
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new TypeError('tool arguments must be a JSON object');
  return parsed as Record<string, unknown>;
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    options: { url: { type: 'string', default: 'http://127.0.0.1:9090' }, list: { type: 'boolean', default: false } },
    allowPositionals: true,
  });
  const [tool, argText] = positionals;
  if (!values.list && tool === undefined) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const client = new Client({ name: 'naftiko-mcp-call', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', values.url)));
  try {
    if (values.list) {
      const { tools } = await client.listTools();
      for (const t of tools) process.stdout.write(`${t.name}\t${t.description ?? ''}\n`);
      return 0;
    }
    const result = (await client.callTool({ name: tool as string, arguments: parseArguments(argText) })) as CallToolResult;
    const text = result.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
    process.stdout.write(`${result.structuredContent === undefined ? text : JSON.stringify(result.structuredContent, null, 2)}\n`);
    return result.isError === true ? 1 : 0;
  } finally {
    await client.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`mcp-call: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
