/**
 * The OpenAPI 3.1 document of the REST adapter, built from the compiled
 * routes (a plain list, so routes of several adapters can share one
 * document): every parameter, body and response the gateway really serves,
 * including every status it can answer and the headers it sends.
 */
import type { InfoModel, JsonSchema } from '../../capability/model.js';
import { bodyInput, objectSchemaOf, parameterSchema } from '../input-schema.js';
import { outputSchema } from '../output-schema.js';
import { errorResponse, HEADER_NAMES, HEADERS, headerRef, JSON_MEDIA, PROBLEM_MEDIA, schemaRef, SCHEMAS, SECURITY_SCHEMES, UPSTREAM_PAGES } from './openapi-components.js';
import { exampleOf } from './openapi-examples.js';
import type { RestRoute } from './route-table.js';
import { plainText } from '../../capability/plain-text.js';
import { PREFER_PARAMETER, scheduledResponse, scheduleOperations } from './schedule-openapi.js';

/** OPENAPI_VERSION is the version of the generated document. */
export const OPENAPI_VERSION = '3.1.0';

/** OpenApiDocument is a document as plain JSON. */
export type OpenApiDocument = Record<string, unknown> & { openapi: string; servers: { url: string; description?: string }[]; paths: Record<string, Record<string, JsonSchema>> };

/** OpenApiOptions are what the document depends on besides the routes. */
export interface OpenApiOptions {
  /** Inbound keys are on: the gateway key's security schemes are declared. */
  readonly authenticated: boolean;
  /** The ledger is on: its route is served and seat guards are active. */
  readonly ledger: boolean;
  /** The inbound rate limit is on: RateLimit-* headers are sent. */
  readonly rateLimited: boolean;
  /** An absolute URL where the gateway is reached, listed after the relative `/`. */
  readonly serverUrl?: string | undefined;
}

/** LedgerDocumentation is what the ledger route contributes (kept in ledger-route.ts, next to the route). */
export interface LedgerDocumentation {
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly description: string;
  readonly query: JsonSchema;
  readonly page: JsonSchema;
}

const COMMON_ERRORS = ['400', '401', '403', '404', '408', '414', '429', '431', '500', '502', '503', '504'];
const BODY_ERRORS = ['413', '415'];
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** successStatus is the status documented for success: Naftiko declares none, so POST creates (201) and the rest answer 200. */
function successStatus(route: RestRoute): string {
  return route.method === 'POST' ? '201' : '200';
}

/** OpenAPI keeps `description` on the parameter; the schema keeps the constraints. */
function parametersOf(route: RestRoute): JsonSchema[] {
  const out: JsonSchema[] = [];
  for (const kind of ['path', 'query', 'header'] as const) {
    const schema = objectSchemaOf(route.inputs, kind);
    if (schema === undefined) continue;
    const required = new Set(schema.required ?? []);
    for (const [name, property] of Object.entries(schema.properties)) {
      const { description, ...rest } = property;
      const parameter: JsonSchema = { name, in: kind, required: kind === 'path' || required.has(name), schema: rest };
      if (typeof description === 'string') parameter['description'] = description;
      const example = exampleOf(rest);
      if (example !== undefined) parameter['example'] = example;
      out.push(parameter);
    }
  }
  return out;
}

function requestBodyOf(route: RestRoute): JsonSchema | undefined {
  const body = bodyInput(route.inputs);
  const fields = objectSchemaOf(route.inputs, 'body-field');
  let schema: JsonSchema | undefined;
  let required = false;
  if (body !== undefined) {
    schema = parameterSchema(body.parameter);
    required = body.parameter.required;
  } else if (fields !== undefined) {
    schema = fields;
    required = (fields.required ?? []).length > 0;
  } else if (route.inputs.some((i) => i.source.kind === 'body-path')) {
    schema = { type: 'object' };
  }
  if (schema === undefined) return undefined;
  const media: JsonSchema = { schema };
  const example = exampleOf(schema);
  if (example !== undefined) media['example'] = example;
  return { required, content: { [JSON_MEDIA]: media } };
}

function successHeaders(options: OpenApiOptions, extra: readonly string[] = []): Record<string, JsonSchema> {
  const names = ['XRequestId', ...(options.rateLimited ? ['RateLimitLimit', 'RateLimitRemaining', 'RateLimitReset'] : []), ...extra];
  return Object.fromEntries(names.map((n) => [HEADER_NAMES[n] ?? n, headerRef(n)]));
}

/** errorResponses lists every status the gateway may answer for the route besides success. */
function errorResponses(statuses: readonly string[], options: OpenApiOptions): Record<string, JsonSchema> {
  const out: Record<string, JsonSchema> = {};
  for (const status of statuses) {
    const response = errorResponse(status, status === '409' ? schemaRef('SeatGuardConflict') : schemaRef('Problem'));
    if (status === '429' && options.rateLimited) Object.assign(response['headers'] as JsonSchema, successHeaders(options));
    if (status === '409') response['description'] = 'The seat-rotation guard refused the role change (problem with allowedAt), or the upstream reported a conflict.';
    if (status === '409') Object.assign(response['headers'] as JsonSchema, { 'retry-after': headerRef('RetryAfter') });
    out[status] = response;
  }
  out['default'] = {
    description: 'Any other status the upstream answers, passed through with its body.',
    headers: { 'x-request-id': headerRef('XRequestId') },
    content: { [JSON_MEDIA]: { schema: schemaRef('UpstreamError') }, ...UPSTREAM_PAGES },
  };
  return out;
}

function seatGuardOf(route: RestRoute, options: OpenApiOptions) {
  return options.ledger ? route.operation.ledger?.seatGuard : undefined;
}

function operationOf(route: RestRoute, options: OpenApiOptions): JsonSchema {
  const summary = (route.description === undefined ? plainText(route.name) : route.summary) ?? route.operationId;
  const guard = seatGuardOf(route, options);
  const parameters = parametersOf(route);
  const notes: string[] = [`${summary}.`];
  if (options.authenticated) notes.push(`Needs a gateway key with the \`${route.operation.hints.readOnly ? 'read' : 'write'}\` scope.`);
  if (guard !== undefined) {
    notes.push(`Seat-rotation guard (${guard.policy}): a seat stays with a user for at least the minimum period; an early change is refused with 409 unless \`${guard.overrideHeader}\` gives a reason.`);
    parameters.push({
      name: guard.overrideHeader,
      in: 'header',
      required: false,
      description: 'Why the seat-rotation guard should let this change through; recorded in the ledger.',
      schema: { type: 'string', minLength: 1, maxLength: 512 },
      example: 'contract ended early',
    });
    if (guard.policy === 'enforce') parameters.push(PREFER_PARAMETER);
  }
  const success = outputSchema(route);
  const successMedia: JsonSchema = { schema: success };
  const example = exampleOf(success);
  if (example !== undefined) successMedia['example'] = example;
  const statuses = [...COMMON_ERRORS, ...(BODY_METHODS.has(route.method) ? BODY_ERRORS : []), ...(guard !== undefined ? ['409'] : [])].sort();
  const operation: JsonSchema = {
    operationId: route.operationId,
    summary,
    description: notes.join(' '),
    tags: [route.resourceName || route.operationId],
  };
  if (parameters.length > 0) operation['parameters'] = parameters;
  const body = requestBodyOf(route);
  if (body !== undefined) operation['requestBody'] = body;
  operation['responses'] = {
    [successStatus(route)]: {
      description: 'The upstream response, mapped by the capability.',
      headers: successHeaders(options, guard?.policy === 'warn' ? ['Warning'] : []),
      content: { [JSON_MEDIA]: successMedia },
    },
    ...(guard?.policy === 'enforce' ? { '202': scheduledResponse() } : {}),
    ...errorResponses(statuses, options),
  };
  return operation;
}

/** headOf is the HEAD twin of a GET operation: the same answers, headers only. */
function headOf(get: JsonSchema): JsonSchema {
  const responses: Record<string, JsonSchema> = {};
  for (const [status, response] of Object.entries(get['responses'] as Record<string, JsonSchema>)) {
    const { content: _content, ...rest } = response;
    responses[status] = rest;
  }
  return {
    ...get,
    operationId: `${String(get['operationId'])}Head`,
    summary: `${String(get['summary'])} (headers only)`,
    description: `The headers of GET, without a body. ${String(get['description'])}`,
    responses,
  };
}

function ledgerOperation(ledger: LedgerDocumentation, options: OpenApiOptions): JsonSchema {
  const properties = (ledger.query['properties'] ?? {}) as Record<string, JsonSchema>;
  const parameters = Object.entries(properties).map(([name, schema]) => {
    const { description, ...rest } = schema;
    const parameter: JsonSchema = { name, in: 'query', required: false, schema: rest };
    if (typeof description === 'string') parameter['description'] = description;
    return parameter;
  });
  parameters.push({ name: 'accept', in: 'header', required: false, description: '`text/csv` answers CSV (as format=csv does).', schema: { type: 'string' }, example: 'text/csv' });
  const statuses = ['400', '401', '403', '408', '414', '429', '431', '500', '503'];
  const responses: Record<string, JsonSchema> = {
    '200': {
      description: 'One page of entries, newest first: JSON with nextCursor, or CSV (Accept: text/csv or format=csv).',
      headers: { ...successHeaders(options, ['Link', 'XNextCursor']) },
      content: {
        [JSON_MEDIA]: { schema: ledger.page, example: exampleOf(ledger.page) },
        'text/csv': { schema: { type: 'string' }, example: 'id,recordedAt,requestId\n' },
      },
    },
  };
  for (const status of statuses) {
    const response = errorResponse(status);
    // The ledger is the gateway's own: its errors are always problems.
    response['content'] = { [PROBLEM_MEDIA]: { schema: schemaRef('Problem') } };
    if (status === '429' && options.rateLimited) Object.assign(response['headers'] as JsonSchema, successHeaders(options));
    responses[status] = response;
  }
  return {
    operationId: ledger.operationId,
    summary: ledger.summary,
    description: ledger.description + (options.authenticated ? ' Needs a gateway key with the `read` scope.' : ''),
    tags: ['ledger'],
    parameters,
    responses,
  };
}

function tagsOf(routes: readonly RestRoute[], ledger: boolean): JsonSchema[] {
  const tags = new Map<string, string | undefined>();
  for (const route of routes) {
    const name = route.resourceName || route.operationId;
    if (!tags.has(name)) tags.set(name, route.resourceDescription);
  }
  const out: JsonSchema[] = [...tags].map(([name, description]) => (description === undefined ? { name } : { name, description }));
  if (ledger) out.push({ name: 'ledger', description: 'The role-change ledger kept by the gateway.' });
  return out;
}

/** The capability's description may state an operation count; it must match the document's. */
function countedDescription(description: string | undefined, operations: number): string | undefined {
  if (description === undefined) return undefined;
  return description.replace(/\b\d+ operations\b/, `${operations} operation${operations === 1 ? '' : 's'}`);
}

/** collectRefs gathers every `#/components/<kind>/<name>` the document uses. */
function collectRefs(value: unknown, into: Set<string>): void {
  if (Array.isArray(value)) {
    for (const v of value) collectRefs(v, into);
  } else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') into.add(v);
      else collectRefs(v, into);
    }
  }
}

/** Spectral warns about unused components: keep only the referenced ones (and what they reference). */
function usedComponents(paths: unknown): Record<string, Record<string, JsonSchema>> {
  const refs = new Set<string>();
  collectRefs(paths, refs);
  // Component schemas reference each other (SeatGuardConflict → Problem).
  collectRefs([...refs].map((r) => SCHEMAS[r.split('/').at(-1) ?? '']), refs);
  const pick = (kind: string, all: Record<string, JsonSchema>) =>
    Object.fromEntries(Object.entries(all).filter(([name]) => refs.has(`#/components/${kind}/${name}`)));
  return { schemas: pick('schemas', SCHEMAS), headers: pick('headers', HEADERS) };
}

/** buildOpenApiDocument documents `routes` (and the ledger route when given) as served with `options`. */
export function buildOpenApiDocument(routes: readonly RestRoute[], info: InfoModel, options: OpenApiOptions, ledger?: LedgerDocumentation): OpenApiDocument {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  let operations = 0;
  for (const route of routes) {
    const item = (paths[route.path] ??= {});
    const operation = operationOf(route, options);
    item[route.method.toLowerCase()] = operation;
    if (route.method === 'GET') item['head'] = headOf(operation);
    operations++;
  }
  if (ledger !== undefined) {
    const get = ledgerOperation(ledger, options);
    paths[ledger.path] = { get, head: headOf(get) };
    operations++;
    // The scheduled changes are served with the ledger.
    for (const [path, item] of Object.entries(scheduleOperations(options.authenticated, successHeaders(options)))) {
      const withHead = item['get'] === undefined ? item : { ...item, head: headOf(item['get']) };
      paths[path] = withHead;
      operations += Object.keys(item).length;
    }
  }
  const contact = info.contact === undefined ? undefined : Object.fromEntries(Object.entries(info.contact).filter(([, v]) => v !== undefined));
  const description = countedDescription(info.description, operations);
  const components: JsonSchema = usedComponents(paths);
  if (options.authenticated) components['securitySchemes'] = SECURITY_SCHEMES;
  return {
    openapi: OPENAPI_VERSION,
    info: {
      title: info.label,
      ...(description === undefined ? {} : { description }),
      version: info.version ?? '0.0.0',
      ...(contact === undefined ? {} : { contact }),
    },
    servers: [
      { url: '/', description: 'This gateway (relative to where this document is served).' },
      ...(options.serverUrl === undefined ? [] : [{ url: options.serverUrl, description: 'This gateway.' }]),
    ],
    tags: tagsOf(routes, ledger !== undefined),
    ...(options.authenticated ? { security: [{ gatewayBearer: [] }, { gatewayApiKey: [] }] } : {}),
    paths,
    components,
  };
}
