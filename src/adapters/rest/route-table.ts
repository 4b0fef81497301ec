/**
 * The REST adapter's naming, derived once per app from the compiled routes:
 * router paths with router-safe parameter names (find-my-way ends a parameter
 * at `-` or `.`; the capability keeps the template's names) and operationIds.
 */
import type { CompiledMcpAdapter, CompiledRestAdapter, CompiledRestRoute, InputBinding } from '../../capability/compiled.js';
import type { PathSegment } from '../../capability/templates.js';
import { restOperationIds } from './operation-ids.js';

/** RestRoute is a compiled route with its router path and operationId; `path` inputs use router parameter names. */
export interface RestRoute extends CompiledRestRoute {
  /** The router's path (`/v1/api/organizations/:id`); parameter names are made router-safe (`{project-pk}` → `:project_pk`). */
  readonly url: string;
  /** The route's OpenAPI operationId, which also names it in logs and metrics (operation-ids.ts). */
  readonly operationId: string;
}

/** RestTable is a REST adapter ready to register. */
export interface RestTable extends Omit<CompiledRestAdapter, 'routes'> {
  readonly routes: readonly RestRoute[];
}

/**
 * routerSafeNames maps path parameter names to names find-my-way can route:
 * it ends a parameter at `-` or `.`, so `{project-pk}` is served as `:project_pk`.
 */
function routerSafeNames(segments: readonly PathSegment[]): Map<string, string> {
  const names = new Map<string, string>();
  const taken = new Set<string>();
  for (const s of segments) {
    if (!('param' in s)) continue;
    const base = s.param.replace(/[^A-Za-z0-9_]/g, '_');
    let candidate = base;
    for (let n = 2; taken.has(candidate); n++) candidate = `${base}_${n}`;
    taken.add(candidate);
    names.set(s.param, candidate);
  }
  return names;
}

/** toRouterPath turns `/v1/x/{id}` into `/v1/x/:id`. */
function toRouterPath(segments: readonly PathSegment[], names: ReadonlyMap<string, string>): string {
  let url = '';
  for (const s of segments) url += 'literal' in s ? s.literal : `:${names.get(s.param) ?? s.param}`;
  return url;
}

function withRouterNames(inputs: readonly InputBinding[], names: ReadonlyMap<string, string>): readonly InputBinding[] {
  return inputs.map((b) => (b.source.kind === 'path' ? { ...b, source: { kind: 'path', name: names.get(b.source.name) ?? b.source.name } } : b));
}

/** compileRestTable derives every route's router path and operationId (once per app); `mcp` are the capability's MCP adapters, whose tools name routes. */
export function compileRestTable(adapter: CompiledRestAdapter, mcp: readonly Pick<CompiledMcpAdapter, 'tools'>[]): RestTable {
  const ids = restOperationIds(adapter.routes, mcp);
  const routes = adapter.routes.map((route): RestRoute => {
    const names = routerSafeNames(route.pathSegments);
    return { ...route, inputs: withRouterNames(route.inputs, names), url: toRouterPath(route.pathSegments, names), operationId: ids.get(route) as string };
  });
  return { ...adapter, routes };
}
