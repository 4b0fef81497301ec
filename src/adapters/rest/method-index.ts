/**
 * Which methods a path allows, for the 405 answer: one index consulted by the
 * not-found handler, instead of a 405 route per path (five or six router
 * entries per capability path, most of a large capability's ~7,300 entries).
 * Paths are grouped by their number of segments and first segment, so a miss
 * tests a handful of patterns, compiled once at boot.
 */

/** MAX_PARAM_CHARS mirrors the router's maxParamLength: a longer segment matches no route. */
const MAX_PARAM_CHARS = 256;

interface PathPattern {
  readonly regex: RegExp;
  readonly methods: Set<string>;
  /** The router path (`/v1/api/organizations/:id`), which names the path in metrics. */
  readonly url: string;
}

/** MethodMatch is a path's router pattern and its Allow header value. */
export interface MethodMatch {
  readonly url: string;
  readonly allow: string;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** patternRegex compiles a router path (`:name` parameters) into an anchored regex. */
function patternRegex(url: string): RegExp {
  let source = '';
  for (const part of url.split(/(:[A-Za-z0-9_]+)/)) {
    source += part.startsWith(':') ? `[^/]{1,${MAX_PARAM_CHARS}}` : escapeRegex(part);
  }
  return new RegExp(`^${source}$`);
}

function groupKey(segments: readonly string[]): string {
  const first = segments[1] ?? '';
  return `${segments.length} ${first.includes(':') ? '' : first}`;
}

/** MethodIndex maps paths to the methods their routes answer. */
export class MethodIndex {
  private readonly byUrl = new Map<string, PathPattern>();
  private readonly groups = new Map<string, PathPattern[]>();
  private readonly allowCache = new Map<PathPattern, string>();

  /** add records that `method` is served at the router path `url`. */
  add(method: string, url: string): void {
    // Keyed by the path's shape: the capabilities of a set may name one path's parameters differently (`:id`, `:pk`).
    const shape = url.replace(/:[^/]+/g, ':');
    let pattern = this.byUrl.get(shape);
    if (pattern === undefined) {
      pattern = { regex: patternRegex(url), methods: new Set(), url };
      this.byUrl.set(shape, pattern);
      const segments = url.split('/');
      // A pattern whose first segment is a parameter is filed under the wildcard group.
      const key = groupKey(segments);
      const list = this.groups.get(key) ?? [];
      list.push(pattern);
      this.groups.set(key, list);
    }
    pattern.methods.add(method);
    // fastify answers HEAD for every GET route.
    if (method === 'GET') pattern.methods.add('HEAD');
    this.allowCache.delete(pattern);
  }

  /** match finds the route path a request path belongs to, whatever its method, or undefined. */
  match(path: string): MethodMatch | undefined {
    // The router ignores one trailing slash.
    const p = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
    const segments = p.split('/');
    const pattern = this.find(this.groups.get(`${segments.length} ${segments[1] ?? ''}`), p) ?? this.find(this.groups.get(`${segments.length} `), p);
    if (pattern === undefined) return undefined;
    let allow = this.allowCache.get(pattern);
    if (allow === undefined) {
      allow = [...pattern.methods].sort().join(', ');
      this.allowCache.set(pattern, allow);
    }
    return { url: pattern.url, allow };
  }

  private find(list: readonly PathPattern[] | undefined, path: string): PathPattern | undefined {
    if (list === undefined) return undefined;
    for (const pattern of list) if (pattern.regex.test(path)) return pattern;
    return undefined;
  }
}
