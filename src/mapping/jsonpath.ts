/**
 * JSONPath for output mappings and body selections: RFC 9535 through json-p3,
 * compiled once, with a fast path for plain child steps.
 * The seed dialect writes `$.` for "the whole document"; no RFC 9535
 * implementation accepts it, so it is aliased to `$` here.
 */
import { compile, jsonpath, type JSONPathQuery, type JSONValue } from 'json-p3';

/** Mapper turns an upstream JSON document into the exposed output. */
export type Mapper = (document: JSONValue) => JSONValue;

/** normalizeJsonPath turns the seed's `$.` (and blank) into `$`. */
export function normalizeJsonPath(expression: string): string {
  const trimmed = expression.trim();
  return trimmed === '$.' || trimmed === '' ? '$' : trimmed;
}

/** checkJsonPath returns the syntax error of an expression, or undefined when it compiles. */
export function checkJsonPath(expression: string): string | undefined {
  try {
    compile(expression);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/** One step of a query made only of child name, index and wildcard selectors. */
type PlainStep = { readonly kind: 'name'; readonly name: string } | { readonly kind: 'index'; readonly index: number } | { readonly kind: 'wildcard' };

const CHILD_SEGMENT = (compile('$.a').segments[0] as object).constructor;
const { NameSelector, IndexSelector, WildcardSelector } = jsonpath.selectors;

/**
 * plainSteps returns the steps of a query that uses only `.name`, `['name']`, `[n]` and
 * `[*]`/`.*` child segments with one selector each (what output mappings almost always
 * are), or undefined for anything else (filters, slices, `..`, unions), which json-p3 runs.
 */
export function plainSteps(query: JSONPathQuery): PlainStep[] | undefined {
  const steps: PlainStep[] = [];
  for (const segment of query.segments) {
    if (segment.constructor !== CHILD_SEGMENT || segment.selectors.length !== 1) return undefined;
    const selector = segment.selectors[0];
    if (selector instanceof NameSelector) steps.push({ kind: 'name', name: selector.name });
    else if (selector instanceof IndexSelector) steps.push({ kind: 'index', index: selector.index });
    else if (selector instanceof WildcardSelector) steps.push({ kind: 'wildcard' });
    else return undefined;
  }
  return steps;
}

function isJsonObject(value: JSONValue): value is { [key: string]: JSONValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** selectChild applies one step to one value, with RFC 9535 semantics (as json-p3 does), pushing results. */
function selectChild(value: JSONValue, step: PlainStep, out: JSONValue[]): void {
  if (step.kind === 'name') {
    if (isJsonObject(value) && Object.hasOwn(value, step.name)) out.push(value[step.name] as JSONValue);
  } else if (step.kind === 'index') {
    if (!Array.isArray(value)) return;
    const i = step.index < 0 ? value.length + step.index : step.index;
    if (i >= 0 && i < value.length) out.push(value[i] as JSONValue);
  } else if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) out.push(value[i] as JSONValue);
  } else if (isJsonObject(value)) {
    for (const key in value) if (Object.hasOwn(value, key)) out.push(value[key] as JSONValue);
  }
}

/** selectOne applies a name or index step to one value (undefined: nothing selected), as selectChild does; never given a wildcard. */
function selectOne(value: JSONValue, step: PlainStep): JSONValue | undefined {
  if (step.kind === 'name') return isJsonObject(value) && Object.hasOwn(value, step.name) ? value[step.name] : undefined;
  if (step.kind !== 'index' || !Array.isArray(value)) return undefined;
  const i = step.index < 0 ? value.length + step.index : step.index;
  return i >= 0 && i < value.length ? value[i] : undefined;
}

/**
 * plainMapper evaluates plain steps without json-p3's node objects and locations, which
 * cost more than the lookups themselves (~1 µs per node on a 400-item list).
 */
function plainMapper(steps: readonly PlainStep[], singular: boolean): Mapper {
  if (singular) {
    // A singular query (RFC 9535 §2.3.5.1) has only name and index steps: one value at a time, no node
    // lists (`$[*].{id,title}` runs this twice per item).
    return (document) => {
      let current: JSONValue | undefined = document;
      for (let s = 0; s < steps.length && current !== undefined; s++) current = selectOne(current, steps[s] as PlainStep);
      return current ?? null;
    };
  }
  return (document) => {
    let current: JSONValue[] = [document];
    for (let s = 0; s < steps.length; s++) {
      const next: JSONValue[] = [];
      const step = steps[s] as PlainStep;
      for (let i = 0; i < current.length; i++) selectChild(current[i] as JSONValue, step, next);
      current = next;
    }
    return current;
  };
}

/** A singular query (`$.a.b`) yields its value or null; any other query yields an array. */
export function queryMapper(query: JSONPathQuery): Mapper {
  const steps = plainSteps(query);
  return steps === undefined ? generalMapper(query) : plainMapper(steps, query.singularQuery());
}

/** generalMapper always runs json-p3 (the reference the plain path is tested against). */
export function generalMapper(query: JSONPathQuery): Mapper {
  if (query.singularQuery()) {
    return (document) => {
      const nodes = query.query(document).nodes;
      return nodes.length === 0 ? null : (nodes[0]?.value ?? null);
    };
  }
  return (document) => query.query(document).values();
}

/** compileSelect returns a selector of the first node a JSONPath matches (undefined when none). */
export function compileSelect(expression: string): (document: JSONValue) => JSONValue | undefined {
  const query = compile(expression);
  return (document) => query.query(document).nodes[0]?.value;
}
