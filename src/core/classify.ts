/**
 * The one place foreign errors are mapped onto the catalogue (errors.ts):
 * transport failures of an upstream call (undici), requests Node's HTTP parser
 * refused, and the errors fastify raises for a request. Adapters render the
 * result; none of them decides a code of its own.
 */
import { GatewayError, type ErrorCode } from './errors.js';

const TIMEOUT_CODES: ReadonlySet<string> = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

/** CallSite names the upstream call a transport error belongs to (never anything secret). */
export interface CallSite {
  readonly namespace: string;
  /** The operation's key, `namespace.operation`. */
  readonly key: string;
  readonly timeoutMs: number;
}

/** transportError classifies a failed upstream exchange: 504 on a timeout, else 502, without echoing anything secret. */
export function transportError(err: unknown, site: CallSite): GatewayError {
  if (err instanceof GatewayError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  const name = (err as { name?: unknown } | null)?.name;
  if (typeof code === 'string' && TIMEOUT_CODES.has(code)) return upstreamTimeout(site, err);
  if (name === 'AbortError' || code === 'UND_ERR_ABORTED') {
    return new GatewayError('NGW_ERR_UPSTREAM_UNREACHABLE', `call to ${site.key} was aborted`, { cause: err });
  }
  const reason = typeof code === 'string' ? code : 'connection failed';
  return new GatewayError('NGW_ERR_UPSTREAM_UNREACHABLE', `upstream "${site.namespace}" is unreachable for ${site.key} (${reason})`, { cause: err });
}

/** upstreamTimeout is the 504 of a call that outlived its deadline (the gateway's own timer, or undici's). */
export function upstreamTimeout(site: CallSite, cause: unknown): GatewayError {
  return new GatewayError('NGW_ERR_UPSTREAM_TIMEOUT', `upstream "${site.namespace}" did not answer ${site.key} within ${site.timeoutMs} ms`, { cause });
}

/** parserError classifies a request Node's HTTP parser refused (by its error code) before any route saw it. */
export function parserError(code: string | undefined): GatewayError {
  if (code === 'HPE_HEADER_OVERFLOW') return new GatewayError('NGW_ERR_HEADERS_TOO_LARGE', 'request line and headers exceed the size limit');
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT' || code === 'ERR_HTTP_HEADERS_TIMEOUT') return new GatewayError('NGW_ERR_REQUEST_TIMEOUT', 'the request took too long to arrive');
  if (code === 'HPE_URI_TOO_LONG') return new GatewayError('NGW_ERR_URI_TOO_LONG', 'the request line is too long');
  return new GatewayError('NGW_ERR_VALIDATION', 'malformed HTTP request');
}

const FRAMEWORK_CODES: Readonly<Record<string, ErrorCode>> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'NGW_ERR_UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'NGW_ERR_VALIDATION',
  FST_ERR_CTP_BODY_TOO_LARGE: 'NGW_ERR_BODY_TOO_LARGE',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'NGW_ERR_BAD_JSON',
  FST_ERR_CTP_INVALID_JSON_BODY: 'NGW_ERR_BAD_JSON',
  FST_ERR_CTP_EMPTY_TYPE: 'NGW_ERR_UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_TYPE: 'NGW_ERR_UNSUPPORTED_MEDIA_TYPE',
};

const STATUS_CODES: Readonly<Record<number, ErrorCode>> = {
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

/** frameworkCode is the catalogue code of a fastify body-parsing error code, if it has one. */
export function frameworkCode(code: string | undefined): ErrorCode | undefined {
  return code === undefined ? undefined : FRAMEWORK_CODES[code];
}

/** statusCode is the catalogue code of another 4xx/503 a framework raised with only a status. */
export function statusCode(status: number): ErrorCode {
  return STATUS_CODES[status] ?? 'NGW_ERR_VALIDATION';
}
