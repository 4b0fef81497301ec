/**
 * One upstream object per origin + base path + credential across a capability
 * set. The pools (by origin), circuit breakers and outbound rate limit (by
 * upstream namespace) and credential providers (by upstream object) are keyed
 * on it, so however many capabilities name an upstream, it gets one pool, one
 * breaker, one token bucket and one refresh-token exchange.
 */
import { createHash } from 'node:crypto';
import type { CompiledCapability, CompiledMcpAdapter, CompiledOperation, CompiledRestAdapter, CompiledUpstream } from '../capability/compiled.js';

/** upstreamIdentity is what makes two upstreams the same one; the credential is hashed, never kept as a key. */
function upstreamIdentity(u: CompiledUpstream): string {
  const a = u.auth;
  const credential = createHash('sha256')
    .update(JSON.stringify([a.type, a.headerName, a.headerValue, a.queryName, a.queryValue, a.parameterName, a.refresh === undefined ? null : { ...a.refresh }]))
    .digest('hex');
  return `${u.origin}${u.basePath} ${credential}`;
}

/** SharedUpstreams interns the upstreams of one load of a set. */
export class SharedUpstreams {
  private readonly byIdentity = new Map<string, CompiledUpstream>();
  private readonly namespaces = new Set<string>();

  /** intern returns the set's upstream equal to `u`; a different upstream reusing a taken namespace is renamed `<ns>~2`, so breakers and pacing stay apart. */
  intern(u: CompiledUpstream): CompiledUpstream {
    const identity = upstreamIdentity(u);
    const known = this.byIdentity.get(identity);
    if (known !== undefined) return known;
    let namespace = u.namespace;
    for (let n = 2; this.namespaces.has(namespace); n++) namespace = `${u.namespace}~${n}`;
    const shared = namespace === u.namespace ? u : { ...u, namespace };
    this.namespaces.add(namespace);
    this.byIdentity.set(identity, shared);
    return shared;
  }

  /** all lists the distinct upstreams, in first-seen order. */
  all(): CompiledUpstream[] {
    return [...this.byIdentity.values()];
  }
}

/**
 * relinkCapability returns the capability with its operations pointing at the
 * set's shared upstreams and stamped with `stamp`, the capability's name in a set
 * of several (logs, metrics; one capability alone logs as it always did); routes
 * and tools are rebuilt around the new operations (boot-time copies only).
 */
export function relinkCapability(capability: CompiledCapability, stamp: string | undefined, upstreams: SharedUpstreams): CompiledCapability {
  const operations = new Map<string, CompiledOperation>();
  const relinked = new Map<CompiledOperation, CompiledOperation>();
  for (const [key, op] of capability.operations) {
    const next: CompiledOperation = { ...op, upstream: upstreams.intern(op.upstream), capability: stamp };
    operations.set(key, next);
    relinked.set(op, next);
  }
  const relink = (op: CompiledOperation): CompiledOperation => relinked.get(op) ?? op;
  const rest: CompiledRestAdapter[] = capability.rest.map((a) => ({ ...a, routes: a.routes.map((r) => ({ ...r, operation: relink(r.operation) })) }));
  const mcp: CompiledMcpAdapter[] = capability.mcp.map((a) => ({ ...a, tools: a.tools.map((t) => ({ ...t, operation: relink(t.operation) })) }));
  const used = new Set<CompiledUpstream>();
  for (const op of operations.values()) used.add(op.upstream);
  for (const u of capability.upstreams) used.add(upstreams.intern(u));
  return { ...capability, upstreams: [...used], operations, rest, mcp };
}
