/**
 * The OpenAPI 3.0.3 rendering of the 3.1 document, for importers that take
 * only 3.0 (API gateways, older generators). JSON Schema 2020-12 keywords
 * are rewritten to their 3.0 Schema Object forms: type arrays become
 * `nullable` (or `anyOf`), `const` an `enum`, `examples` one `example`.
 */
import type { JsonSchema } from '../../capability/model.js';
import type { OpenApiDocument } from './openapi-builder.js';

/** OPENAPI_30_VERSION is the version of the downgraded document. */
export const OPENAPI_30_VERSION = '3.0.3';

/** Keys under which a value is a schema, a map of schemas, or a list of schemas. */
const SCHEMA_KEYS = new Set(['items', 'not', 'additionalProperties']);
const SCHEMA_MAP_KEYS = new Set(['properties', 'patternProperties']);
const SCHEMA_LIST_KEYS = new Set(['allOf', 'anyOf', 'oneOf']);
/** 2020-12 keywords with no 3.0 equivalent; they only narrow, so dropping them keeps every valid value valid. */
const DROPPED = new Set(['$id', '$schema', '$comment', 'contentEncoding', 'contentMediaType', 'patternProperties', 'propertyNames', 'unevaluatedProperties', 'dependentRequired', 'dependentSchemas', 'if', 'then', 'else', 'prefixItems', 'contains']);

function convertType(schema: JsonSchema, out: JsonSchema): void {
  const type = schema['type'];
  if (!Array.isArray(type)) {
    if (type === 'null') out['nullable'] = true;
    else if (type !== undefined) out['type'] = type;
    return;
  }
  const types = (type as string[]).filter((t) => t !== 'null');
  if (types.length < type.length) out['nullable'] = true;
  if (types.length === 1) out['type'] = types[0];
  // Several non-null types: 3.0 has no type lists, so each alternative becomes an anyOf branch.
  else if (types.length > 1) out['anyOf'] = types.map((t) => ({ type: t }));
}

/** toSchema30 rewrites one schema (and its subschemas). */
export function toSchema30(schema: unknown): unknown {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return schema;
  const input = schema as JsonSchema;
  const out: JsonSchema = {};
  convertType(input, out);
  for (const [key, value] of Object.entries(input)) {
    if (key === 'type' || DROPPED.has(key)) continue;
    if (key === 'const') out['enum'] = [value];
    else if (key === 'examples') {
      if (Array.isArray(value) && value.length > 0 && !('example' in input)) out['example'] = value[0];
    } else if (key === 'exclusiveMinimum' && typeof value === 'number') {
      out['minimum'] = value;
      out['exclusiveMinimum'] = true;
    } else if (key === 'exclusiveMaximum' && typeof value === 'number') {
      out['maximum'] = value;
      out['exclusiveMaximum'] = true;
    } else if (SCHEMA_KEYS.has(key)) out[key] = typeof value === 'boolean' ? value : toSchema30(value);
    else if (SCHEMA_MAP_KEYS.has(key)) out[key] = Object.fromEntries(Object.entries(value as JsonSchema).map(([k, v]) => [k, toSchema30(v)]));
    else if (SCHEMA_LIST_KEYS.has(key)) out[key] = (value as unknown[]).map(toSchema30);
    else out[key] = value;
  }
  // In 3.0 `nullable` only applies next to a `type`; an untyped nullable schema already admits null.
  if (out['nullable'] === true && out['type'] === undefined && out['anyOf'] === undefined) delete out['nullable'];
  return out;
}

/** Walks the document and converts every place a schema lives (components, parameters, headers, media types). */
function convertNode(node: unknown, key: string | undefined): unknown {
  if (Array.isArray(node)) return node.map((v) => convertNode(v, undefined));
  if (typeof node !== 'object' || node === null) return node;
  const out: JsonSchema = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === 'schema') out[k] = toSchema30(v);
    else if (key === 'components' && k === 'schemas') out[k] = Object.fromEntries(Object.entries(v as JsonSchema).map(([name, s]) => [name, toSchema30(s)]));
    else out[k] = convertNode(v, k);
  }
  return out;
}

/** toOpenApi30 renders a 3.1 document as 3.0.3. */
export function toOpenApi30(doc: OpenApiDocument): OpenApiDocument {
  const converted = convertNode(doc, undefined) as OpenApiDocument;
  converted.openapi = OPENAPI_30_VERSION;
  return converted;
}
