/**
 * The MCP adapter in process, on port 0, serving the shipped capability's tools
 * against an upstream (the Label Studio simulator): what the adapter and
 * consumers tests start.
 */
import type { Logger } from 'pino';
import { startMcpAdapter, type McpAdapter, type McpAdapterOptions } from '../../src/adapters/mcp/index.js';
import { loadCapability, type CompiledCapability } from '../../src/capability/index.js';
import { Invoker } from '../../src/core/invoker.js';
import type { CallInterceptor } from '../../src/core/operation.js';
import { UpstreamClient } from '../../src/upstream/client.js';
import type { UpstreamPools } from '../../src/upstream/pools.js';

/** TestMcpAdapterOptions: the adapter's options plus what the call path is built with. */
export interface TestMcpAdapterOptions extends Partial<McpAdapterOptions> {
  readonly logger: Logger;
  readonly interceptors?: readonly CallInterceptor[];
  readonly upstreamTimeoutMs?: number;
}

/** startTestMcpAdapter loads capability.yaml against `upstream` and starts its MCP adapter over HTTP on 127.0.0.1:0. */
export async function startTestMcpAdapter(
  upstream: { readonly url: string; readonly legacyToken: string },
  pools: UpstreamPools,
  { logger, interceptors = [], upstreamTimeoutMs = 30_000, ...options }: TestMcpAdapterOptions,
): Promise<{ adapter: McpAdapter; url: string; capability: CompiledCapability }> {
  const { capability } = loadCapability('capability.yaml', { env: { LABEL_STUDIO_API_KEY: upstream.legacyToken }, baseUris: { '*': upstream.url } });
  const invoker = new Invoker(new UpstreamClient(pools, { timeoutMs: upstreamTimeoutMs, userAgent: 'test' }), [...interceptors]);
  const adapter = await startMcpAdapter(capability.mcp[0]!, { invoker, maxResponseBytes: 1 << 20, logger }, {
    transport: 'http',
    host: '127.0.0.1',
    port: 0,
    stateless: false,
    allowedOrigins: [],
    bodyLimitBytes: 1 << 20,
    keepAliveTimeoutMs: 5_000,
    ...options,
  });
  return { adapter, url: adapter.url as string, capability };
}
