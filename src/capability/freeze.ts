/**
 * deepFreeze makes the compiled capability read-only all the way down, so no
 * adapter or request can change what every other one reads.
 */

function isPlain(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown;
  return Array.isArray(value) || proto === Object.prototype || proto === null;
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
      for (const item of v.values()) visit(item);
      return;
    }
    if (!isPlain(v)) return;
    for (const key of Object.keys(v)) visit((v as Record<string, unknown>)[key]);
    Object.freeze(v);
  };
  visit(value);
  return value;
}
