/**
 * Each capability's own MCP endpoint, `/mcp/<capability>`: its tools under
 * their original names, for a client that wants one area of a family. The
 * table follows reloads: a capability added to the set gets its endpoint, a
 * removed one loses it (its connected clients are disconnected).
 */
import type { CompiledMcpAdapter } from '../capability/compiled.js';
import type { McpScopeLookup } from '../adapters/mcp/http-server.js';
import type { McpServers } from '../adapters/mcp/server.js';

/** McpScopes holds the protocol servers of every per-capability endpoint on one MCP port. */
export class McpScopes implements McpScopeLookup {
  private readonly servers = new Map<string, McpServers>();

  /** `create` builds one endpoint's servers; passed in so the MCP SDK stays loaded on demand (src/gateway.ts). */
  constructor(private readonly create: (adapter: CompiledMcpAdapter) => McpServers) {}

  /** get implements McpScopeLookup. */
  get(capability: string): McpServers | undefined {
    return this.servers.get(capability);
  }

  /** names lists the capabilities served, in set order. */
  get names(): string[] {
    return [...this.servers.keys()];
  }

  /** update serves `scopes`: changed tools are replaced (clients hear `tools/list_changed`), new capabilities added, gone ones closed. */
  async update(scopes: ReadonlyMap<string, CompiledMcpAdapter>): Promise<void> {
    const gone: McpServers[] = [];
    for (const [name, servers] of this.servers) {
      if (scopes.has(name)) continue;
      this.servers.delete(name);
      gone.push(servers);
    }
    for (const [name, adapter] of scopes) {
      const servers = this.servers.get(name);
      if (servers === undefined) this.servers.set(name, this.create(adapter));
      else servers.replaceTools(adapter);
    }
    await Promise.allSettled(gone.map((s) => s.closeAll()));
  }

  /** closeAll disconnects every client of every capability endpoint. */
  async closeAll(): Promise<void> {
    const all = [...this.servers.values()];
    this.servers.clear();
    await Promise.allSettled(all.map((s) => s.closeAll()));
  }
}
