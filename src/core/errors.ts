/**
 * The catalogue of gateway-made errors. Every error the gateway itself produces
 * (as opposed to an upstream error passed through) has one stable code here;
 * core/problem.ts turns it into the transport-neutral RFC 9457 problem that REST
 * sends as `application/problem+json` and MCP as an `isError` tool result.
 * docs/errors.md documents every code (test/architecture/errors-doc.test.ts).
 */

/** ErrorSpec describes one catalogue entry. */
export interface ErrorSpec {
  readonly status: number;
  readonly title: string;
}

/** ERRORS maps every `NGW_ERR_*` code to its HTTP status and title. */
export const ERRORS = {
  NGW_ERR_VALIDATION: { status: 400, title: 'Invalid request' },
  NGW_ERR_BAD_JSON: { status: 400, title: 'Malformed JSON body' },
  NGW_ERR_UNAUTHENTICATED: { status: 401, title: 'Authentication required' },
  NGW_ERR_FORBIDDEN: { status: 403, title: 'Forbidden' },
  NGW_ERR_NOT_FOUND: { status: 404, title: 'Not found' },
  NGW_ERR_METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed' },
  NGW_ERR_REQUEST_TIMEOUT: { status: 408, title: 'Request timeout' },
  NGW_ERR_CONFLICT: { status: 409, title: 'Conflict' },
  NGW_ERR_BODY_TOO_LARGE: { status: 413, title: 'Request body too large' },
  NGW_ERR_URI_TOO_LONG: { status: 414, title: 'URI too long' },
  NGW_ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported media type' },
  NGW_ERR_RATE_LIMITED: { status: 429, title: 'Too many requests' },
  NGW_ERR_HEADERS_TOO_LARGE: { status: 431, title: 'Request header fields too large' },
  // nginx's non-standard 499: the client went away before the answer; only logs and metrics ever see it.
  NGW_ERR_CLIENT_CLOSED_REQUEST: { status: 499, title: 'Client closed request' },
  NGW_ERR_INTERNAL: { status: 500, title: 'Internal gateway error' },
  NGW_ERR_UPSTREAM_UNREACHABLE: { status: 502, title: 'Upstream unreachable' },
  NGW_ERR_UPSTREAM_BAD_RESPONSE: { status: 502, title: 'Bad upstream response' },
  NGW_ERR_UPSTREAM_CREDENTIAL_REJECTED: { status: 502, title: 'Upstream rejected the gateway credential' },
  NGW_ERR_UNAVAILABLE: { status: 503, title: 'Service unavailable' },
  NGW_ERR_OVERLOADED: { status: 503, title: 'Gateway overloaded' },
  NGW_ERR_UPSTREAM_CIRCUIT_OPEN: { status: 503, title: 'Upstream circuit open' },
  NGW_ERR_UPSTREAM_THROTTLED: { status: 503, title: 'Upstream request rate exceeded' },
  NGW_ERR_UPSTREAM_TIMEOUT: { status: 504, title: 'Upstream timeout' },
} as const satisfies Record<string, ErrorSpec>;

/** ErrorCode is one key of the catalogue. */
export type ErrorCode = keyof typeof ERRORS;

/** FieldError names one invalid input field and why. */
export interface FieldError {
  readonly field: string;
  readonly message: string;
}

/** GatewayError is an error the gateway answers itself, never an upstream one. */
export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly title: string;
  readonly errors: readonly FieldError[] | undefined;
  readonly headers: Readonly<Record<string, string>> | undefined;
  /** Extension members of the problem (RFC 9457 section 3.2), e.g. the user a 409 is about. */
  readonly members: Readonly<Record<string, unknown>> | undefined;

  constructor(
    code: ErrorCode,
    detail: string,
    extra?: { errors?: readonly FieldError[]; headers?: Record<string, string>; members?: Record<string, unknown>; cause?: unknown },
  ) {
    super(detail, extra?.cause === undefined ? undefined : { cause: extra.cause });
    this.name = 'GatewayError';
    this.code = code;
    this.status = ERRORS[code].status;
    this.title = ERRORS[code].title;
    this.errors = extra?.errors;
    this.headers = extra?.headers;
    this.members = extra?.members;
  }
}

/**
 * asGatewayError is the one fallback classification: a GatewayError stays itself,
 * anything else (a bug, a driver failure) becomes a 500 whose detail is `detail`,
 * never the thrown message, which may carry internals.
 */
export function asGatewayError(err: unknown, detail: string): GatewayError {
  return err instanceof GatewayError ? err : new GatewayError('NGW_ERR_INTERNAL', detail, { cause: err });
}
