/**
 * JSON Schemas of an exposure's inputs, built once from the consumed
 * parameters (type, required, description and the `schema:` extension).
 * REST routes and MCP tools validate with the same schemas.
 */
import type { InputBinding } from '../capability/compiled.js';
import type { InputParameterModel, JsonSchema } from '../capability/model.js';

/** parameterSchema is the JSON Schema of one consumed parameter's value. */
export function parameterSchema(param: InputParameterModel): JsonSchema {
  const schema: JsonSchema = { type: param.type };
  if (param.description !== undefined) schema['description'] = param.description;
  if (param.schema !== undefined) Object.assign(schema, param.schema);
  return schema;
}

/** ObjectSchema is an object schema with named properties. */
export interface ObjectSchema extends JsonSchema {
  type: 'object';
  properties: Record<string, JsonSchema>;
  required?: string[];
}

/** objectSchemaOf groups the inputs whose source kind is `kind` into one object schema. */
export function objectSchemaOf(inputs: readonly InputBinding[], kind: 'path' | 'query' | 'header' | 'body-field' | 'argument'): ObjectSchema | undefined {
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const input of inputs) {
    if (input.source.kind !== kind) continue;
    const name = input.source.name;
    properties[name] = parameterSchema(input.parameter);
    if (input.parameter.required) required.push(name);
  }
  if (Object.keys(properties).length === 0) return undefined;
  const schema: ObjectSchema = { type: 'object', properties };
  if (required.length > 0) schema.required = required;
  return schema;
}

/** bodyInput returns the binding that feeds the upstream body from the client's body, if any. */
export function bodyInput(inputs: readonly InputBinding[]): InputBinding | undefined {
  return inputs.find((i) => i.source.kind === 'body');
}

/**
 * requestBodySchema is the JSON Schema a REST request body is validated with: the `body` input's own,
 * the `body-field` inputs as one object, `{type: object}` for `body-path` inputs; undefined without any.
 */
export function requestBodySchema(inputs: readonly InputBinding[]): JsonSchema | undefined {
  const body = bodyInput(inputs);
  if (body !== undefined) return parameterSchema(body.parameter);
  const fields = objectSchemaOf(inputs, 'body-field');
  if (fields !== undefined) return fields;
  return inputs.some((i) => i.source.kind === 'body-path') ? { type: 'object' } : undefined;
}
