/**
 * OpenAPI operationIds of the REST routes, which also name the routes in the
 * access line and the metrics. A route is named after the MCP tool calling
 * the same operation (clients see one vocabulary), else after its method and
 * name, unique within its capability; in a capability set an operationId
 * used by more than one capability becomes `<capability>_<operationId>` in
 * each of them (docs/families.md "Naming rules"), so the set's document reads
 * like its capabilities' own documents.
 */
import type { CompiledMcpAdapter, CompiledOperation, CompiledRestRoute } from '../../capability/compiled.js';

/** camelCase turns `get-organization-settings` into `getOrganizationSettings`. */
export function camelCase(text: string): string {
  const words = text.split(/[^A-Za-z0-9]+/).filter((w) => w !== '');
  return words.map((w, i) => (i === 0 ? w.charAt(0).toLowerCase() + w.slice(1) : w.charAt(0).toUpperCase() + w.slice(1))).join('');
}

/** prefixedOperationId is an operationId that another capability of the set also uses. */
export function prefixedOperationId(capability: string, operationId: string): string {
  return `${capability.replace(/[^A-Za-z0-9_]/g, '_')}_${operationId}`;
}

/**
 * toolNamesOf maps each operation to the declared name of the MCP tool calling it: the first such
 * tool of an MCP adapter, a later adapter's over an earlier one's.
 */
function toolNamesOf(mcp: readonly Pick<CompiledMcpAdapter, 'tools'>[]): Map<CompiledOperation, string> {
  const names = new Map<CompiledOperation, string>();
  for (const adapter of mcp) {
    const seen = new Set<CompiledOperation>();
    for (const tool of adapter.tools) {
      if (seen.has(tool.operation)) continue;
      seen.add(tool.operation);
      names.set(tool.operation, tool.declaredName ?? tool.name);
    }
  }
  return names;
}

/**
 * restOperationIds names every route of one REST adapter; `mcp` are the capability's MCP adapters
 * (their tools' declared names count, not the names a set serves them under).
 */
export function restOperationIds(routes: readonly CompiledRestRoute[], mcp: readonly Pick<CompiledMcpAdapter, 'tools'>[]): Map<CompiledRestRoute, string> {
  const toolNames = toolNamesOf(mcp);
  const ids = new Map<CompiledRestRoute, string>();
  const takenBy = new Map<string | undefined, Set<string>>();
  const owners = new Map<string, Set<string | undefined>>();
  for (const route of routes) {
    const capability = route.operation.capability;
    const tool = toolNames.get(route.operation);
    const base = tool === undefined ? camelCase(`${route.method.toLowerCase()}-${route.name || route.resourceName}`) : camelCase(tool);
    let taken = takenBy.get(capability);
    if (taken === undefined) {
      taken = new Set();
      takenBy.set(capability, taken);
    }
    let id = base;
    for (let n = 2; taken.has(id); n++) id = `${base}${n}`;
    taken.add(id);
    ids.set(route, id);
    owners.set(id, (owners.get(id) ?? new Set()).add(capability));
  }
  for (const [route, id] of ids) {
    const capability = route.operation.capability;
    if (capability !== undefined && (owners.get(id)?.size ?? 0) > 1) ids.set(route, prefixedOperationId(capability, id));
  }
  return ids;
}
