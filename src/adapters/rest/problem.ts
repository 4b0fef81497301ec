/**
 * One error handler for the REST adapter: every gateway-made error becomes
 * RFC 9457 problem+json; fastify's own errors are mapped onto the catalogue.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError, PROBLEM_CONTENT_TYPE, toProblem, type ErrorCode, type FieldError } from '../../errors.js';

interface ValidationIssue {
  instancePath?: string;
  message?: string;
  keyword?: string;
  params?: Record<string, unknown>;
}

const PART_NAMES: Record<string, string> = { body: 'body', params: 'path', querystring: 'query', headers: 'header' };

/** fieldOf names the offending field as `body.title`, `path.id`, `query.ordering`. */
function fieldOf(part: string, issue: ValidationIssue): string {
  let path = (issue.instancePath ?? '').split('/').filter((s) => s !== '').map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~')).join('.');
  const missing = issue.params?.['missingProperty'];
  if (typeof missing === 'string') path = path === '' ? missing : `${path}.${missing}`;
  const extra = issue.params?.['additionalProperty'];
  if (typeof extra === 'string') path = path === '' ? extra : `${path}.${extra}`;
  const prefix = PART_NAMES[part] ?? part;
  return path === '' ? prefix : `${prefix}.${path}`;
}

function messageOf(issue: ValidationIssue): string {
  const allowed = issue.params?.['allowedValues'];
  if (Array.isArray(allowed)) return `${issue.message ?? 'is invalid'}: ${allowed.join(', ')}`;
  return issue.message ?? 'is invalid';
}

/** validationError turns ajv issues into one 400 naming every bad field. */
export function validationError(part: string, issues: readonly ValidationIssue[]): GatewayError {
  return partsValidationError([{ part, issues }]);
}

function partsValidationError(parts: readonly { part: string; issues: readonly ValidationIssue[] }[]): GatewayError {
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  for (const { part, issue } of parts.flatMap((p) => p.issues.map((issue) => ({ part: p.part, issue })))) {
    const field = fieldOf(part, issue);
    const message = messageOf(issue);
    const key = `${field}\u0000${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    errors.push({ field, message });
  }
  const detail = errors.map((e) => `${e.field} ${e.message}`).join('; ');
  return new GatewayError('NGW_ERR_VALIDATION', detail === '' ? 'invalid request' : detail, { errors });
}

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'NGW_ERR_UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'NGW_ERR_VALIDATION',
  FST_ERR_CTP_BODY_TOO_LARGE: 'NGW_ERR_BODY_TOO_LARGE',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'NGW_ERR_BAD_JSON',
  FST_ERR_CTP_INVALID_JSON_BODY: 'NGW_ERR_BAD_JSON',
  FST_ERR_CTP_EMPTY_TYPE: 'NGW_ERR_UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_TYPE: 'NGW_ERR_UNSUPPORTED_MEDIA_TYPE',
};

const STATUS_CODES: Record<number, ErrorCode> = {
  400: 'NGW_ERR_VALIDATION',
  401: 'NGW_ERR_UNAUTHENTICATED',
  403: 'NGW_ERR_FORBIDDEN',
  404: 'NGW_ERR_NOT_FOUND',
  405: 'NGW_ERR_METHOD_NOT_ALLOWED',
  413: 'NGW_ERR_BODY_TOO_LARGE',
  414: 'NGW_ERR_URI_TOO_LONG',
  415: 'NGW_ERR_UNSUPPORTED_MEDIA_TYPE',
  429: 'NGW_ERR_RATE_LIMITED',
  431: 'NGW_ERR_HEADERS_TOO_LARGE',
  503: 'NGW_ERR_UNAVAILABLE',
};

/** asGatewayError maps any error thrown in a request onto the catalogue. */
export function asGatewayError(err: FastifyError | Error): GatewayError {
  if (err instanceof GatewayError) return err;
  const fe = err as FastifyError & { validation?: ValidationIssue[]; validationContext?: string };
  if (Array.isArray(fe.validation)) return validationError(fe.validationContext ?? 'request', fe.validation);
  const mapped = fe.code === undefined ? undefined : FASTIFY_CODES[fe.code];
  if (mapped !== undefined) return withBodyField(mapped, describeFastifyError(fe, mapped));
  // JSON syntax errors and prototype-poisoning refusals come from the body parser with status 400.
  if (fe.statusCode !== undefined && fe.statusCode >= 400 && fe.statusCode < 500) {
    const code = err instanceof SyntaxError || /JSON|prototype/i.test(err.message) ? 'NGW_ERR_BAD_JSON' : (STATUS_CODES[fe.statusCode] ?? 'NGW_ERR_VALIDATION');
    return withBodyField(code, err.message);
  }
  if (fe.statusCode === 503) return new GatewayError('NGW_ERR_UNAVAILABLE', err.message);
  return new GatewayError('NGW_ERR_INTERNAL', 'the gateway failed to handle the request', { cause: err });
}

/** An unparseable body is a bad field too: name it, like every other 400. */
function withBodyField(code: ErrorCode, detail: string): GatewayError {
  if (code !== 'NGW_ERR_BAD_JSON') return new GatewayError(code, detail);
  return new GatewayError(code, detail, { errors: [{ field: 'body', message: detail }] });
}

function describeFastifyError(fe: FastifyError, code: ErrorCode): string {
  switch (code) {
    case 'NGW_ERR_UNSUPPORTED_MEDIA_TYPE':
      return 'request bodies must be JSON (Content-Type: application/json)';
    case 'NGW_ERR_BODY_TOO_LARGE':
      return 'request body is larger than the configured limit';
    default:
      return fe.message;
  }
}

/** sendProblem writes a GatewayError as problem+json. */
export function sendProblem(reply: FastifyReply, err: GatewayError): FastifyReply {
  reply.request.errorCode = err.code;
  if (err.headers !== undefined) reply.headers(err.headers);
  return reply.code(err.status).type(PROBLEM_CONTENT_TYPE).send(toProblem(err, String(reply.request.id)));
}

type RequestPart = 'params' | 'body' | 'querystring' | 'headers';
const REQUEST_PARTS: readonly RequestPart[] = ['params', 'body', 'querystring', 'headers'];

function inputOf(request: FastifyRequest, part: RequestPart): unknown {
  if (part === 'params') return request.params;
  if (part === 'body') return request.body;
  if (part === 'querystring') return request.query;
  return request.headers;
}

/**
 * fastify stops validating at the first invalid part (params, then body, query, headers);
 * re-running every part's validator lets one 400 name a bad id and a bad body field together.
 */
function requestValidationError(request: FastifyRequest, fallback: GatewayError): GatewayError {
  const parts: { part: string; issues: readonly ValidationIssue[] }[] = [];
  for (const part of REQUEST_PARTS) {
    const validate = request.getValidationFunction(part) as unknown;
    if (typeof validate !== 'function') continue; // no schema, or a per-media-type map
    const check = validate as ((data: unknown) => boolean) & { errors?: ValidationIssue[] | null };
    if (!check(inputOf(request, part))) parts.push({ part, issues: check.errors ?? [] });
  }
  return parts.length === 0 ? fallback : partsValidationError(parts);
}

/** errorHandler is the REST adapter's fastify error handler. */
export function errorHandler(this: unknown, err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  let gatewayError = asGatewayError(err);
  if (Array.isArray((err as { validation?: unknown }).validation)) gatewayError = requestValidationError(request, gatewayError);
  // 4xx are reported by the request's completion line (with `code`); 5xx deserve their own line with the cause.
  if (gatewayError.status >= 500) request.log.error({ err: gatewayError.cause ?? err, code: gatewayError.code }, gatewayError.message);
  return sendProblem(reply, gatewayError);
}
