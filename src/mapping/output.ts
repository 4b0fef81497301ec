/**
 * Applying an output mapping: the exposure's output parameters compiled once
 * into one function from the decoded upstream document to the exposed output.
 */
import { compile, type JSONValue } from 'json-p3';
import type { OutputParameterModel } from '../capability/model.js';
import { queryMapper, type Mapper } from './jsonpath.js';

/** CompiledOutput says whether the output is the document itself, or how to build it. */
export interface CompiledOutput {
  /** True when the output is the upstream document unchanged: the body can be streamed. */
  readonly identity: boolean;
  readonly map: Mapper;
}

function identityMapper(document: JSONValue): JSONValue {
  return document;
}

/** IDENTITY_OUTPUT is the output of `mapping: $.` (and of no mapping at all). */
export const IDENTITY_OUTPUT: CompiledOutput = { identity: true, map: identityMapper };

function compileParameter(param: OutputParameterModel): Mapper {
  const source = param.mapping === undefined || param.mapping === '$' ? identityMapper : queryMapper(compile(param.mapping));
  if (param.properties.length > 0) {
    const objectMapper = compileProperties(param.properties);
    return (document) => {
      const scope = source(document);
      return scope === null ? null : objectMapper(scope);
    };
  }
  if (param.items !== undefined && param.items.properties.length > 0) {
    const itemMapper = compileProperties(param.items.properties);
    return (document) => {
      const scope = source(document);
      return Array.isArray(scope) ? scope.map(itemMapper) : null;
    };
  }
  return source;
}

function compileProperties(properties: readonly OutputParameterModel[]): Mapper {
  const names: string[] = [];
  const mappers: Mapper[] = [];
  for (const property of properties) {
    names.push(property.name ?? '');
    mappers.push(compileParameter(property));
  }
  return (document) => {
    const out: { [key: string]: JSONValue } = {};
    for (let i = 0; i < names.length; i++) out[names[i] as string] = (mappers[i] as Mapper)(document);
    return out;
  };
}

/**
 * compileOutput builds the mapper of an operation's output parameters:
 * none or one unnamed/`result` parameter → its value; several named → an object.
 */
export function compileOutput(params: readonly OutputParameterModel[]): CompiledOutput {
  if (params.length === 0) return IDENTITY_OUTPUT;
  if (params.length === 1) {
    const only = params[0] as OutputParameterModel;
    const whole = only.mapping === undefined || only.mapping === '$';
    if (whole && only.properties.length === 0 && (only.items === undefined || only.items.properties.length === 0)) {
      return IDENTITY_OUTPUT;
    }
    return { identity: false, map: compileParameter(only) };
  }
  return { identity: false, map: compileProperties(params) };
}

