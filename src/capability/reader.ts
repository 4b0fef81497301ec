/**
 * Reader: typed access to one YAML mapping that records every problem at its
 * precise YAML path instead of stopping at the first.
 */
import type { ProblemList } from './problems.js';

type Obj = { readonly [key: string]: unknown };

export function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reader wraps one YAML object with typed getters that record problems at precise paths. */
export class Reader {
  constructor(
    readonly value: Obj,
    readonly path: string,
    readonly problems: ProblemList,
  ) {}

  at(key: string): string {
    return `${this.path}.${key}`;
  }

  string(key: string, required: boolean): string | undefined {
    const v = this.value[key];
    if (v === undefined || v === null) {
      if (required) this.problems.error(this.at(key), 'is required');
      return undefined;
    }
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    if (typeof v !== 'string') {
      this.problems.error(this.at(key), `must be a string, got ${describe(v)}`);
      return undefined;
    }
    if (required && v.trim() === '') {
      this.problems.error(this.at(key), 'must not be empty');
      return undefined;
    }
    return v;
  }

  boolean(key: string): boolean | undefined {
    const v = this.value[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') {
      this.problems.error(this.at(key), `must be true or false, got ${describe(v)}`);
      return undefined;
    }
    return v;
  }

  integer(key: string, min: number, max: number, required: boolean): number | undefined {
    const v = this.value[key];
    if (v === undefined || v === null) {
      if (required) this.problems.error(this.at(key), 'is required');
      return undefined;
    }
    const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
      this.problems.error(this.at(key), `must be an integer from ${min} to ${max}, got ${describe(v)}`);
      return undefined;
    }
    return n;
  }

  object(key: string, required: boolean): Reader | undefined {
    const v = this.value[key];
    if (v === undefined || v === null) {
      if (required) this.problems.error(this.at(key), 'is required');
      return undefined;
    }
    if (!isObj(v)) {
      this.problems.error(this.at(key), `must be a mapping, got ${describe(v)}`);
      return undefined;
    }
    return new Reader(v, this.at(key), this.problems);
  }

  /** list returns a Reader per object element; non-objects are reported. */
  list(key: string, required: boolean): Reader[] {
    const v = this.value[key];
    if (v === undefined || v === null) {
      if (required) this.problems.error(this.at(key), 'is required');
      return [];
    }
    if (isObj(v)) return this.namedMap(key, v);
    if (!Array.isArray(v)) {
      this.problems.error(this.at(key), `must be a list, got ${describe(v)}`);
      return [];
    }
    const readers: Reader[] = [];
    v.forEach((item: unknown, i: number) => {
      const path = `${this.at(key)}[${i}]`;
      if (isObj(item)) readers.push(new Reader(item, path, this.problems));
      else this.problems.error(path, `must be a mapping, got ${describe(item)}`);
    });
    return readers;
  }

  /** namedMap reads the keyed form (`resources: { ships: {...} }`) as a list whose `name` is each key. */
  private namedMap(key: string, map: Obj): Reader[] {
    const readers: Reader[] = [];
    for (const [name, item] of Object.entries(map)) {
      const path = `${this.at(key)}.${name}`;
      if (isObj(item)) readers.push(new Reader(item['name'] === undefined ? { name, ...item } : item, path, this.problems));
      else this.problems.error(path, `must be a mapping, got ${describe(item)}`);
    }
    return readers;
  }

  oneOf<T extends string>(key: string, allowed: readonly T[], fallback: T | undefined, normalize?: (s: string) => string): T | undefined {
    const raw = this.string(key, fallback === undefined);
    if (raw === undefined) return fallback;
    const v = normalize === undefined ? raw : normalize(raw);
    if ((allowed as readonly string[]).includes(v)) return v as T;
    this.problems.error(this.at(key), `must be one of ${allowed.join(', ')}, got "${raw}"`);
    return undefined;
  }
}

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `"${v.length > 40 ? v.slice(0, 40) + '…' : v}"`;
  return `${typeof v} ${String(v)}`;
}

export function lower(s: string): string {
  return s.trim().toLowerCase();
}

export function upper(s: string): string {
  return s.trim().toUpperCase();
}

/** RootReader reports top-level keys without a leading dot. */
export class RootReader extends Reader {
  constructor(value: Obj, problems: ProblemList) {
    super(value, '', problems);
  }

  override at(key: string): string {
    return key;
  }
}
