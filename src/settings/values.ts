/**
 * Reading one setting's text by its kind. Every setting of a kind is read the
 * same way, and a bad value is an error naming the setting.
 */
import type { SettingSpec } from './table.js';

/** ConfigError is a bad flag, environment value or an unknown setting. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off']);

/** nameOf is how an error names a setting: the way it was given. */
function nameOf(spec: SettingSpec, from: 'flag' | 'env'): string {
  return from === 'flag' && spec.flag !== undefined ? `--${spec.flag}` : (spec.env ?? spec.key);
}

/** parseBoolean reads 1/true/yes/on and 0/false/no/off, any case. */
export function parseBoolean(spec: SettingSpec, from: 'flag' | 'env', raw: string): boolean {
  const v = raw.trim().toLowerCase();
  if (TRUE.has(v)) return true;
  if (FALSE.has(v)) return false;
  throw new ConfigError(`${nameOf(spec, from)} must be 1/true/yes/on or 0/false/no/off, got "${raw}"`);
}

/** parseInteger reads plain decimal digits within the setting's bounds. */
export function parseInteger(spec: SettingSpec, from: 'flag' | 'env', raw: string): number {
  const name = nameOf(spec, from);
  if (!/^-?\d+$/.test(raw.trim())) throw new ConfigError(`${name} must be an integer, got "${raw}"`);
  const n = Number(raw.trim());
  const min = spec.min ?? 0;
  const max = spec.max ?? Number.MAX_SAFE_INTEGER;
  if (n < min || n > max) throw new ConfigError(`${name} must be from ${min} to ${max}, got ${n}`);
  return n;
}

/** parseOrigins reads a comma-separated origin list; a trailing slash is dropped as browsers never send one. */
export function parseOrigins(raw: string | undefined): string[] {
  if (raw === undefined) return [];
  return raw.split(',').map((o) => o.trim().replace(/\/+$/, '')).filter((o) => o !== '');
}

/** parseHosts reads a comma-separated Host allow-list (`name` or `name:port`); unset stays undefined. */
export function parseHosts(raw: string | undefined): string[] | undefined {
  if (raw === undefined) return undefined;
  return raw.split(',').map((h) => h.trim().toLowerCase()).filter((h) => h !== '');
}

/**
 * parseBaseUris reads `url` (applies to every upstream) or `namespace=url`,
 * several separated by commas or given as repeated flags.
 */
export function parseBaseUris(entries: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of entries.flatMap((e) => e.split(','))) {
    const trimmed = entry.trim();
    if (trimmed === '') continue;
    const eq = trimmed.indexOf('=');
    const schemeAt = trimmed.indexOf('://');
    if (eq > 0 && (schemeAt === -1 || eq < schemeAt)) out[trimmed.slice(0, eq)] = trimmed.slice(eq + 1);
    else out['*'] = trimmed;
  }
  return out;
}

/** parseChoice reads one of the setting's `choices`, any case. */
export function parseChoice(spec: SettingSpec, from: 'flag' | 'env', raw: string): string {
  const v = raw.trim().toLowerCase();
  const choices = spec.choices ?? [];
  if (!choices.includes(v)) throw new ConfigError(`${nameOf(spec, from)} must be ${choices.join(', ')}, got "${raw}"`);
  return v;
}
