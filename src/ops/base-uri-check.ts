/**
 * A `--base-uri namespace=url` whose namespace is no upstream of the served
 * capability would be silently ignored (traffic still going to the default
 * upstream): refuse it at start, and in `check` and `--print-config` too,
 * naming the setting and the namespaces there are.
 */
import { ConfigError } from '../settings/index.js';

/** baseUriNamespaceProblem describes the first override naming no upstream (`*` applies to every one). */
export function baseUriNamespaceProblem(baseUris: Readonly<Record<string, string>>, namespaces: readonly string[]): string | undefined {
  for (const ns of Object.keys(baseUris)) {
    if (ns === '*' || namespaces.includes(ns)) continue;
    return `--base-uri / GATEWAY_BASE_URI: no upstream is named "${ns}" (the capability's consumes namespaces: ${namespaces.join(', ')}); write <namespace>=<url> with one of them, or a bare <url> for every upstream`;
  }
  return undefined;
}

/** checkBaseUriNamespaces throws ConfigError for an override naming no upstream. */
export function checkBaseUriNamespaces(baseUris: Readonly<Record<string, string>>, namespaces: readonly string[]): void {
  const problem = baseUriNamespaceProblem(baseUris, namespaces);
  if (problem !== undefined) throw new ConfigError(problem);
}
