/**
 * Structural validation of a capability (seed dialect and the official
 * Naftiko shapes it shares): plain YAML value → CapabilityModel, collecting
 * every problem with its YAML path instead of stopping at the first.
 */
import { checkJsonPath, normalizeJsonPath } from '../mapping/jsonpath.js';
import { checkJsonSchema } from './json-schema.js';
import { parseLedgerExtension } from './ledger-extension.js';
import {
  HTTP_METHODS,
  RAW_FORMATS,
  type AuthenticationModel,
  type BindingModel,
  type CapabilityModel,
  type BodyTemplateModel,
  type ConsumedOperationModel,
  type ExposedInputModel,
  type ConsumesModel,
  type ContactModel,
  type ExposeModel,
  type HintsModel,
  type InfoModel,
  type InputParameterModel,
  type JsonSchema,
  type McpToolModel,
  type OperationResilienceModel,
  type OutputParameterModel,
  type ParamLocation,
  type ParamType,
  type RefreshModel,
  type RestOperationModel,
} from './model.js';
import type { ProblemList } from './problems.js';

type Obj = { readonly [key: string]: unknown };

const TOP_LEVEL_KEYS = new Set(['naftiko', 'info', 'binds', 'capability', 'ikanos']);
const PARAM_LOCATIONS: readonly ParamLocation[] = ['path', 'query', 'header', 'body'];
const PARAM_TYPES: readonly ParamType[] = ['string', 'integer', 'number', 'boolean', 'object', 'array'];
const AUTH_TYPES = ['apikey', 'bearer', 'basic', 'none'] as const;
/** `rest.id`, `tools.body`, `my-namespace.user_id`: a reference to an adapter input. */
const REFERENCE = /^([A-Za-z_][A-Za-z0-9_-]*)\.([A-Za-z_][A-Za-z0-9_.-]*)$/;
const EXPOSED_KNOWN_KEYS = new Set(['name', 'description', 'call', 'with', 'outputParameters', 'hints', 'method', 'title', 'label', 'inputParameters']);

function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reader wraps one YAML object with typed getters that record problems at precise paths. */
class Reader {
  constructor(
    readonly value: Obj,
    readonly path: string,
    readonly problems: ProblemList,
  ) {}

  at(key: string): string {
    return `${this.path}.${key}`;
  }

  string(key: string, required: boolean): string | undefined {
    const v = this.value[key];
    if (v === undefined || v === null) {
      if (required) this.problems.error(this.at(key), 'is required');
      return undefined;
    }
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    if (typeof v !== 'string') {
      this.problems.error(this.at(key), `must be a string, got ${describe(v)}`);
      return undefined;
    }
    if (required && v.trim() === '') {
      this.problems.error(this.at(key), 'must not be empty');
      return undefined;
    }
    return v;
  }

  boolean(key: string): boolean | undefined {
    const v = this.value[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') {
      this.problems.error(this.at(key), `must be true or false, got ${describe(v)}`);
      return undefined;
    }
    return v;
  }

  integer(key: string, min: number, max: number, required: boolean): number | undefined {
    const v = this.value[key];
    if (v === undefined || v === null) {
      if (required) this.problems.error(this.at(key), 'is required');
      return undefined;
    }
    const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
      this.problems.error(this.at(key), `must be an integer from ${min} to ${max}, got ${describe(v)}`);
      return undefined;
    }
    return n;
  }

  object(key: string, required: boolean): Reader | undefined {
    const v = this.value[key];
    if (v === undefined || v === null) {
      if (required) this.problems.error(this.at(key), 'is required');
      return undefined;
    }
    if (!isObj(v)) {
      this.problems.error(this.at(key), `must be a mapping, got ${describe(v)}`);
      return undefined;
    }
    return new Reader(v, this.at(key), this.problems);
  }

  /** list returns a Reader per object element; non-objects are reported. */
  list(key: string, required: boolean): Reader[] {
    const v = this.value[key];
    if (v === undefined || v === null) {
      if (required) this.problems.error(this.at(key), 'is required');
      return [];
    }
    if (isObj(v)) return this.namedMap(key, v);
    if (!Array.isArray(v)) {
      this.problems.error(this.at(key), `must be a list, got ${describe(v)}`);
      return [];
    }
    const readers: Reader[] = [];
    v.forEach((item: unknown, i: number) => {
      const path = `${this.at(key)}[${i}]`;
      if (isObj(item)) readers.push(new Reader(item, path, this.problems));
      else this.problems.error(path, `must be a mapping, got ${describe(item)}`);
    });
    return readers;
  }

  /** namedMap reads the keyed form (`resources: { ships: {...} }`) as a list whose `name` is each key. */
  private namedMap(key: string, map: Obj): Reader[] {
    const readers: Reader[] = [];
    for (const [name, item] of Object.entries(map)) {
      const path = `${this.at(key)}.${name}`;
      if (isObj(item)) readers.push(new Reader(item['name'] === undefined ? { name, ...item } : item, path, this.problems));
      else this.problems.error(path, `must be a mapping, got ${describe(item)}`);
    }
    return readers;
  }

  oneOf<T extends string>(key: string, allowed: readonly T[], fallback: T | undefined, normalize?: (s: string) => string): T | undefined {
    const raw = this.string(key, fallback === undefined);
    if (raw === undefined) return fallback;
    const v = normalize === undefined ? raw : normalize(raw);
    if ((allowed as readonly string[]).includes(v)) return v as T;
    this.problems.error(this.at(key), `must be one of ${allowed.join(', ')}, got "${raw}"`);
    return undefined;
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `"${v.length > 40 ? v.slice(0, 40) + '…' : v}"`;
  return `${typeof v} ${String(v)}`;
}

function lower(s: string): string {
  return s.trim().toLowerCase();
}

function upper(s: string): string {
  return s.trim().toUpperCase();
}

function parseInfo(root: Reader): InfoModel {
  const info = root.object('info', false);
  const tags: string[] = [];
  const rawTags = info?.value['tags'];
  if (Array.isArray(rawTags)) for (const t of rawTags) if (typeof t === 'string') tags.push(t);
  return {
    label: info?.string('label', false) ?? info?.string('name', false) ?? 'Naftiko capability',
    description: info?.string('description', false),
    tags,
    version: info?.string('version', false) ?? info?.string('modified', false),
    contact: parseContact(info),
  };
}

function parseContact(info: Reader | undefined): ContactModel | undefined {
  const contact = info?.object('contact', false);
  if (contact === undefined) return undefined;
  return { name: contact.string('name', false), url: contact.string('url', false), email: contact.string('email', false) };
}

/**
 * parseBinds maps each bound variable to the environment variable holding it.
 * The seed binds namespace `env`; the official dialect binds any namespace and
 * may name a `location` (a file or vault), which the gateway reads from the
 * environment instead, with a warning.
 */
function parseBinds(root: Reader, problems: ProblemList): Map<string, string> {
  const binds = new Map<string, string>();
  const capability = root.object('capability', false);
  for (const bind of [...root.list('binds', false), ...(capability?.list('binds', false) ?? [])]) {
    bind.string('namespace', true);
    const location = bind.string('location', false);
    if (location !== undefined) problems.warning(bind.at('location'), `bind locations are not read; each key is read from the environment variable of the same name`);
    const keys = bind.object('keys', false);
    if (keys === undefined) continue;
    for (const [name, target] of Object.entries(keys.value)) {
      if (typeof target === 'string' && target !== '') binds.set(name, location === undefined ? target : name);
      else keys.string(name, true); // reports the bad value
    }
  }
  return binds;
}

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

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}\}/g;

function collectPlaceholders(data: unknown, into: Set<string>): void {
  if (typeof data === 'string') for (const m of data.matchAll(PLACEHOLDER)) into.add(m[1] as string);
  else if (Array.isArray(data)) for (const item of data) collectPlaceholders(item, into);
  else if (isObj(data)) for (const item of Object.values(data)) collectPlaceholders(item, into);
}

/** parseBody reads a consumed operation's `body`: a raw string (JSON by default) or `{ type, data }`. */
function parseBody(r: Reader): BodyTemplateModel | undefined {
  const raw = r.value['body'];
  if (raw === undefined || raw === null) return undefined;
  let kind: 'json' | 'text' = 'json';
  let data: unknown = raw;
  if (isObj(raw)) {
    const body = new Reader(raw, r.at('body'), r.problems);
    const type = body.oneOf('type', ['json', 'text', 'xml'] as const, undefined, lower);
    if (type === undefined) return undefined;
    kind = type === 'json' ? 'json' : 'text';
    data = raw['data'];
    if (data === undefined) {
      body.string('data', true);
      return undefined;
    }
  } else if (typeof raw !== 'string') {
    r.string('body', false); // reports the wrong type
    return undefined;
  }
  const placeholders = new Set<string>();
  collectPlaceholders(data, placeholders);
  return { kind, data, placeholders: [...placeholders], yamlPath: r.at('body') };
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

function parseOutputParameters(r: Reader, problems: ProblemList): OutputParameterModel[] {
  const params = r.list('outputParameters', false).map((p) => parseOutputParameter(p, problems));
  if (params.length > 1) {
    params.forEach((p, i) => {
      if (p.name === undefined) problems.error(`${r.at('outputParameters')}[${i}].name`, 'is required when an operation has several output parameters');
    });
  }
  return params;
}

function parseRefresh(r: Reader, problems: ProblemList): RefreshModel | undefined {
  const path = r.string('path', true);
  const accessToken = parseJsonPathField(r, 'accessToken', true, problems);
  const expiresIn = parseJsonPathField(r, 'expiresIn', false, problems);
  const when = r.oneOf('when', ['jwt-refresh', 'always'] as const, 'jwt-refresh', lower) ?? 'jwt-refresh';
  const fallbackScheme = r.string('fallbackScheme', false) ?? 'Bearer';
  if (!/^[A-Za-z][A-Za-z0-9-]*$/.test(fallbackScheme)) problems.error(r.at('fallbackScheme'), `must be an HTTP auth scheme such as Token or Bearer, got "${fallbackScheme}"`);
  if (path !== undefined && !path.startsWith('/')) problems.error(r.at('path'), `must start with "/", got "${path}"`);
  if (path === undefined || accessToken === undefined) return undefined;
  return { path, requestField: r.string('requestField', false) ?? 'refresh', accessToken, expiresIn, when, fallbackScheme, yamlPath: r.path };
}

function parseJsonPathField(r: Reader, key: string, required: boolean, problems: ProblemList): string | undefined {
  const raw = r.string(key, required);
  if (raw === undefined) return undefined;
  const expression = normalizeJsonPath(raw);
  const error = checkJsonPath(expression);
  if (error === undefined) return expression;
  problems.error(r.at(key), `invalid JSONPath "${raw}": ${error}`);
  return undefined;
}

function parseAuthentication(r: Reader, problems: ProblemList): AuthenticationModel | undefined {
  const type = r.oneOf('type', AUTH_TYPES, undefined, lower);
  if (type === undefined) return undefined;
  const placement = r.oneOf('placement', ['header', 'query'] as const, 'header', lower) ?? 'header';
  const refreshReader = r.object('refresh', false);
  const auth: AuthenticationModel = {
    type,
    key: r.string('key', type === 'apikey'),
    value: r.string('value', false) ?? r.string('token', false),
    valueKey: r.value['value'] === undefined && r.value['token'] !== undefined ? 'token' : 'value',
    placement,
    username: r.string('username', type === 'basic'),
    password: r.string('password', type === 'basic'),
    refresh: refreshReader === undefined ? undefined : parseRefresh(refreshReader, problems),
    yamlPath: r.path,
  };
  if (refreshReader !== undefined && type !== 'bearer') problems.error(refreshReader.path, 'refresh: applies to type: bearer only');
  if ((type === 'apikey' || type === 'bearer') && auth.value === undefined) {
    r.string('value', true);
  }
  return auth;
}

function parseInputParameters(r: Reader, problems: ProblemList): InputParameterModel[] {
  const params: InputParameterModel[] = [];
  for (const p of r.list('inputParameters', false)) {
    const param = parseInputParameter(p, problems);
    if (param !== undefined) params.push(param);
  }
  return params;
}

/** mergeParameters lets an operation's parameters override its resource's and consumes' of the same name and place. */
function mergeParameters(outer: readonly InputParameterModel[], inner: readonly InputParameterModel[]): InputParameterModel[] {
  const merged = outer.filter((o) => !inner.some((i) => i.name === o.name && i.in === o.in));
  return [...merged, ...inner];
}

function parseConsumes(r: Reader, problems: ProblemList): ConsumesModel | undefined {
  if (r.value['import'] !== undefined || r.value['location'] !== undefined) {
    problems.error(r.path, `imported consumes (import: ${String(r.value['import'])}, location: ${String(r.value['location'])}) are not supported; inline the consumes entry`);
    return undefined;
  }
  const type = r.oneOf('type', ['http'] as const, undefined, lower);
  const namespace = r.string('namespace', true);
  const baseUri = r.string('baseUri', true);
  const authReader = r.object('authentication', false);
  const operations: ConsumedOperationModel[] = [];
  const shared = parseInputParameters(r, problems);
  for (const resource of r.list('resources', true)) {
    const resourceName = resource.string('name', false) ?? resource.path;
    let path = resource.string('path', true);
    if (path !== undefined && !path.startsWith('/')) {
      problems.warning(resource.at('path'), `consumed path "${path}" does not start with "/"; using "/${path}"`);
      path = `/${path}`;
    }
    const resourceShared = mergeParameters(shared, parseInputParameters(resource, problems));
    for (const op of resource.list('operations', true)) {
      const name = op.string('name', true);
      const method = op.oneOf('method', HTTP_METHODS, 'GET', upper);
      const body = parseBody(op);
      const inputParameters = mergeParameters(resourceShared, parseInputParameters(op, problems));
      for (const placeholder of body?.placeholders ?? []) {
        if (inputParameters.some((p) => p.name === placeholder)) continue;
        inputParameters.push({ name: placeholder, in: 'template', type: 'string', required: false, description: undefined, schema: undefined, value: undefined, yamlPath: body?.yamlPath ?? op.path });
      }
      const outputParameters = parseOutputParameters(op, problems);
      const outputRawFormat = op.oneOf('outputRawFormat', RAW_FORMATS, 'json', lower) ?? 'json';
      const timeoutMs = op.integer('timeoutMs', 1, 3_600_000, false);
      const resilience = parseResilience(op);
      if (name === undefined || method === undefined || path === undefined) continue;
      operations.push({
        name,
        method,
        description: op.string('description', false),
        path,
        resourceName,
        inputParameters,
        outputParameters,
        outputRawFormat: lower(outputRawFormat),
        timeoutMs,
        resilience,
        body,
        ledger: parseLedgerExtension(op.value, op.path, problems),
        yamlPath: op.path,
      });
    }
  }
  if (type === undefined || namespace === undefined || baseUri === undefined) return undefined;
  return {
    namespace,
    type,
    baseUri,
    description: r.string('description', false),
    authentication: authReader === undefined ? undefined : parseAuthentication(authReader, problems),
    operations,
    yamlPath: r.path,
  };
}

function parseResilience(op: Reader): OperationResilienceModel | undefined {
  const r = op.object('x-resilience', false);
  if (r === undefined) return undefined;
  return {
    retries: r.integer('retries', 0, 10, false),
    retryBaseMs: r.integer('retryBaseMs', 1, 600_000, false),
    minSpacingMs: r.integer('minSpacingMs', 0, 3_600_000, false),
  };
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

function parseExpose(r: Reader, problems: ProblemList): ExposeModel | undefined {
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

/** parseCapability validates the structure of a capability document. */
export function parseCapability(file: string, value: unknown, problems: ProblemList): CapabilityModel | undefined {
  if (!isObj(value)) {
    problems.error('(root)', `a capability must be a YAML mapping, got ${describe(value)}`);
    return undefined;
  }
  const root = new RootReader(value, problems);
  for (const key of Object.keys(value)) {
    if (!TOP_LEVEL_KEYS.has(key)) problems.warning(key, 'unknown top-level key (ignored)');
  }
  const naftiko = root.string('naftiko', true) ?? '';
  const capability = root.object('capability', true);
  if (capability === undefined) return undefined;
  const consumes: ConsumesModel[] = [];
  for (const c of capability.list('consumes', true)) {
    const parsed = parseConsumes(c, problems);
    if (parsed !== undefined) consumes.push(parsed);
  }
  const exposes: ExposeModel[] = [];
  for (const e of capability.list('exposes', true)) {
    const parsed = parseExpose(e, problems);
    if (parsed !== undefined) exposes.push(parsed);
  }
  return { file, naftiko, info: parseInfo(root), envBinds: parseBinds(root, problems), consumes, exposes };
}

/** RootReader reports top-level keys without a leading dot. */
class RootReader extends Reader {
  constructor(value: Obj, problems: ProblemList) {
    super(value, '', problems);
  }

  override at(key: string): string {
    return key;
  }
}
