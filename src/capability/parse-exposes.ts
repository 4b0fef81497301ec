/** Parsing `exposes` entries: REST resources and operations, MCP tools, their `with` bindings and hints. */
import { HTTP_METHODS, type BindingModel, type ExposedInputModel, type ExposeModel, type HintsModel, type McpToolModel, type RestOperationModel } from './model.js';
import type { ProblemList } from './problems.js';
import { PARAM_TYPES, parseJsonPathField, parseOutputParameters } from './parse-parameters.js';
import { Reader, lower, upper } from './reader.js';

/** `rest.id`, `tools.body`, `my-namespace.user_id`: a reference to an adapter input. */
const REFERENCE = /^([A-Za-z_][A-Za-z0-9_-]*)\.([A-Za-z_][A-Za-z0-9_.-]*)$/;

const EXPOSED_KNOWN_KEYS = new Set(['name', 'description', 'call', 'with', 'outputParameters', 'hints', 'method', 'title', 'label', 'inputParameters']);

const EXPOSED_LOCATIONS = ['path', 'query', 'header', 'body'] as const;

function parseExposedInputs(r: Reader): ExposedInputModel[] {
  const inputs: ExposedInputModel[] = [];
  for (const p of r.list('inputParameters', false)) {
    const name = p.string('name', true);
    const location = p.value['in'] === undefined ? undefined : p.oneOf('in', EXPOSED_LOCATIONS, undefined, lower);
    const type = p.oneOf('type', PARAM_TYPES, 'string', lower) ?? 'string';
    const value = location === 'body' && typeof p.value['value'] === 'string' && p.value['value'].trim().startsWith('$') ? parseJsonPathField(p, 'value', false, r.problems) : undefined;
    if (name === undefined) continue;
    inputs.push({ name, in: location, type, required: p.boolean('required'), description: p.string('description', false), value, yamlPath: p.path });
  }
  return inputs;
}

function parseWith(r: Reader): Map<string, BindingModel> {
  const bindings = new Map<string, BindingModel>();
  const w = r.object('with', false);
  if (w === undefined) return bindings;
  for (const [key, value] of Object.entries(w.value)) {
    const yamlPath = w.at(key);
    if (typeof value === 'string' && REFERENCE.test(value.trim())) {
      bindings.set(key, { kind: 'ref', source: value.trim(), yamlPath });
    } else {
      bindings.set(key, { kind: 'const', value, yamlPath });
    }
  }
  return bindings;
}

function parseHints(r: Reader): HintsModel {
  const h = r.object('hints', false);
  return {
    readOnly: h?.boolean('readOnly'),
    destructive: h?.boolean('destructive'),
    idempotent: h?.boolean('idempotent'),
    openWorld: h?.boolean('openWorld'),
  };
}

function extensionsOf(r: Reader): Record<string, unknown> {
  const ext: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(r.value)) if (!EXPOSED_KNOWN_KEYS.has(key)) ext[key] = value;
  return ext;
}

function parseExposedCall(r: Reader, problems: ProblemList, nameRequired: boolean) {
  return {
    name: r.string('name', nameRequired) ?? '',
    description: r.string('description', false),
    call: r.string('call', true) ?? '',
    with: parseWith(r),
    outputParameters: parseOutputParameters(r, problems),
    inputParameters: parseExposedInputs(r),
    hints: parseHints(r),
    extensions: extensionsOf(r),
    yamlPath: r.path,
  };
}

/** Official exposes types the gateway does not serve: loaded with a warning, not an error. */
const UNSERVED_EXPOSES = new Set(['skill', 'control']);

export function parseExpose(r: Reader, problems: ProblemList): ExposeModel | undefined {
  const rawType = r.value['type'];
  if (typeof rawType === 'string' && UNSERVED_EXPOSES.has(rawType.trim().toLowerCase())) {
    problems.warning(r.at('type'), `exposes type "${rawType}" is not served by naftiko-gateway (ignored)`);
    return undefined;
  }
  const type = r.oneOf('type', ['rest', 'mcp'] as const, undefined, lower);
  const namespace = r.string('namespace', false) ?? type ?? '';
  const transport = r.oneOf('transport', ['http', 'stdio'] as const, 'http', lower) ?? 'http';
  const port = r.integer('port', 0, 65535, type === 'rest' || (type === 'mcp' && transport === 'http'));
  const address = r.string('address', false);
  const description = r.string('description', false);
  if (type === 'rest') {
    const operations: RestOperationModel[] = [];
    for (const resource of r.list('resources', true)) {
      const path = resource.string('path', true);
      const resourceName = resource.string('name', false) ?? '';
      const resourceDescription = resource.string('description', false);
      const resourceInputs = parseExposedInputs(resource);
      for (const op of resource.list('operations', true)) {
        const method = op.oneOf('method', HTTP_METHODS, 'GET', upper);
        const call = parseExposedCall(op, problems, false);
        if (path === undefined || method === undefined) continue;
        const inputParameters = [...resourceInputs.filter((i) => !call.inputParameters.some((c) => c.name === i.name)), ...call.inputParameters];
        operations.push({ ...call, inputParameters, method, path, resourceName, resourceDescription });
      }
    }
    return { type, namespace, port: port ?? 0, address, description, operations, yamlPath: r.path };
  }
  if (type === 'mcp') {
    const tools: McpToolModel[] = r.list('tools', true).map((t) => ({
      ...parseExposedCall(t, problems, true),
      title: t.string('title', false),
    }));
    return { type, namespace, port: port ?? 0, address, transport, description, tools, yamlPath: r.path };
  }
  return undefined;
}
