/**
 * JSON Schema validation of JSON input (bodies, MCP arguments, built-in tool
 * arguments): one ajv configuration for every transport. JSON is never coerced
 * (a body `"id": "abc"` is a 400, not a silent conversion).
 */
import { Ajv, type ValidateFunction } from 'ajv';
import { createRequire } from 'node:module';

// ajv-formats is CommonJS with `exports.default`; require() sidesteps the ESM interop wrapper.
const addFormats = createRequire(import.meta.url)('ajv-formats') as (ajv: Ajv) => Ajv;

/** makeAjv builds an ajv reporting every error; `coerce` is for string-typed parts (path, query, headers). */
export function makeAjv(coerce: boolean): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: false, coerceTypes: coerce ? 'array' : false, useDefaults: coerce, removeAdditional: false });
  addFormats(ajv);
  return ajv;
}

/** jsonAjv validates JSON documents exactly as written. */
export const jsonAjv = makeAjv(false);

/** compileJsonValidator compiles a schema for JSON input (bodies, MCP arguments). */
export function compileJsonValidator(schema: object): ValidateFunction {
  return jsonAjv.compile(schema);
}
