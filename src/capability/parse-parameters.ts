/** Parsing input and output parameters: names, places, types, JSON Schemas and JSONPath mappings. */
import { checkJsonPath, normalizeJsonPath } from '../mapping/jsonpath.js';
import { checkJsonSchema } from './json-schema.js';
import type { InputParameterModel, JsonSchema, OutputParameterModel, ParamLocation, ParamType } from './model.js';
import type { ProblemList } from './problems.js';
import { Reader, describe, isObj, lower } from './reader.js';

const PARAM_LOCATIONS: readonly ParamLocation[] = ['path', 'query', 'header', 'body'];

export const PARAM_TYPES: readonly ParamType[] = ['string', 'integer', 'number', 'boolean', 'object', 'array'];

function parseSchema(r: Reader, problems: ProblemList): JsonSchema | undefined {
  const v = r.value['schema'];
  if (v === undefined) return undefined;
  if (!isObj(v)) {
    problems.error(r.at('schema'), `must be a mapping (a JSON Schema), got ${describe(v)}`);
    return undefined;
  }
  const error = checkJsonSchema(v);
  if (error !== undefined) {
    problems.error(r.at('schema'), `invalid JSON Schema: ${error}`);
    return undefined;
  }
  return v as JsonSchema;
}

function parseInputParameter(r: Reader, problems: ProblemList): InputParameterModel | undefined {
  const name = r.string('name', true);
  const location = r.oneOf('in', PARAM_LOCATIONS, undefined, lower);
  const type = r.oneOf('type', PARAM_TYPES, location === 'body' ? 'object' : 'string', lower);
  if (name === undefined || location === undefined || type === undefined) return undefined;
  return {
    name,
    in: location,
    type,
    required: location === 'path' ? true : (r.boolean('required') ?? false),
    description: r.string('description', false),
    schema: parseSchema(r, problems),
    value: r.string('value', false),
    yamlPath: r.path,
  };
}

export function parseInputParameters(r: Reader, problems: ProblemList): InputParameterModel[] {
  const params: InputParameterModel[] = [];
  for (const p of r.list('inputParameters', false)) {
    const param = parseInputParameter(p, problems);
    if (param !== undefined) params.push(param);
  }
  return params;
}

/** mergeParameters lets an operation's parameters override its resource's and consumes' of the same name and place. */
export function mergeParameters(outer: readonly InputParameterModel[], inner: readonly InputParameterModel[]): InputParameterModel[] {
  const merged = outer.filter((o) => !inner.some((i) => i.name === o.name && i.in === o.in));
  return [...merged, ...inner];
}

function parseOutputParameter(r: Reader, problems: ProblemList): OutputParameterModel {
  const mapping = parseJsonPathField(r, 'mapping', false, problems) ?? parseJsonPathField(r, 'value', false, problems);
  const properties: OutputParameterModel[] = [];
  const rawProps = r.value['properties'];
  if (Array.isArray(rawProps)) {
    for (const p of r.list('properties', false)) properties.push(parseOutputParameter(p, problems));
  } else if (isObj(rawProps)) {
    // Official dialect: `properties: { name: { type, mapping } }`.
    const props = r.object('properties', false);
    if (props !== undefined) {
      for (const name of Object.keys(props.value)) {
        const child = props.object(name, true);
        if (child !== undefined) properties.push({ ...parseOutputParameter(child, problems), name });
      }
    }
  } else if (rawProps !== undefined) {
    r.object('properties', false);
  }
  for (const p of properties) {
    if (p.name === undefined) problems.error(p.yamlPath, 'a property needs a name');
  }
  const itemsReader = r.object('items', false);
  return {
    name: r.string('name', false),
    type: r.string('type', false) ?? 'object',
    mapping,
    properties,
    items: itemsReader === undefined ? undefined : parseOutputParameter(itemsReader, problems),
    schema: parseSchema(r, problems),
    yamlPath: r.path,
  };
}

export function parseOutputParameters(r: Reader, problems: ProblemList): OutputParameterModel[] {
  const params = r.list('outputParameters', false).map((p) => parseOutputParameter(p, problems));
  if (params.length > 1) {
    params.forEach((p, i) => {
      if (p.name === undefined) problems.error(`${r.at('outputParameters')}[${i}].name`, 'is required when an operation has several output parameters');
    });
  }
  return params;
}

export function parseJsonPathField(r: Reader, key: string, required: boolean, problems: ProblemList): string | undefined {
  const raw = r.string(key, required);
  if (raw === undefined) return undefined;
  const expression = normalizeJsonPath(raw);
  const error = checkJsonPath(expression);
  if (error === undefined) return expression;
  problems.error(r.at(key), `invalid JSONPath "${raw}": ${error}`);
  return undefined;
}
