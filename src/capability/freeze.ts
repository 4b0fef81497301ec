/**
 * deepFreeze makes the compiled capability read-only all the way down, so no
 * adapter or request can change what every other one reads, and keeps each of
 * its strings once.
 */

function isPlain(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown;
  return Array.isArray(value) || proto === Object.prototype || proto === null;
}

/** A null-prototype object is a dictionary in V8: adding a name makes no hidden class (which would be kept). */
const INTERNING: Record<string, number> = Object.create(null) as Record<string, number>;

/**
 * internString returns `text` as V8's internalized (flat, deduplicated) string, the way
 * property names are kept. The strings of a compiled capability are otherwise often
 * slices of the whole YAML source, which they keep alive, or concatenations of parts
 * (YAML paths, `namespace.operation` keys), and the same names (`id`, `GET`, `string`)
 * are kept once per use: about a third of what a compiled operation holds.
 */
export function internString(text: string): string {
  INTERNING[text] = 0;
  const key = Object.keys(INTERNING)[0] as string;
  delete INTERNING[text];
  return key;
}

/**
 * deepFreeze freezes plain objects and arrays, and the values of Maps (whose entries
 * `Object.freeze` cannot lock: their types are `ReadonlyMap`). Functions, RegExps (a
 * frozen global RegExp cannot advance `lastIndex`) and class instances are left as they are.
 */
export function deepFreeze<T>(value: T): T {
  const seen = new Set<object>();
  const visit = (v: unknown): void => {
    if (typeof v !== 'object' || v === null || seen.has(v)) return;
    seen.add(v);
    if (v instanceof Map) {
      const entries = [...(v as Map<unknown, unknown>)];
      v.clear();
      for (const [key, item] of entries) {
        visit(item);
        v.set(typeof key === 'string' ? internString(key) : key, typeof item === 'string' ? internString(item) : item);
      }
      return;
    }
    if (!isPlain(v)) return;
    const record = v as Record<string, unknown>;
    for (const key of Object.keys(v)) {
      const item = record[key];
      if (typeof item === 'string') record[key] = internString(item);
      else visit(item);
    }
    Object.freeze(v);
  };
  visit(value);
  return value;
}
