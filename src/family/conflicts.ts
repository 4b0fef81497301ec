/**
 * Route conflicts between the capabilities of a set: two capabilities serving
 * the same method and path on one listener would shadow each other, so the
 * set is refused, naming both files, lines and YAML paths.
 */
import type { CompiledRestRoute } from '../capability/compiled.js';
import type { CapabilityProblem } from '../capability/problems.js';

/** RouteOwner is a route with the capability file that declares it. */
export interface RouteOwner {
  readonly file: string;
  readonly port: number;
  readonly route: CompiledRestRoute;
  /** lineOf finds the line of a YAML path in the file (read again only when a conflict is reported). */
  readonly lineOf: (yamlPath: string) => number | undefined;
}

/** SetProblem is a problem of one file of the set. */
export interface SetProblem {
  readonly file: string;
  readonly problem: CapabilityProblem;
}

/**
 * routeShape identifies what the router matches: `{id}` and `{pk}` are the same
 * path, and so are `/x` and `/x/` (routes ignore a trailing slash).
 */
export function routeShape(method: string, path: string): string {
  const shape = path.replace(/\{[^}]*\}/g, '{}');
  return `${method} ${shape.length > 1 ? shape.replace(/\/+$/, '') : shape}`;
}

function where(owner: RouteOwner): string {
  const line = owner.lineOf(owner.route.yamlPath);
  return `${owner.file}${line === undefined ? '' : `:${line}`} (${owner.route.yamlPath})`;
}

/** findRouteConflicts reports every route served twice on one port, once per file involved. */
export function findRouteConflicts(owners: readonly RouteOwner[]): SetProblem[] {
  const first = new Map<string, RouteOwner>();
  const problems: SetProblem[] = [];
  for (const owner of owners) {
    const key = `${owner.port} ${routeShape(owner.route.method, owner.route.path)}`;
    const previous = first.get(key);
    if (previous === undefined) {
      first.set(key, owner);
      continue;
    }
    if (previous.file === owner.file) continue; // a capability's own duplicates are its compile errors
    const what = `${owner.route.method} ${owner.route.path} on port ${owner.port}`;
    problems.push({
      file: owner.file,
      problem: {
        severity: 'error',
        path: owner.route.yamlPath,
        line: owner.lineOf(owner.route.yamlPath),
        message: `route conflict: ${what} is also served by ${where(previous)}; one listener cannot serve both (rename a path or give one capability another port)`,
      },
    });
    problems.push({
      file: previous.file,
      problem: {
        severity: 'error',
        path: previous.route.yamlPath,
        line: previous.lineOf(previous.route.yamlPath),
        message: `route conflict: ${previous.route.method} ${previous.route.path} on port ${owner.port} is also served by ${where(owner)}`,
      },
    });
  }
  return problems;
}
