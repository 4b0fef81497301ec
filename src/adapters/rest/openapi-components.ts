/**
 * The reusable parts of the OpenAPI document: the gateway's problem body
 * (RFC 9457), the upstream's error body, the response headers every answer
 * may carry, and one response object per status the gateway can answer.
 * Operations reference these by `$ref`; unreferenced ones are pruned.
 */
import type { JsonSchema } from '../../capability/model.js';

/** PROBLEM_MEDIA is RFC 9457's media type, used for every error the gateway makes itself. */
export const PROBLEM_MEDIA = 'application/problem+json';
/** JSON_MEDIA is what the upstream (Label Studio, DRF) answers, errors included. */
export const JSON_MEDIA = 'application/json';

const ref = (kind: string, name: string): JsonSchema => ({ $ref: `#/components/${kind}/${name}` });
/** schemaRef points at components.schemas[name]. */
export const schemaRef = (name: string): JsonSchema => ref('schemas', name);
/** headerRef points at components.headers[name]. */
export const headerRef = (name: string): JsonSchema => ref('headers', name);
/** responseRef points at components.responses[name]. */
export const responseRef = (name: string): JsonSchema => ref('responses', name);

const PROBLEM_EXAMPLE = {
  type: 'urn:naftiko-gateway:problem:validation',
  title: 'Invalid request',
  status: 400,
  detail: 'path.id must be >= 1',
  instance: '6f1c2a9e-3b7d-4c1e-9a51-2d0c8f4e7b10',
  code: 'NGW_ERR_VALIDATION',
  errors: [{ field: 'path.id', message: 'must be >= 1' }],
};

/** SCHEMAS are the document's shared schemas. */
export const SCHEMAS: Record<string, JsonSchema> = {
  Problem: {
    type: 'object',
    description: 'An error the gateway made itself (RFC 9457 problem details). Never an upstream error, which passes through as the upstream sent it.',
    required: ['type', 'title', 'status', 'detail', 'instance', 'code'],
    additionalProperties: true,
    properties: {
      type: { type: 'string', description: 'urn:naftiko-gateway:problem:<kind>' },
      title: { type: 'string' },
      status: { type: 'integer', minimum: 400, maximum: 599 },
      detail: { type: 'string' },
      instance: { type: 'string', minLength: 1, description: 'The request id (also in the x-request-id header).' },
      code: { type: 'string', pattern: '^NGW_ERR_[A-Z_]+$', description: 'NGW_ERR_* code from the gateway error catalogue.' },
      errors: {
        type: 'array',
        description: 'Every invalid input field (validation errors only).',
        items: {
          type: 'object',
          required: ['field', 'message'],
          properties: { field: { type: 'string', description: 'e.g. body.title, path.id, query.ordering' }, message: { type: 'string' } },
        },
      },
    },
    example: PROBLEM_EXAMPLE,
  },
  SeatGuardConflict: {
    description: 'The seat-rotation guard refused a role change (409): the seat was assigned too recently, or the organization changed too recently.',
    allOf: [
      schemaRef('Problem'),
      {
        type: 'object',
        properties: {
          rule: { type: 'string', enum: ['minimum-period', 'organization-spacing'] },
          organizationId: { type: 'string' },
          userId: { type: 'string' },
          assignedAt: { type: 'string', format: 'date-time', description: 'When the seat was assigned (rule minimum-period).' },
          lastChangeAt: { type: 'string', format: 'date-time', description: 'The last change in the organization (rule organization-spacing).' },
          allowedAt: { type: 'string', format: 'date-time', description: 'The earliest time the change is allowed (also as Retry-After).' },
          ledgerEntry: { type: 'string', description: 'Id of the ledger entry that records the refusal.' },
        },
      },
    ],
  },
  UpstreamError: {
    description: "The upstream API's own error body, passed through unchanged with its status and Content-Type (Label Studio: `{detail}` or field errors).",
    // Any JSON: the gateway does not know (or check) the upstream's error shapes.
    example: { detail: 'Not found.' },
  },
};

const stringHeader = (description: string, extra: JsonSchema = {}): JsonSchema => ({ description, schema: { type: 'string', ...extra } });

/** HEADERS are the response headers the gateway sends or passes on. */
export const HEADERS: Record<string, JsonSchema> = {
  XRequestId: { ...stringHeader('The request id: the caller\'s x-request-id when it is a sane token, else a generated UUID; also the problem\'s `instance`.', { minLength: 1 }), required: true },
  RetryAfter: stringHeader('Seconds to wait, or an HTTP date, before retrying (RFC 9110 section 10.2.3).'),
  RateLimitLimit: { description: 'Requests allowed per window for this client (IETF RateLimit header fields draft).', schema: { type: 'integer', minimum: 0 } },
  RateLimitRemaining: { description: 'Requests left in the current window.', schema: { type: 'integer', minimum: 0 } },
  RateLimitReset: { description: 'Seconds until the window resets.', schema: { type: 'integer', minimum: 0 } },
  WWWAuthenticate: stringHeader('The authentication scheme to use (RFC 6750 section 3), e.g. `Bearer realm="naftiko-gateway"`.'),
  Allow: { ...stringHeader('The methods this path serves (RFC 9110 section 10.2.1).'), required: true },
  Link: stringHeader('`<next page URL>; rel="next"` when there are more entries (RFC 8288).'),
  XNextCursor: stringHeader('The cursor of the next page (CSV answers, which have no nextCursor field).'),
  Warning: stringHeader('`299 naftiko-gateway "<text>"`: the seat-rotation guard let a change through with a warning.'),
};

/** ERROR_SPECS say, per status, who answers it and what it means; `upstream` statuses may also be the upstream's own. */
export const ERROR_SPECS: Record<string, { name: string; description: string; upstream: boolean; headers?: readonly string[] }> = {
  '400': { name: 'BadRequest', description: 'Invalid input: a problem naming every bad field (nothing is sent upstream), or the upstream rejected the request.', upstream: true },
  '401': { name: 'Unauthorized', description: 'No valid gateway API key (when keys are required), or the upstream rejected the request.', upstream: true, headers: ['WWWAuthenticate'] },
  '403': { name: 'Forbidden', description: 'The key lacks the scope the operation needs, or the upstream refused the request.', upstream: true },
  '404': { name: 'NotFound', description: 'Not found upstream (or no such route on the gateway).', upstream: true },
  '405': { name: 'MethodNotAllowed', description: 'The path does not serve this method; Allow lists the ones it serves.', upstream: false, headers: ['Allow'] },
  '408': { name: 'RequestTimeout', description: 'The request took too long to arrive.', upstream: false },
  '409': { name: 'Conflict', description: 'The upstream reported a conflict.', upstream: true },
  '413': { name: 'PayloadTooLarge', description: 'The request body is larger than the configured limit.', upstream: true },
  '414': { name: 'UriTooLong', description: 'The URL (path and query) is longer than the gateway accepts.', upstream: false },
  '415': { name: 'UnsupportedMediaType', description: 'A request body that is not JSON (Content-Type: application/json).', upstream: true },
  '429': { name: 'TooManyRequests', description: "Over the gateway's inbound rate limit (problem), or the upstream's limit passed through.", upstream: true, headers: ['RetryAfter'] },
  '431': { name: 'HeadersTooLarge', description: 'The request line and headers exceed the size limit.', upstream: false },
  '500': { name: 'InternalError', description: 'The gateway failed (problem), or the upstream failed (its own body).', upstream: true },
  '502': { name: 'BadGateway', description: 'The upstream is unreachable, rejected the gateway credential, or answered something the gateway cannot pass on.', upstream: true },
  '503': { name: 'ServiceUnavailable', description: 'The upstream circuit is open, the gateway is overloaded or throttled, or the upstream is unavailable.', upstream: true, headers: ['RetryAfter'] },
  '504': { name: 'GatewayTimeout', description: 'The upstream did not answer in time.', upstream: true },
};

/** UPSTREAM_PAGES are the non-JSON error bodies an upstream (or the proxy in front of it) may send. */
export const UPSTREAM_PAGES: Record<string, JsonSchema> = {
  'text/html': { schema: { type: 'string' } },
  'text/plain': { schema: { type: 'string' } },
};

/** errorResponse builds the response object of one status: upstream JSON first, then the gateway's problem. */
export function errorResponse(status: string, problemSchema: JsonSchema = schemaRef('Problem')): JsonSchema {
  const spec = ERROR_SPECS[status];
  if (spec === undefined) throw new Error(`no error response for ${status}`);
  const content: Record<string, JsonSchema> = {};
  if (spec.upstream) content[JSON_MEDIA] = { schema: schemaRef('UpstreamError') };
  content[PROBLEM_MEDIA] = { schema: problemSchema };
  // A proxy or load balancer in front of the upstream answers its own pages; they pass through as well.
  if (spec.upstream) Object.assign(content, UPSTREAM_PAGES);
  const headers: Record<string, JsonSchema> = { 'x-request-id': headerRef('XRequestId') };
  for (const h of spec.headers ?? []) headers[HEADER_NAMES[h] ?? h] = headerRef(h);
  return { description: spec.description, headers, content };
}

/** HEADER_NAMES are the wire names of HEADERS. */
export const HEADER_NAMES: Record<string, string> = {
  XRequestId: 'x-request-id',
  RetryAfter: 'retry-after',
  RateLimitLimit: 'ratelimit-limit',
  RateLimitRemaining: 'ratelimit-remaining',
  RateLimitReset: 'ratelimit-reset',
  WWWAuthenticate: 'www-authenticate',
  Allow: 'allow',
  Link: 'link',
  XNextCursor: 'x-next-cursor',
  Warning: 'warning',
};

/** The gateway's own keys (never the upstream's, which the gateway injects). */
export const SECURITY_SCHEMES = {
  gatewayBearer: {
    type: 'http',
    scheme: 'bearer',
    description: 'A gateway API key as `Authorization: Bearer <key>`. Read-only operations need the `read` scope, the others `write`.',
  },
  gatewayApiKey: { type: 'apiKey', in: 'header', name: 'x-api-key', description: 'The same gateway API key in the `x-api-key` header.' },
} as const;
