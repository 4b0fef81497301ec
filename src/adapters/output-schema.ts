/**
 * JSON Schemas of an exposure's output, for documentation (the OpenAPI
 * document, MCP output schemas). Built from the `schema:` extension on output
 * parameters following the same rules as the mapping itself (jsonpath.ts):
 * responses are never validated or stripped against them.
 */
import type { CompiledCall } from '../capability/compiled.js';
import type { JsonSchema, OutputParameterModel } from '../capability/model.js';

function isWhole(param: OutputParameterModel): boolean {
  return param.mapping === undefined || param.mapping === '$';
}

function isIdentity(params: readonly OutputParameterModel[]): boolean {
  if (params.length === 0) return true;
  const only = params[0] as OutputParameterModel;
  return params.length === 1 && isWhole(only) && only.properties.length === 0 && (only.items === undefined || only.items.properties.length === 0);
}

/** The upstream document, as the consumed operation's identity output describes it (`value: $.` with a schema). */
function upstreamDocumentSchema(call: CompiledCall): JsonSchema {
  const params = call.operation.outputParameters;
  if (params.length === 1 && isIdentity(params)) return params[0]?.schema ?? {};
  return {};
}

function propertiesSchema(properties: readonly OutputParameterModel[], call: CompiledCall): JsonSchema {
  const out: Record<string, JsonSchema> = {};
  for (const p of properties) out[p.name ?? ''] = parameterSchema(p, call);
  return { type: 'object', properties: out };
}

function parameterSchema(param: OutputParameterModel, call: CompiledCall): JsonSchema {
  if (param.schema !== undefined) return param.schema;
  if (param.properties.length > 0) return propertiesSchema(param.properties, call);
  if (param.items !== undefined && param.items.properties.length > 0) {
    return { type: 'array', items: propertiesSchema(param.items.properties, call) };
  }
  if (isWhole(param)) return upstreamDocumentSchema(call);
  // A leaf JSONPath value: its declared `type` is not trusted (a singular query yields null when nothing matches).
  return { description: `JSONPath ${param.mapping ?? '$'} of the upstream response` };
}

/** outputSchema is the JSON Schema of what a REST route or MCP tool returns on success. */
export function outputSchema(call: CompiledCall): JsonSchema {
  const params = call.outputParameters;
  if (params.length === 0) return upstreamDocumentSchema(call);
  if (params.length === 1) return parameterSchema(params[0] as OutputParameterModel, call);
  return propertiesSchema(params, call);
}
