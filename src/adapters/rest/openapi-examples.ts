/**
 * Examples for the OpenAPI document, made from the schemas themselves so
 * they always validate against them (Spectral's oas3-valid-*-example rules):
 * the declared `example`/`default`/`enum` when there is one, else a typical value.
 */
import type { JsonSchema } from '../../capability/model.js';

const MAX_DEPTH = 6;

const FORMAT_EXAMPLES: Record<string, string> = {
  'date-time': '2026-05-19T12:00:00Z',
  date: '2026-05-19',
  email: 'team@example.com',
  uri: 'https://example.com/',
  url: 'https://example.com/',
  uuid: '6f1c2a9e-3b7d-4c1e-9a51-2d0c8f4e7b10',
};

function firstType(schema: JsonSchema): string | undefined {
  const type = schema['type'];
  if (typeof type === 'string') return type;
  if (Array.isArray(type)) return (type as string[]).find((t) => t !== 'null') ?? (type[0] as string | undefined);
  if (schema['properties'] !== undefined) return 'object';
  if (schema['items'] !== undefined) return 'array';
  return undefined;
}

function stringExample(schema: JsonSchema): string {
  const format = typeof schema['format'] === 'string' ? FORMAT_EXAMPLES[schema['format']] : undefined;
  if (format !== undefined) return format;
  const min = typeof schema['minLength'] === 'number' ? schema['minLength'] : 0;
  const max = typeof schema['maxLength'] === 'number' ? schema['maxLength'] : 64;
  const text = 'example';
  return text.length < min ? text.padEnd(min, 'x') : text.slice(0, Math.max(max, 0));
}

function numberExample(schema: JsonSchema, integer: boolean): number {
  const min = typeof schema['minimum'] === 'number' ? schema['minimum'] : typeof schema['exclusiveMinimum'] === 'number' ? schema['exclusiveMinimum'] + 1 : 1;
  return integer ? Math.ceil(min) : min;
}

/** exampleOf returns a value valid against `schema` (for the plain schemas capabilities declare), or undefined. */
export function exampleOf(schema: JsonSchema | undefined, depth = 0): unknown {
  if (schema === undefined || depth > MAX_DEPTH) return undefined;
  if ('example' in schema) return schema['example'];
  if (Array.isArray(schema['examples']) && schema['examples'].length > 0) return schema['examples'][0];
  if ('const' in schema) return schema['const'];
  if ('default' in schema) return schema['default'];
  if (Array.isArray(schema['enum']) && schema['enum'].length > 0) return schema['enum'][0];
  for (const key of ['allOf', 'anyOf', 'oneOf']) {
    const list = schema[key];
    if (Array.isArray(list) && list.length > 0 && key !== 'allOf') return exampleOf(list[0] as JsonSchema, depth + 1);
  }
  switch (firstType(schema)) {
    case 'object': {
      const out: Record<string, unknown> = {};
      const properties = (schema['properties'] ?? {}) as Record<string, JsonSchema>;
      for (const [name, prop] of Object.entries(properties)) {
        const value = exampleOf(prop, depth + 1);
        if (value !== undefined) out[name] = value;
      }
      return out;
    }
    case 'array': {
      const item = exampleOf(schema['items'] as JsonSchema | undefined, depth + 1);
      return item === undefined ? [] : [item];
    }
    case 'string':
      return stringExample(schema);
    case 'integer':
      return numberExample(schema, true);
    case 'number':
      return numberExample(schema, false);
    case 'boolean':
      return true;
    case 'null':
      return null;
    default:
      return undefined;
  }
}
