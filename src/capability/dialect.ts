/**
 * Which dialect a capability is written in, and the official dialect's
 * JSON Schema check (ajv, draft 2020-12). The seed dialect is checked by
 * parse.ts's own rules only; both then go through the same parser.
 */
import { readFileSync } from 'node:fs';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import type { ProblemList } from './problems.js';

/** Dialect is what `check` reports. */
export type Dialect = 'official' | 'seed' | 'unknown';

/** DIALECT_LABELS are the human names `check` prints. */
export const DIALECT_LABELS: Readonly<Record<Dialect, string>> = {
  official: 'official Naftiko 1.0.0-alpha schema (validated with schemas/naftiko-1.0.0-alpha2.schema.json)',
  seed: 'seed dialect (the generated Label Studio capabilities; validated with the gateway rules)',
  unknown: 'unrecognised version (validated with the gateway rules only)',
};

const SCHEMA_FILE = new URL('../../schemas/naftiko-1.0.0-alpha2.schema.json', import.meta.url);
const OFFICIAL_VERSION = /^1\.0\.0-alpha\d+$/;
/** Consumed-parameter keys only the seed dialect writes (the official ConsumedInputParameter allows name, in, value). */
const SEED_PARAMETER_KEYS = ['type', 'required', 'description', 'schema'];
const SINGLE_BRACE = /(^|[^{])\{[A-Za-z_][^{}]*\}(?!\})/;
const MAX_SCHEMA_PROBLEMS = 20;

let validator: ValidateFunction | undefined;

function officialValidator(): ValidateFunction {
  if (validator === undefined) {
    const ajv = new Ajv2020({ allErrors: false, strict: false });
    validator = ajv.compile(JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as object);
  }
  return validator;
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function listOf(v: unknown): Obj[] {
  if (Array.isArray(v)) return v.filter(isObj);
  return isObj(v) ? Object.values(v).filter(isObj) : [];
}

/** hasSeedMarkers finds shapes only the seed dialect uses: typed consumed parameters or `{id}` paths. */
function hasSeedMarkers(capability: Obj): boolean {
  for (const consumes of listOf(capability['consumes'])) {
    for (const resource of listOf(consumes['resources'])) {
      if (typeof resource['path'] === 'string' && SINGLE_BRACE.test(resource['path'])) return true;
      for (const op of listOf(resource['operations'])) {
        for (const p of listOf(op['inputParameters'])) if (SEED_PARAMETER_KEYS.some((k) => k in p)) return true;
      }
    }
  }
  return false;
}

/**
 * withoutExtensions drops the gateway's documented extensions, which the official
 * schema does not know: `refresh:` on bearer auth, `outputRawFormat: text`, `x-*` keys.
 */
function withoutExtensions(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutExtensions);
  if (!isObj(value)) return value;
  const out: Obj = {};
  for (const [key, item] of Object.entries(value)) {
    if (key.startsWith('x-')) continue;
    if (key === 'refresh' && value['type'] === 'bearer') continue;
    if (key === 'outputRawFormat' && item === 'text') continue;
    out[key] = withoutExtensions(item);
  }
  return out;
}

/** toYamlPath turns ajv's `/capability/consumes/0/baseUri` into `capability.consumes[0].baseUri`. */
function toYamlPath(pointer: string): string {
  let path = '';
  for (const raw of pointer.split('/').slice(1)) {
    const token = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    path += /^\d+$/.test(token) ? `[${token}]` : path === '' ? token : `.${token}`;
  }
  return path === '' ? '(root)' : path;
}

function describeError(e: ErrorObject): string {
  if (e.keyword === 'additionalProperties') return `unknown key "${String(e.params['additionalProperty'])}" (official schema)`;
  if (e.keyword === 'enum') return `must be one of ${(e.params['allowedValues'] as unknown[]).join(', ')} (official schema)`;
  return `${e.message ?? 'is invalid'} (official schema)`;
}

/**
 * checkDialect recognises the dialect and, for the official one, validates
 * the document with the JSON Schema; schema violations become errors.
 */
export function checkDialect(value: unknown, problems: ProblemList): Dialect {
  if (!isObj(value)) return 'unknown';
  const version = value['naftiko'];
  if (typeof version !== 'string' || !OFFICIAL_VERSION.test(version)) return 'unknown';
  const capability = isObj(value['capability']) ? value['capability'] : {};
  if (hasSeedMarkers(capability)) return 'seed';
  const validate = officialValidator();
  if (validate(withoutExtensions(value))) return 'official';
  // if/then failures only repeat the nested error that caused them.
  const errors = (validate.errors ?? []).filter((e) => e.keyword !== 'if');
  for (const e of errors.slice(0, MAX_SCHEMA_PROBLEMS)) problems.error(toYamlPath(e.instancePath), describeError(e));
  return 'official';
}
