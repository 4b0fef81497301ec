/**
 * Linking and compiling a parsed capability: resolve `call` and `with`
 * references, `{{env.X}}` placeholders and base URI overrides, check path
 * templates and routes, and build the frozen route tables adapters serve.
 */
import { compileBody } from './body-template.js';
import { compileSelect } from '../mapping/jsonpath.js';
import { compileOutput } from '../mapping/output.js';
import { compileLedgerExtension } from './ledger-extension.js';
import type {
  AuthenticationModel,
  BindingModel,
  CapabilityModel,
  ConsumedOperationModel,
  ConsumesModel,
  ExposedCallModel,
  ExposedInputModel,
  HintsModel,
  HttpMethod,
  InputParameterModel,
  McpExposeModel,
  RefreshModel,
  RestExposeModel,
} from './model.js';
import type {
  CompiledAuth,
  CompiledCall,
  CompiledCapability,
  CompiledMcpAdapter,
  CompiledMcpTool,
  CompiledOperation,
  CompiledRestAdapter,
  CompiledRestRoute,
  CompiledUpstream,
  InputBinding,
  InputSource,
} from './compiled.js';
import type { ProblemList } from './problems.js';
import { parsePathTemplate, parseValueTemplate, type PathSegment, type TemplatePart } from './templates.js';

/** CompileOptions are the runtime inputs of compilation. */
export interface CompileOptions {
  /** Process environment for `{{env.X}}`. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Base URI overrides by consumes namespace (`*` applies to every upstream). */
  readonly baseUris?: Readonly<Record<string, string>>;
  /** `check` reports unset environment variables as warnings instead of errors. */
  readonly mode: 'serve' | 'check';
}

const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

type Hints = Required<{ [K in keyof HintsModel]: boolean }>;

/** resolveTemplate fills `{{env.X}}` placeholders; unset variables are reported. */
function resolveTemplate(
  text: string,
  yamlPath: string,
  model: CapabilityModel,
  options: CompileOptions,
  problems: ProblemList,
): string | undefined {
  const parsed = parseValueTemplate(text);
  if (!parsed.ok) {
    problems.error(yamlPath, parsed.reason);
    return undefined;
  }
  let out = '';
  let missing = false;
  for (const part of parsed.parts as TemplatePart[]) {
    if (typeof part === 'string') {
      out += part;
      continue;
    }
    // `{{env.X}}` (seed) and `{{X}}` (official, a variable declared in binds) both read the environment.
    const shown = part.namespace === '' ? `{{${part.name}}}` : `{{${part.namespace}.${part.name}}}`;
    if (part.namespace !== 'env' && part.namespace !== '') {
      problems.error(yamlPath, `unknown placeholder namespace "${part.namespace}" in ${shown} (use {{env.NAME}} or a binds variable {{NAME}})`);
      missing = true;
      continue;
    }
    const variable = model.envBinds.get(part.name);
    if (variable === undefined) {
      problems.warning(yamlPath, `${shown} is not declared in binds; reading environment variable ${part.name}`);
    }
    const name = variable ?? part.name;
    const value = options.env[name];
    if (value === undefined || value === '') {
      const message = `environment variable ${name} is not set (needed by ${shown})`;
      if (options.mode === 'serve') problems.error(yamlPath, message);
      else problems.warning(yamlPath, message);
      missing = true;
      continue;
    }
    out += value;
  }
  return missing ? undefined : out;
}

function compileAuth(
  auth: AuthenticationModel | undefined,
  model: CapabilityModel,
  options: CompileOptions,
  problems: ProblemList,
): CompiledAuth {
  const none: CompiledAuth = {
    type: 'none',
    headerName: undefined,
    headerValue: undefined,
    refresh: undefined,
    queryName: undefined,
    queryValue: undefined,
    parameterName: undefined,
    secrets: [],
  };
  if (auth === undefined || auth.type === 'none') return none;
  const resolve = (text: string | undefined, key: string): string | undefined =>
    text === undefined ? undefined : resolveTemplate(text, `${auth.yamlPath}.${key}`, model, options, problems);
  let headerName = 'authorization';
  let value: string | undefined;
  if (auth.type === 'apikey') {
    value = resolve(auth.value, auth.valueKey);
    headerName = (auth.key ?? 'authorization').toLowerCase();
  } else if (auth.type === 'bearer') {
    const token = resolve(auth.value, auth.valueKey);
    if (auth.refresh !== undefined && token !== undefined) return compileRefresh(auth, auth.refresh, token, problems);
    value = token === undefined ? undefined : hasScheme(token) ? token : `Bearer ${token}`;
  } else {
    const user = resolve(auth.username, 'username');
    const password = resolve(auth.password, 'password');
    value = user === undefined || password === undefined ? undefined : `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  }
  if (value !== undefined && CONTROL_CHARS.test(value)) {
    problems.error(`${auth.yamlPath}.value`, 'the resolved credential contains control characters (CR, LF or NUL)');
    value = undefined;
  }
  const secrets = value === undefined ? [] : [value, ...secretParts(value)];
  const inQuery = auth.type === 'apikey' && auth.placement === 'query';
  return {
    type: auth.type,
    headerName: inQuery ? undefined : headerName,
    headerValue: inQuery ? undefined : value,
    refresh: undefined,
    queryName: inQuery ? auth.key : undefined,
    queryValue: inQuery ? value : undefined,
    parameterName: (auth.type === 'apikey' ? (auth.key ?? 'authorization') : 'authorization').toLowerCase(),
    secrets,
  };
}

/** hasScheme says whether a credential already reads `Scheme value` (`Token abc`, `Bearer eyJ…`). */
export function hasScheme(value: string): boolean {
  return /^[A-Za-z][A-Za-z0-9-]*\s+\S/.test(value);
}

function compileRefresh(auth: AuthenticationModel, refresh: RefreshModel, credential: string, problems: ProblemList): CompiledAuth {
  if (CONTROL_CHARS.test(credential)) {
    problems.error(`${auth.yamlPath}.${auth.valueKey}`, 'the resolved credential contains control characters (CR, LF or NUL)');
  }
  return {
    type: 'bearer',
    headerName: 'authorization',
    headerValue: undefined,
    refresh: {
      path: refresh.path,
      requestField: refresh.requestField,
      accessToken: refresh.accessToken,
      expiresIn: refresh.expiresIn,
      when: refresh.when,
      fallbackScheme: refresh.fallbackScheme,
      credential,
    },
    queryName: undefined,
    queryValue: undefined,
    parameterName: 'authorization',
    secrets: [credential, `${refresh.fallbackScheme} ${credential}`, `Bearer ${credential}`],
  };
}

/** The raw key inside `Token <key>` is as secret as the whole header. */
function secretParts(value: string): string[] {
  const space = value.indexOf(' ');
  return space > 0 && space < value.length - 1 ? [value.slice(space + 1)] : [];
}

function compileBaseUri(
  consumes: ConsumesModel,
  model: CapabilityModel,
  options: CompileOptions,
  problems: ProblemList,
): { origin: string; basePath: string } | undefined {
  const override = options.baseUris?.[consumes.namespace] ?? options.baseUris?.['*'];
  const yamlPath = `${consumes.yamlPath}.baseUri`;
  const raw = override ?? consumes.baseUri;
  const resolved = resolveTemplate(raw, yamlPath, model, options, problems);
  if (resolved === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(resolved);
  } catch {
    problems.error(yamlPath, `"${resolved}" is not an absolute URL${override === undefined ? '' : ' (from the base URI override)'}`);
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    problems.error(yamlPath, `base URI must be http or https, got ${url.protocol}`);
    return undefined;
  }
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    problems.error(yamlPath, 'base URI must not carry a query, fragment or user info');
    return undefined;
  }
  return { origin: url.origin, basePath: url.pathname.replace(/\/+$/, '') };
}

function compileConsumedPath(op: ConsumedOperationModel, problems: ProblemList): PathSegment[] | undefined {
  const parsed = parsePathTemplate(op.path);
  const yamlPath = op.yamlPath.replace(/\.operations\[\d+\]$/, '.path');
  if (!parsed.ok) {
    problems.error(yamlPath, parsed.reason);
    return undefined;
  }
  const declared = new Set(op.inputParameters.filter((p) => p.in === 'path').map((p) => p.name));
  for (const name of parsed.params) {
    if (!declared.has(name)) {
      problems.error(yamlPath, `path parameter {${name}} has no inputParameter with in: path in ${op.yamlPath}`);
    }
  }
  for (const p of op.inputParameters) {
    if (p.in === 'path' && !parsed.params.includes(p.name)) {
      problems.error(p.yamlPath, `path parameter "${p.name}" does not appear in the path "${op.path}"`);
    }
  }
  return parsed.segments.slice();
}

function methodHints(method: HttpMethod): Hints {
  return {
    readOnly: method === 'GET',
    destructive: method === 'DELETE',
    idempotent: method === 'GET' || method === 'PUT' || method === 'DELETE',
    openWorld: true,
  };
}

function mergeHints(base: Hints, hints: HintsModel): Hints {
  return {
    readOnly: hints.readOnly ?? base.readOnly,
    destructive: hints.destructive ?? base.destructive,
    idempotent: hints.idempotent ?? base.idempotent,
    openWorld: hints.openWorld ?? base.openWorld,
  };
}

/** Hints declared on any exposure of an operation apply to the operation (MCP tools carry them in the seed). */
function declaredHints(model: CapabilityModel, key: string): HintsModel {
  const merged: { -readonly [K in keyof HintsModel]: HintsModel[K] } = {
    readOnly: undefined,
    destructive: undefined,
    idempotent: undefined,
    openWorld: undefined,
  };
  for (const expose of model.exposes) {
    const calls: readonly ExposedCallModel[] = expose.type === 'rest' ? expose.operations : expose.tools;
    for (const call of calls) {
      if (call.call !== key) continue;
      merged.readOnly ??= call.hints.readOnly;
      merged.destructive ??= call.hints.destructive;
      merged.idempotent ??= call.hints.idempotent;
      merged.openWorld ??= call.hints.openWorld;
    }
  }
  return merged;
}

function compileConsumes(
  model: CapabilityModel,
  options: CompileOptions,
  problems: ProblemList,
  upstreams: CompiledUpstream[],
  operations: Map<string, CompiledOperation>,
): void {
  const namespaces = new Set<string>();
  model.consumes.forEach((consumes) => {
    if (namespaces.has(consumes.namespace)) {
      problems.error(`${consumes.yamlPath}.namespace`, `duplicate consumes namespace "${consumes.namespace}"`);
    }
    namespaces.add(consumes.namespace);
    const base = compileBaseUri(consumes, model, options, problems);
    const auth = compileAuth(consumes.authentication, model, options, problems);
    const upstream: CompiledUpstream = {
      namespace: consumes.namespace,
      origin: base?.origin ?? 'http://invalid.invalid',
      basePath: base?.basePath ?? '',
      auth,
    };
    upstreams.push(upstream);
    for (const op of consumes.operations) {
      const key = `${consumes.namespace}.${op.name}`;
      if (operations.has(key)) {
        problems.error(`${op.yamlPath}.name`, `duplicate operation name "${op.name}" in namespace "${consumes.namespace}"`);
        continue;
      }
      const pathSegments = compileConsumedPath(op, problems) ?? [];
      const bodies = op.inputParameters.filter((p) => p.in === 'body');
      if (bodies.length > 1) problems.error(op.yamlPath, 'an operation takes at most one body parameter');
      const parameters = op.inputParameters.filter((p) => !isCredentialParameter(p, auth));
      const fixedValues = new Map<string, string>();
      for (const p of parameters) {
        if (p.value === undefined) continue;
        const resolved = resolveTemplate(p.value, `${p.yamlPath}.value`, model, options, problems);
        if (resolved !== undefined) fixedValues.set(p.name, resolved);
      }
      operations.set(key, {
        key,
        name: op.name,
        upstream,
        method: op.method,
        path: op.path,
        pathSegments,
        description: op.description,
        parameters,
        outputRawFormat: op.outputRawFormat,
        outputParameters: op.outputParameters,
        timeoutMs: op.timeoutMs,
        resilience: op.resilience,
        body: op.body === undefined ? undefined : compileBody(op.body),
        fixedValues,
        hints: mergeHints(methodHints(op.method), declaredHints(model, key)),
        ledger: compileLedgerExtension(op.ledger, parameters, problems),
      });
    }
  });
}

/** The seed declares the credential as a required header input; the gateway supplies it instead. */
function isCredentialParameter(p: InputParameterModel, auth: CompiledAuth): boolean {
  if (auth.type === 'none' || auth.parameterName === undefined) return false;
  const placement = auth.queryName === undefined ? 'header' : 'query';
  return p.in === placement && p.name.toLowerCase() === auth.parameterName;
}

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
  return {
    name: call.name,
    description: call.description ?? op.description,
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

/**
 * routerSafeNames maps path parameter names to names find-my-way can route:
 * it ends a parameter at `-` or `.`, so `{project-pk}` is served as `:project_pk`.
 */
function routerSafeNames(params: readonly string[]): Map<string, string> {
  const names = new Map<string, string>();
  const taken = new Set<string>();
  for (const p of params) {
    const base = p.replace(/[^A-Za-z0-9_]/g, '_');
    let candidate = base;
    for (let n = 2; taken.has(candidate); n++) candidate = `${base}_${n}`;
    taken.add(candidate);
    names.set(p, candidate);
  }
  return names;
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

/** toRouterPath turns `/v1/x/{id}` into `/v1/x/:id`. */
function toRouterPath(segments: readonly PathSegment[]): string {
  let url = '';
  for (const s of segments) url += 'literal' in s ? s.literal : `:${s.param}`;
  return url;
}

/** routeKey identifies a route for duplicate detection: params and a trailing slash do not count. */
function routeKey(method: string, segments: readonly PathSegment[]): string {
  let key = '';
  for (const s of segments) key += 'literal' in s ? s.literal : '{}';
  return `${method} ${key.length > 1 ? key.replace(/\/+$/, '') : key}`;
}

/** camelCase turns `get-organization-settings` into `getOrganizationSettings`. */
export function camelCase(text: string): string {
  const words = text.split(/[^A-Za-z0-9]+/).filter((w) => w !== '');
  return words
    .map((w, i) => (i === 0 ? w.charAt(0).toLowerCase() + w.slice(1) : w.charAt(0).toUpperCase() + w.slice(1)))
    .join('');
}

function operationIdFor(model: CapabilityModel, op: CompiledOperation, method: string, name: string, taken: Set<string>): string {
  let base: string | undefined;
  for (const expose of model.exposes) {
    if (expose.type !== 'mcp') continue;
    const tool = expose.tools.find((t) => t.call === op.key);
    if (tool !== undefined) base = camelCase(tool.name);
  }
  base ??= camelCase(`${method.toLowerCase()}-${name}`);
  let id = base;
  for (let n = 2; taken.has(id); n++) id = `${base}${n}`;
  taken.add(id);
  return id;
}

function compileRest(
  expose: RestExposeModel,
  model: CapabilityModel,
  operations: ReadonlyMap<string, CompiledOperation>,
  problems: ProblemList,
): CompiledRestAdapter {
  const routes: CompiledRestRoute[] = [];
  const seen = new Map<string, string>();
  const operationIds = new Set<string>();
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
    const safe = routerSafeNames(parsed.params);
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
          return { kind: 'path', name: safe.get(pathParam) ?? pathParam };
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
    const routerSegments = parsed.segments.map((seg) => ('param' in seg ? { param: safe.get(seg.param) ?? seg.param } : seg));
    routes.push({
      ...callBase(call, op, inputs),
      method: call.method,
      path: call.path,
      url: toRouterPath(routerSegments),
      operationId: operationIdFor(model, op, call.method, call.name || call.resourceName, operationIds),
      resourceName: call.resourceName,
      resourceDescription: call.resourceDescription,
    });
  }
  return { namespace: expose.namespace, port: expose.port, address: expose.address, description: expose.description, routes };
}

function compileMcp(expose: McpExposeModel, operations: ReadonlyMap<string, CompiledOperation>, problems: ProblemList): CompiledMcpAdapter {
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
    tools.push({ ...callBase(call, op, inputs), title: call.title, hints: mergeHints(methodHints(op.method), call.hints) });
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

/** compileCapability links and compiles a parsed capability; problems are added to `problems`. */
export function compileCapability(model: CapabilityModel, options: CompileOptions, problems: ProblemList): CompiledCapability {
  const upstreams: CompiledUpstream[] = [];
  const operations = new Map<string, CompiledOperation>();
  compileConsumes(model, options, problems, upstreams, operations);
  const rest: CompiledRestAdapter[] = [];
  const mcp: CompiledMcpAdapter[] = [];
  for (const expose of model.exposes) {
    if (expose.type === 'rest') rest.push(compileRest(expose, model, operations, problems));
    else mcp.push(compileMcp(expose, operations, problems));
  }
  if (model.exposes.length === 0) problems.error('capability.exposes', 'at least one rest or mcp adapter is required');
  const secrets = upstreams.flatMap((u) => u.auth.secrets);
  return { file: model.file, model, upstreams, operations, rest, mcp, secrets };
}
