/**
 * The transport-neutral problem model (RFC 9457): core builds the problem object
 * once; REST sends it as `application/problem+json`, MCP as the `structuredContent`
 * of an `isError` result, the Node parser-error path as a raw HTTP response.
 */
import type { ErrorCode, FieldError, GatewayError } from './errors.js';

/** Problem is the RFC 9457 body the gateway sends for its own errors. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  code: ErrorCode;
  errors?: readonly FieldError[];
  [member: string]: unknown;
}

const PROBLEM_TYPE_PREFIX = 'urn:naftiko-gateway:problem:';

/** problemTypeFor turns `NGW_ERR_UPSTREAM_TIMEOUT` into a stable type URI. */
export function problemTypeFor(code: ErrorCode): string {
  return PROBLEM_TYPE_PREFIX + code.slice('NGW_ERR_'.length).toLowerCase().replaceAll('_', '-');
}

/** toProblem renders a GatewayError for the request `requestId`. */
export function toProblem(err: GatewayError, requestId: string): Problem {
  const problem: Problem = {
    ...err.members,
    type: problemTypeFor(err.code),
    title: err.title,
    status: err.status,
    detail: err.message,
    instance: requestId,
    code: err.code,
  };
  if (err.errors !== undefined && err.errors.length > 0) problem.errors = err.errors;
  return problem;
}

/** problemSummary is the one-line form agents read first: `NGW_ERR_CONFLICT (409): detail`. */
export function problemSummary(err: GatewayError): string {
  return `${err.code} (${err.status}): ${err.message}`;
}

/** PROBLEM_CONTENT_TYPE is the RFC 9457 media type. */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';
