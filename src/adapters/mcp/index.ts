/**
 * The MCP adapter: the capability's tools over Streamable HTTP (`/mcp`) or
 * stdio, built from the compiled tools and calling the shared Invoker.
 */
import type { FastifyInstance } from 'fastify';
import type { CompiledMcpAdapter } from '../../capability/compiled.js';
import type { McpCallDeps } from './call-tool.js';
import { McpHttpServer, type McpHttpOptions } from './http-server.js';
import { McpServers } from './server.js';
import { serveMcpStdio } from './stdio.js';
import type { McpToolTable } from './tool-table.js';

export { compileToolTable, type McpToolTable } from './tool-table.js';
export type { Authenticate } from './access.js';

/** McpAdapterOptions choose the transport, where to listen, and the HTTP limits. */
export interface McpAdapterOptions extends Omit<McpHttpOptions, 'logger' | 'listenHost'> {
  readonly transport: 'http' | 'stdio';
  readonly host: string;
  readonly port: number;
}

/** McpAdapter is a started MCP adapter. */
export interface McpAdapter {
  readonly transport: 'http' | 'stdio';
  /** The HTTP server (`/mcp`, `/healthz`); undefined over stdio. */
  readonly app: FastifyInstance | undefined;
  /** `http://host:port` of the HTTP server; undefined over stdio. */
  readonly url: string | undefined;
  /** Resolves when a stdio client closes its end; never over HTTP. */
  readonly ended: Promise<void>;
  /** The tools currently served. */
  readonly tools: McpToolTable;
  /** replaceTools serves a reloaded capability's tools and notifies connected clients. */
  replaceTools(adapter: CompiledMcpAdapter): void;
  /** notifyToolsChanged sends `notifications/tools/list_changed` to connected clients. */
  notifyToolsChanged(): void;
  close(): Promise<void>;
}

/** hostForUrl brackets IPv6 literals. */
function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** adapterOf wraps a transport's parts; `tools` stays a live view so a reload shows through. */
function adapterOf(servers: McpServers, parts: Pick<McpAdapter, 'transport' | 'app' | 'url' | 'ended' | 'close'>): McpAdapter {
  return {
    ...parts,
    get tools() {
      return servers.tools;
    },
    replaceTools: (next: CompiledMcpAdapter) => servers.replaceTools(next),
    notifyToolsChanged: () => servers.notifyToolsChanged(),
  };
}

/** startMcpAdapter builds the tool table and starts listening (HTTP) or reading stdin (stdio). */
export async function startMcpAdapter(adapter: CompiledMcpAdapter, deps: McpCallDeps, options: McpAdapterOptions): Promise<McpAdapter> {
  const servers = new McpServers(adapter, deps);
  if (options.transport === 'stdio') {
    const stdio = await serveMcpStdio(servers);
    return adapterOf(servers, { transport: 'stdio', app: undefined, url: undefined, ended: stdio.ended, close: () => stdio.close() });
  }
  const http = new McpHttpServer(servers, { ...options, listenHost: options.host, logger: deps.logger });
  await http.app.listen({ host: options.host, port: options.port });
  const address = http.app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  return adapterOf(servers, {
    transport: 'http',
    app: http.app,
    url: `http://${hostForUrl(options.host)}:${port}`,
    ended: new Promise<void>(() => undefined),
    close: () => http.close(),
  });
}
