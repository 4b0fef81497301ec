/**
 * A `--base-uri namespace=url` whose namespace is no upstream of the served
 * capability would be silently ignored (traffic still going to the default
 * upstream): refuse it at start, naming the setting and the namespaces there are.
 */
import { ConfigError } from '../settings/index.js';

/** checkBaseUriNamespaces throws ConfigError for an override naming no upstream (`*` applies to every one). */
export function checkBaseUriNamespaces(baseUris: Readonly<Record<string, string>>, namespaces: readonly string[]): void {
  for (const ns of Object.keys(baseUris)) {
    if (ns === '*' || namespaces.includes(ns)) continue;
    throw new ConfigError(
      `--base-uri / GATEWAY_BASE_URI: no upstream is named "${ns}" (the capability's consumes namespaces: ${namespaces.join(', ')}); write <namespace>=<url> with one of them, or a bare <url> for every upstream`,
    );
  }
}
