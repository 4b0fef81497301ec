/**
 * JSON text of a string without a JSON.stringify call where nothing needs escaping: on the short
 * strings of an access line or a mapped field, the call costs several times the check.
 */

// What JSON.stringify escapes in a string (RFC 8259 §7; lone surrogates since ES2019, so every surrogate
// is sent to it): a string with none of them is quoted as is.
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** jsonString is exactly `JSON.stringify(value)` for a string. */
export function jsonString(value: string): string {
  return NEEDS_ESCAPE.test(value) ? JSON.stringify(value) : `"${value}"`;
}
