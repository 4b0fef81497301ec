/** Linking exposures to operations: `call` targets, `with` bindings and input sources, duplicate routes and tools. */
import { compileSelect } from '../mapping/jsonpath.js';
import { compileOutput } from '../mapping/output.js';
import type { BindingModel, ExposedCallModel, ExposedInputModel, InputParameterModel, McpExposeModel, RestExposeModel } from './model.js';
import type { CompiledCall, CompiledMcpAdapter, CompiledMcpTool, CompiledOperation, CompiledRestAdapter, CompiledRestRoute, InputBinding, InputSource } from './compiled.js';
import type { ProblemList } from './problems.js';
import { parsePathTemplate, type PathSegment } from './templates.js';
import { plainText } from './plain-text.js';
import { callMutates } from './semantics.js';

function resolveCall(call: ExposedCallModel, operations: ReadonlyMap<string, CompiledOperation>, problems: ProblemList): CompiledOperation | undefined {
  if (call.call === '') return undefined;
  const op = operations.get(call.call);
  if (op !== undefined) return op;
  const dot = call.call.lastIndexOf('.');
  const known = [...operations.keys()];
  const hint = dot === -1 ? 'expected <consumes-namespace>.<operation>' : `known operations: ${known.join(', ') || '(none)'}`;
  problems.error(`${call.yamlPath}.call`, `unknown call target "${call.call}" (${hint})`);
  return undefined;
}

/**
 * bindInputs pairs every consumed parameter with the adapter input named in `with:`
 * (or, when `with:` is silent, the adapter input of the same name).
 */
function bindInputs(
  call: ExposedCallModel,
  op: CompiledOperation,
  sourcePrefixes: readonly string[],
  locate: (parameter: InputParameterModel, name: string, yamlPath: string) => InputSource | undefined,
  problems: ProblemList,
): InputBinding[] {
  const byName = new Map<string, InputParameterModel>();
  for (const p of op.parameters) byName.set(p.name, p);
  const credential = op.upstream.auth.parameterName;
  for (const [key, binding] of call.with) {
    if (byName.has(key)) continue;
    if (credential !== undefined && key.toLowerCase() === credential) continue; // the gateway injects it
    problems.error(binding.yamlPath, `"${key}" is not an input parameter of ${op.key} (its inputs: ${op.parameters.map((p) => p.name).join(', ') || 'none'})`);
  }
  const inputs: InputBinding[] = [];
  for (const parameter of op.parameters) {
    const fixed = op.fixedValues.get(parameter.name);
    if (fixed !== undefined) {
      inputs.push({ parameter, source: { kind: 'const', value: fixed } });
      continue;
    }
    const binding: BindingModel | undefined = call.with.get(parameter.name);
    if (binding?.kind === 'const') {
      inputs.push({ parameter, source: { kind: 'const', value: binding.value } });
      continue;
    }
    let name = parameter.name;
    const yamlPath = binding?.yamlPath ?? `${call.yamlPath}.with`;
    if (binding !== undefined) {
      const dot = binding.source.indexOf('.');
      const prefix = binding.source.slice(0, dot);
      if (!sourcePrefixes.includes(prefix)) {
        problems.error(binding.yamlPath, `unknown with source "${binding.source}": expected ${sourcePrefixes.map((s) => `${s}.<name>`).join(' or ')}`);
        continue;
      }
      name = binding.source.slice(dot + 1);
    }
    const source = locate(parameter, name, yamlPath);
    if (source !== undefined) inputs.push({ parameter, source });
  }
  return inputs;
}

function callBase(call: ExposedCallModel, op: CompiledOperation, inputs: InputBinding[]): CompiledCall {
  const outputParameters = call.outputParameters.length > 0 ? call.outputParameters : op.outputParameters;
  const description = call.description ?? op.description;
  const mutates = callMutates(call.hints, op.hints);
  return {
    name: call.name,
    description,
    summary: plainText(description),
    declaredHints: call.hints,
    mutates,
    scope: mutates ? 'write' : 'read',
    operation: op,
    inputs,
    output: compileOutput(outputParameters),
    outputParameters,
    extensions: call.extensions,
    yamlPath: call.yamlPath,
  };
}

/** sameParamName treats `project-pk`, `project_pk` and `project.pk` as one name (the generator mixes them). */
function sameParamName(a: string, b: string): boolean {
  return a.replace(/[-.]/g, '_') === b.replace(/[-.]/g, '_');
}

function findPathParam(params: readonly string[], name: string): string | undefined {
  return params.includes(name) ? name : params.find((p) => sameParamName(p, name));
}

/** withExposedDeclaration lets an official exposed input's type, required and description drive validation. */
function withExposedDeclaration(parameter: InputParameterModel, exposed: ExposedInputModel): InputParameterModel {
  return {
    ...parameter,
    type: exposed.type,
    required: exposed.in === 'path' ? true : (exposed.required ?? parameter.required),
    description: exposed.description ?? parameter.description,
  };
}

/** routeKey identifies a route for duplicate detection: params and a trailing slash do not count. */
function routeKey(method: string, segments: readonly PathSegment[]): string {
  let key = '';
  for (const s of segments) key += 'literal' in s ? s.literal : '{}';
  return `${method} ${key.length > 1 ? key.replace(/\/+$/, '') : key}`;
}

export function compileRest(
  expose: RestExposeModel,
  operations: ReadonlyMap<string, CompiledOperation>,
  problems: ProblemList,
): CompiledRestAdapter {
  const routes: CompiledRestRoute[] = [];
  const seen = new Map<string, string>();
  for (const call of expose.operations) {
    const resourcePath = call.yamlPath.replace(/\.operations\[\d+\]$/, '.path');
    const parsed = parsePathTemplate(call.path);
    if (!parsed.ok) {
      problems.error(resourcePath, parsed.reason);
      continue;
    }
    const key = routeKey(call.method, parsed.segments);
    const previous = seen.get(key);
    if (previous !== undefined) {
      problems.error(call.yamlPath, `duplicate route ${call.method} ${call.path} (already defined at ${previous})`);
      continue;
    }
    seen.set(key, call.yamlPath);
    const op = resolveCall(call, operations, problems);
    if (op === undefined) continue;
    const used = new Set<string>();
    const declared = new Map<string, ExposedInputModel>();
    const bound = bindInputs(
      call,
      op,
      ['rest', expose.namespace],
      (parameter, name, yamlPath) => {
        const exposed = call.inputParameters.find((i) => i.name === name);
        if (exposed !== undefined) declared.set(parameter.name, exposed);
        const pathParam = findPathParam(parsed.params, name);
        if (pathParam !== undefined && (exposed?.in === undefined || exposed.in === 'path')) {
          if (pathParam !== name) problems.warning(yamlPath, `rest.${name} refers to the path parameter {${pathParam}} of "${call.path}" (names differ only by "-", "_" or ".")`);
          used.add(pathParam);
          return { kind: 'path', name: pathParam };
        }
        if (parameter.in === 'path' && exposed?.in === undefined) {
          problems.error(yamlPath, `path parameter "${parameter.name}" of ${op.key} is bound to rest.${name}, which is not a parameter of the exposed path "${call.path}"`);
          return undefined;
        }
        const location = exposed?.in ?? (parameter.in === 'template' ? 'query' : parameter.in);
        if (location === 'path') {
          problems.error(exposed?.yamlPath ?? yamlPath, `"${name}" is declared in: path but "${call.path}" has no {${name}}`);
          return undefined;
        }
        // An official exposed input `in: body` is one field of the client's JSON body.
        if (location === 'body' && exposed?.value !== undefined) return { kind: 'body-path', name, select: compileSelect(exposed.value) };
        if (location === 'body' && exposed !== undefined) return { kind: 'body-field', name };
        return { kind: location, name: location === 'header' ? name.toLowerCase() : name };
      },
      problems,
    );
    const inputs = bound.map((b) => {
      const exposed = declared.get(b.parameter.name);
      return exposed === undefined ? b : { ...b, parameter: withExposedDeclaration(b.parameter, exposed) };
    });
    for (const name of parsed.params) {
      if (!used.has(name)) problems.error(resourcePath, `path template parameter {${name}} of "${call.path}" is not bound by any with: rest.${name}`);
    }
    routes.push({
      ...callBase(call, op, inputs),
      method: call.method,
      path: call.path,
      pathSegments: parsed.segments,
      resourceName: call.resourceName,
      resourceDescription: call.resourceDescription,
    });
  }
  return { namespace: expose.namespace, port: expose.port, address: expose.address, description: expose.description, routes };
}

export function compileMcp(expose: McpExposeModel, operations: ReadonlyMap<string, CompiledOperation>, problems: ProblemList): CompiledMcpAdapter {
  const tools: CompiledMcpTool[] = [];
  const names = new Set<string>();
  for (const call of expose.tools) {
    if (names.has(call.name)) {
      problems.error(`${call.yamlPath}.name`, `duplicate tool name "${call.name}"`);
      continue;
    }
    names.add(call.name);
    const op = resolveCall(call, operations, problems);
    if (op === undefined) continue;
    const inputs = bindInputs(call, op, ['tools', expose.namespace], (_parameter, name) => ({ kind: 'argument', name }), problems).map((b) => {
      const exposed = b.source.kind === 'argument' ? call.inputParameters.find((i) => i.name === (b.source as { name: string }).name) : undefined;
      return exposed === undefined ? b : { ...b, parameter: withExposedDeclaration(b.parameter, exposed) };
    });
    tools.push({ ...callBase(call, op, inputs), title: call.title });
  }
  return {
    namespace: expose.namespace,
    port: expose.port,
    address: expose.address,
    transport: expose.transport,
    description: expose.description,
    tools,
  };
}
