/**
 * fastify's validators: path, query and header values arrive as strings and are
 * coerced to their declared types; JSON bodies use core's uncoerced validator.
 */
import type { ValidateFunction } from 'ajv';
import type { FastifySchema, FastifySchemaCompiler } from 'fastify';
import { checkJsonSchema } from '../capability/json-schema.js';
import { jsonAjv, makeAjv } from '../core/json-validation.js';

const stringPartsAjv = makeAjv(true);

type JsonSchema = { [key: string]: unknown };

const INTEGER_TEXT = /^-?(0|[1-9][0-9]*)$/;
const NUMBER_TEXT = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/;

/** The property names of an object schema whose type is integer or number. */
function numericProperties(schema: JsonSchema): { name: string; pattern: RegExp; type: string }[] {
  const props = schema['properties'];
  if (typeof props !== 'object' || props === null) return [];
  const out: { name: string; pattern: RegExp; type: string }[] = [];
  for (const [name, prop] of Object.entries(props as Record<string, JsonSchema>)) {
    const type = prop['type'];
    if (type === 'integer') out.push({ name, pattern: INTEGER_TEXT, type: 'integer' });
    else if (type === 'number') out.push({ name, pattern: NUMBER_TEXT, type: 'number' });
  }
  return out;
}

/**
 * ajv's coercion accepts `1e3`, `0x10` and ` 1` as numbers; a URL segment or query value
 * must be plain decimal, so the text is checked before ajv coerces it.
 */
function withStrictNumerals(schema: JsonSchema, validate: ValidateFunction): ValidateFunction | ((data: unknown) => boolean) {
  const numeric = numericProperties(schema);
  if (numeric.length === 0) return validate;
  let ownErrors: { instancePath: string; message: string; keyword: string; params: Record<string, unknown> }[] | null = null;
  const check = (data: unknown): boolean => {
    ownErrors = null;
    if (typeof data === 'object' && data !== null) {
      const record = data as Record<string, unknown>;
      for (const { name, pattern, type } of numeric) {
        const value = record[name];
        const values = Array.isArray(value) ? value : [value];
        for (const v of values) {
          if (typeof v === 'string' && !pattern.test(v)) {
            ownErrors ??= [];
            ownErrors.push({ instancePath: `/${name}`, message: `must be ${type === 'integer' ? 'an integer' : 'a number'} in plain decimal notation`, keyword: 'type', params: { type } });
          }
        }
      }
    }
    if (ownErrors !== null) return false;
    return validate(data) as boolean;
  };
  Object.defineProperty(check, 'errors', { get: () => ownErrors ?? validate.errors });
  return check;
}

type Validator = ReturnType<FastifySchemaCompiler<FastifySchema>>;

function compilePartValidator(schema: JsonSchema, httpPart: string | undefined): Validator {
  if (httpPart !== 'body') return withStrictNumerals(schema, stringPartsAjv.compile(schema));
  // A missing body is checked against the parameter's `required` by the handler, not by the schema.
  const validate = jsonAjv.compile(schema);
  const validateBody = (data: unknown): boolean => data === undefined || validate(data);
  Object.defineProperty(validateBody, 'errors', { get: () => validate.errors });
  return validateBody;
}

/**
 * deferCompile checks a schema against the JSON Schema meta-schema now (so a broken
 * `schema:` still stops the gateway at boot) and generates its validator on first use:
 * ajv's code generation (~1-4 ms a schema) dominated the boot of a large capability,
 * while a route's first request pays it once. Schemas with `$ref`, which only compilation
 * can resolve, are compiled at boot.
 */
function deferCompile(schema: JsonSchema, httpPart: string | undefined, key: string): Validator {
  if (key.includes('"$ref"')) return compilePartValidator(schema, httpPart);
  // The capability's own meta-schema check (one compiled meta-schema for the process, not one per ajv instance).
  const invalid = checkJsonSchema(schema);
  if (invalid !== undefined) throw new Error(`invalid JSON Schema for ${httpPart ?? 'input'}: ${invalid}`);
  let compiled: Validator | undefined;
  const validate = (data: unknown): unknown => {
    compiled ??= compilePartValidator(schema, httpPart);
    return compiled(data);
  };
  Object.defineProperty(validate, 'errors', { get: () => (compiled as { errors?: unknown } | undefined)?.errors });
  return validate as Validator;
}

/**
 * createValidatorCompiler is fastify's validator compiler with the two policies above.
 * ajv caches by schema object identity only, and every route builds its own schema objects,
 * so identical schemas (the `{id: integer}` params of most routes) share one validator here,
 * keyed by their JSON text. Sharing is safe: `errors` is read synchronously right after
 * each validation.
 */
export function createValidatorCompiler(): FastifySchemaCompiler<FastifySchema> {
  const cache = new Map<string, Validator>();
  return ({ schema, httpPart }) => {
    const key = `${httpPart === 'body' ? 'body' : 'text'} ${JSON.stringify(schema)}`;
    let validator = cache.get(key);
    if (validator === undefined) {
      validator = deferCompile(schema as JsonSchema, httpPart, key);
      cache.set(key, validator);
    }
    return validator;
  };
}
