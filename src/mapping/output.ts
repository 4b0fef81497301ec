/**
 * Applying an output mapping: the exposure's output parameters compiled once
 * into one function from the decoded upstream document to the exposed output,
 * and into one that writes that output's JSON text directly (what REST sends),
 * without building the output's objects first.
 */
import { compile, type JSONValue } from 'json-p3';
import type { OutputParameterModel } from '../capability/model.js';
import { jsonString } from '../core/json-string.js';
import { queryMapper, type Mapper } from './jsonpath.js';

/** Serializer renders a document's mapped output as JSON text: exactly `JSON.stringify(map(document))`. */
export type Serializer = (document: JSONValue) => string;

/** CompiledOutput says whether the output is the document itself, or how to build it. */
export interface CompiledOutput {
  /** True when the output is the upstream document unchanged: the body can be streamed. */
  readonly identity: boolean;
  readonly map: Mapper;
  /** toJson is `JSON.stringify(map(document))`, written as it is mapped. */
  readonly toJson: Serializer;
}

function identityMapper(document: JSONValue): JSONValue {
  return document;
}

function stringify(value: JSONValue): string {
  return JSON.stringify(value);
}

/** IDENTITY_OUTPUT is the output of `mapping: $.` (and of no mapping at all). */
export const IDENTITY_OUTPUT: CompiledOutput = { identity: true, map: identityMapper, toJson: stringify };

function sourceOf(param: OutputParameterModel): Mapper {
  return param.mapping === undefined || param.mapping === '$' ? identityMapper : queryMapper(compile(param.mapping));
}

function compileParameter(param: OutputParameterModel): Mapper {
  const source = sourceOf(param);
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

/** jsonOf is JSON.stringify of one mapped value, without its call for the common scalars. */
function jsonOf(value: JSONValue): string {
  if (typeof value === 'string') return jsonString(value);
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null';
  return JSON.stringify(value);
}

function compileParameterJson(param: OutputParameterModel): Serializer {
  const source = sourceOf(param);
  if (param.properties.length > 0) {
    const objectJson = compilePropertiesJson(param.properties);
    return (document) => {
      const scope = source(document);
      return scope === null ? 'null' : objectJson(scope);
    };
  }
  if (param.items !== undefined && param.items.properties.length > 0) {
    const itemJson = compilePropertiesJson(param.items.properties);
    return (document) => {
      const scope = source(document);
      if (!Array.isArray(scope)) return 'null';
      if (scope.length === 0) return '[]';
      let text = `[${itemJson(scope[0] as JSONValue)}`;
      for (let i = 1; i < scope.length; i++) text += `,${itemJson(scope[i] as JSONValue)}`;
      return `${text}]`;
    };
  }
  return (document) => jsonOf(source(document));
}

/**
 * Names JSON.stringify would not list in declaration order, or at all: array indexes (listed first,
 * ascending), `__proto__` (sets the prototype) and repeated names (the last value in the first place).
 */
function inDeclarationOrder(names: readonly string[]): boolean {
  return new Set(names).size === names.length && names.every((name) => name !== '__proto__' && !/^\d+$/.test(name));
}

function compilePropertiesJson(properties: readonly OutputParameterModel[]): Serializer {
  const names = properties.map((p) => p.name ?? '');
  if (!inDeclarationOrder(names)) {
    const mapper = compileProperties(properties);
    return (document) => JSON.stringify(mapper(document));
  }
  // `{"id":` and `,"title":`, once.
  const prefixes = names.map((name, i) => `${i === 0 ? '{' : ','}${JSON.stringify(name)}:`);
  const serializers = properties.map(compileParameterJson);
  return (document) => {
    let text = '';
    for (let i = 0; i < prefixes.length; i++) text += (prefixes[i] as string) + (serializers[i] as Serializer)(document);
    return `${text}}`;
  };
}

/** lazily builds a serializer on its first use: start-up compiles no query twice for routes never called. */
function lazily(build: () => Serializer): Serializer {
  let built: Serializer | undefined;
  return (document) => (built ??= build())(document);
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
    return { identity: false, map: compileParameter(only), toJson: lazily(() => compileParameterJson(only)) };
  }
  return { identity: false, map: compileProperties(params), toJson: lazily(() => compilePropertiesJson(params)) };
}
