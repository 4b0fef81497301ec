/** Parsing `consumes` entries: base URI, authentication, operations, bodies and resilience overrides. */
import { parseAuditExtension } from './audit-extension.js';
import { parseLedgerExtension } from './ledger-extension.js';
import { HTTP_METHODS, RAW_FORMATS, type AuthenticationModel, type BodyTemplateModel, type ConsumedOperationModel, type ConsumesModel, type OperationResilienceModel, type RefreshModel } from './model.js';
import type { ProblemList } from './problems.js';
import { mergeParameters, parseInputParameters, parseJsonPathField, parseOutputParameters } from './parse-parameters.js';
import { Reader, isObj, lower, upper } from './reader.js';

const AUTH_TYPES = ['apikey', 'bearer', 'basic', 'none'] as const;

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

export function parseConsumes(r: Reader, problems: ProblemList): ConsumesModel | undefined {
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
        audit: parseAuditExtension(op.value, op.path, problems),
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
