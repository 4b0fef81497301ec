/**
 * `Retry-After` (RFC 9110 §10.2.3): delay-seconds or an HTTP-date.
 */

const DELAY_SECONDS = /^\d{1,9}$/;
// Every HTTP-date form (IMF-fixdate, RFC 850, asctime) starts with a day name; Date.parse alone accepts "-1".
const HTTP_DATE_START = /^[A-Za-z]{3}/;

/** parseRetryAfterMs turns a Retry-After value into milliseconds from `nowMs`; undefined when absent or unreadable. */
export function parseRetryAfterMs(value: string | string[] | undefined, nowMs: number): number | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  if (DELAY_SECONDS.test(trimmed)) return Number(trimmed) * 1000;
  if (!HTTP_DATE_START.test(trimmed)) return undefined;
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

/** retryAfterSeconds renders a wait as whole delay-seconds, never 0 (a client reading 0 would retry at once). */
export function retryAfterSeconds(ms: number): string {
  return String(Math.max(1, Math.ceil(ms / 1000)));
}
