/**
 * Each capability's own MCP endpoint, `/mcp/<capability>`: its tools under
 * their original names, for a client that wants one area of a family. The
 * table follows reloads: a capability added to the set gets its endpoint, a
 * removed one loses it (its connected clients are disconnected). An
 * endpoint's protocol servers (and its tool table, one validator per tool)
 * are built on its first request: a family of 74 capabilities would otherwise
 * compile every tool twice at boot, once for `/mcp` and once here.
 */
import type { CompiledMcpAdapter } from '../capability/compiled.js';
import type { McpScopeLookup } from '../adapters/mcp/http-server.js';
import type { McpServers } from '../adapters/mcp/server.js';

interface Scope {
  adapter: CompiledMcpAdapter;
  servers: McpServers | undefined;
}

/** McpScopes holds the per-capability endpoints of one MCP port. */
export class McpScopes implements McpScopeLookup {
  private readonly scopes = new Map<string, Scope>();

  /** `create` builds one endpoint's servers; passed in so the MCP SDK stays loaded on demand (src/gateway.ts). */
  constructor(private readonly create: (adapter: CompiledMcpAdapter) => McpServers) {}

  /** get implements McpScopeLookup, building the endpoint's servers on first use. */
  get(capability: string): McpServers | undefined {
    const scope = this.scopes.get(capability);
    if (scope === undefined) return undefined;
    scope.servers ??= this.create(scope.adapter);
    return scope.servers;
  }

  /** names lists the capabilities served, in set order. */
  get names(): string[] {
    return [...this.scopes.keys()];
  }

  /** update serves `scopes`: changed tools are replaced (clients hear `tools/list_changed`), new capabilities added, gone ones closed. */
  async update(next: ReadonlyMap<string, CompiledMcpAdapter>): Promise<void> {
    const gone: McpServers[] = [];
    for (const [name, scope] of this.scopes) {
      if (next.has(name)) continue;
      this.scopes.delete(name);
      if (scope.servers !== undefined) gone.push(scope.servers);
    }
    for (const [name, adapter] of next) {
      const scope = this.scopes.get(name);
      if (scope === undefined) this.scopes.set(name, { adapter, servers: undefined });
      else {
        scope.adapter = adapter;
        scope.servers?.replaceTools(adapter);
      }
    }
    await Promise.allSettled(gone.map((s) => s.closeAll()));
  }

  /** closeAll disconnects every client of every capability endpoint. */
  async closeAll(): Promise<void> {
    const all = [...this.scopes.values()].flatMap((s) => (s.servers === undefined ? [] : [s.servers]));
    this.scopes.clear();
    await Promise.allSettled(all.map((s) => s.closeAll()));
  }
}
