/**
 * Helpers of the capability-set tests: a temporary family folder built from
 * examples/label-studio, and an MCP client on any endpoint path.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ROOT } from '../helpers/gateway-process.js';

/** EXAMPLE_FAMILY is the family the repository ships. */
export const EXAMPLE_FAMILY = join(ROOT, 'examples/label-studio');

/** copyFamily copies the example family into a fresh folder (removed by the returned function). */
export function copyFamily(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'ngw-family-'));
  cpSync(EXAMPLE_FAMILY, dir, { recursive: true });
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** connectMcp opens an MCP session on `endpoint` (`http://host:port/mcp/<capability>`). */
export async function connectMcp(endpoint: string): Promise<Client> {
  const client = new Client({ name: 'tap-family', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(endpoint)));
  return client;
}
