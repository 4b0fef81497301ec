/**
 * Building upstream request targets safely, as @fastify/reply-from does:
 * every path parameter is percent-encoded, dot segments are refused, and only
 * declared query parameters are sent.
 */
import type { CompiledOperation } from '../capability/compiled.js';
import { GatewayError } from '../core/errors.js';
import type { InputValues } from '../core/operation.js';

/** stringifyParam turns a scalar into its wire form; objects are refused. */
function stringifyParam(name: string, value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  throw new GatewayError('NGW_ERR_VALIDATION', `parameter "${name}" must be a scalar value`, {
    errors: [{ field: name, message: 'must be a string, number or boolean' }],
  });
}

/**
 * buildUpstreamPath returns the path and query for one call. A value of `a/b`
 * becomes `a%2Fb`; `.` and `..` are refused because a server or proxy on the
 * way could resolve them (RFC 3986 section 5.2.4) and escape the resource.
 */
export function buildUpstreamPath(op: CompiledOperation, values: InputValues): string {
  let path = op.upstream.basePath;
  const segments = op.pathSegments;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i] as { literal?: string; param?: string };
    if (segment.literal !== undefined) {
      path += segment.literal;
      continue;
    }
    const name = segment.param as string;
    const raw = stringifyParam(name, values[name]);
    if (raw === '' || raw === '.' || raw === '..') {
      throw new GatewayError('NGW_ERR_VALIDATION', `path parameter "${name}" must not be empty, "." or ".."`, {
        errors: [{ field: name, message: 'must not be empty, "." or ".."' }],
      });
    }
    path += encodeURIComponent(raw);
  }
  let query = '';
  const params = op.parameters;
  for (let i = 0; i < params.length; i++) {
    const param = params[i];
    if (param === undefined || param.in !== 'query') continue;
    const value = values[param.name];
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) {
      for (const item of value) query += `${query === '' ? '?' : '&'}${encodeURIComponent(param.name)}=${encodeURIComponent(stringifyParam(param.name, item))}`;
    } else {
      query += `${query === '' ? '?' : '&'}${encodeURIComponent(param.name)}=${encodeURIComponent(stringifyParam(param.name, value))}`;
    }
  }
  const auth = op.upstream.auth;
  if (auth.queryName !== undefined && auth.queryValue !== undefined) {
    query += `${query === '' ? '?' : '&'}${encodeURIComponent(auth.queryName)}=${encodeURIComponent(auth.queryValue)}`;
  }
  return path + query;
}
