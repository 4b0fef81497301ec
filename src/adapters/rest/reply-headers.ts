/**
 * What a REST answer carries over from the upstream's, shared by the fastify
 * path (routes.ts) and the fast path (fast-path.ts) so both answer alike.
 */

/** PASSED_HEADERS are the upstream headers worth passing on; everything else (hop-by-hop, Set-Cookie, Server…) is dropped. */
export const PASSED_HEADERS: readonly string[] = ['content-type', 'content-language', 'cache-control', 'etag', 'last-modified', 'retry-after', 'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset'];

/** Bodies up to this size (by Content-Length) arrive collected and are answered in one write; larger ones stream. */
export { BUFFERED_BODY_MAX_BYTES } from '../../upstream/exchange.js';

/** isJsonContentType tells whether an upstream Content-Type is JSON (`application/json`, `…+json`). */
export function isJsonContentType(value: string | string[] | undefined): boolean {
  return typeof value === 'string' && (value.includes('/json') || value.includes('+json'));
}

/** warningHeader renders notes as RFC 7234 `Warning: 299 <agent> "<text>"` values (299: miscellaneous persistent warning). */
export function warningHeader(notes: readonly string[]): string {
  return notes.map((n) => `299 naftiko-gateway "${n.replace(/[\\"]/g, '\\$&').replace(/[^\x20-\x7e]/g, '?')}"`).join(', ');
}
