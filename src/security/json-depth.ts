/**
 * A nesting limit for JSON bodies. JSON.parse copes with deep documents, but
 * later recursive steps (JSON.stringify for the upstream, ajv, mapping) would
 * overflow the stack on e.g. 100 000 nested arrays; no real body nests deeply.
 */

/** MAX_JSON_DEPTH is the deepest nesting a request body may have. */
export const MAX_JSON_DEPTH = 64;

/** jsonDepthExceeds reports whether `value` nests deeper than `max`, without recursion. */
export function jsonDepthExceeds(value: unknown, max: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const stack: { v: object; depth: number }[] = [{ v: value, depth: 1 }];
  while (stack.length > 0) {
    const { v, depth } = stack.pop() as { v: object; depth: number };
    if (depth > max) return true;
    const children = Array.isArray(v) ? (v as unknown[]) : Object.values(v);
    for (let i = 0; i < children.length; i++) {
      const c = children[i];
      if (typeof c === 'object' && c !== null) stack.push({ v: c, depth: depth + 1 });
    }
  }
  return false;
}
