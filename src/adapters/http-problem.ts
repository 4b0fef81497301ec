/**
 * The HTTP rendering of core problems, shared by the REST adapter and the MCP
 * adapter's HTTP transport (both fastify): every gateway-made error becomes
 * RFC 9457 problem+json; fastify's own errors are mapped onto the catalogue.
 */
import { AcceptedAnswer } from '../core/accepted.js';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { frameworkCode, statusCode } from '../core/classify.js';
import { asGatewayError as internalError, GatewayError, type ErrorCode } from '../core/errors.js';
import { partsValidationError, validationError, type PartIssues, type ValidationIssue } from '../core/field-errors.js';
import { PROBLEM_CONTENT_TYPE, toProblem } from '../core/problem.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** NGW_ERR_* code when the gateway answered with its own error, else ''. */
    errorCode: string;
  }
}

/** classifyRequestError maps any error thrown in a fastify request onto the catalogue. */
export function classifyRequestError(err: FastifyError | Error): GatewayError {
  if (err instanceof GatewayError) return err;
  const fe = err as FastifyError & { validation?: ValidationIssue[]; validationContext?: string };
  if (Array.isArray(fe.validation)) return validationError(fe.validationContext ?? 'request', fe.validation);
  const mapped = frameworkCode(fe.code);
  if (mapped !== undefined) return withBodyField(mapped, describeFastifyError(fe, mapped));
  // JSON syntax errors and prototype-poisoning refusals come from the body parser with status 400.
  if (fe.statusCode !== undefined && fe.statusCode >= 400 && fe.statusCode < 500) {
    const code = err instanceof SyntaxError || /JSON|prototype/i.test(err.message) ? 'NGW_ERR_BAD_JSON' : statusCode(fe.statusCode);
    return withBodyField(code, err.message);
  }
  if (fe.statusCode === 503) return new GatewayError('NGW_ERR_UNAVAILABLE', err.message);
  return internalError(err, 'the gateway failed to handle the request');
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

/**
 * frameworkErrorHandler answers URLs the router cannot decode (`%zz`) or whose
 * parameter exceeds maxParamLength, which fastify answers before any hook runs.
 */
export function frameworkErrorHandler(err: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  reply.header('x-content-type-options', 'nosniff');
  const error =
    err.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? new GatewayError('NGW_ERR_URI_TOO_LONG', 'a path parameter is longer than the router allows')
      : new GatewayError('NGW_ERR_VALIDATION', 'the URL is not valid (bad percent-encoding)');
  sendProblem(reply, error);
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
  const parts: PartIssues[] = [];
  for (const part of REQUEST_PARTS) {
    const validate = request.getValidationFunction(part) as unknown;
    if (typeof validate !== 'function') continue; // no schema, or a per-media-type map
    const check = validate as ((data: unknown) => boolean) & { errors?: ValidationIssue[] | null };
    if (!check(inputOf(request, part))) parts.push({ part, issues: check.errors ?? [] });
  }
  return parts.length === 0 ? fallback : partsValidationError(parts);
}

/** errorHandler is the fastify error handler of the REST adapter and the MCP HTTP transport. */
export function errorHandler(this: unknown, err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  // An interceptor accepted the call for later (a scheduled change): 202, not a problem.
  if (err instanceof AcceptedAnswer) return reply.code(202).headers(err.headers()).type('application/json; charset=utf-8').send(JSON.stringify(err.body()));
  let gatewayError = classifyRequestError(err);
  if (Array.isArray((err as { validation?: unknown }).validation)) gatewayError = requestValidationError(request, gatewayError);
  // 4xx are reported by the request's completion line (with `code`); 5xx deserve their own line with the cause.
  if (gatewayError.status >= 500) request.log.error({ err: gatewayError.cause ?? err, code: gatewayError.code }, gatewayError.message);
  return sendProblem(reply, gatewayError);
}
