/**
 * Whether a JSON text is already in the form `JSON.stringify(JSON.parse(text))` gives back, decided in
 * one pass over the characters without building the value. A tool whose output is the upstream body
 * unchanged (`mapping: $.`, JSON) then uses the body's own text as its structured content and its text
 * block, instead of parsing it and serializing it again (call-tool.ts). Upstreams that write compact
 * JSON (Django REST framework's default renderer, for one) send exactly that form. Anything this
 * scanner is unsure of answers false, and the caller parses and serializes as before:
 *  - whitespace between tokens, escapes JSON.stringify does not write (`\/`, `\u00e9`, `\u001F`, `\u000a`);
 *  - a number that does not read back the same (`1.0`, `1e3`, `-0`, integers past 2^53);
 *  - an object key starting with a digit (JSON.parse moves array-index keys to the front);
 *  - a key seen twice in one object (the last value wins, at the first key's place) — compared by a
 *    hash, so a collision only costs the slow path;
 *  - nesting deeper than MAX_DEPTH, objects with more than MAX_KEYS keys, unpaired surrogates.
 */

const MAX_DEPTH = 64;
/** Keys compared pairwise per object: beyond this the duplicate check would cost more than a parse. */
const MAX_KEYS = 128;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;

/** The most significant decimal digits a double holds exactly (2^53 has 16). */
const EXACT_DIGITS = 15;

/** The scanner's state: one text at a time (module-level, so a scan allocates nothing). */
let text = '';
let at = 0;
let end = 0;
let lastHash = 0;
/** Key hashes of the objects being scanned, innermost last. */
const keyHashes = new Int32Array(MAX_DEPTH * 16);
let keyTop = 0;

function isDigit(c: number): boolean {
  return c >= ZERO && c <= NINE;
}

/** scanString reads the string value starting at `at` (a quote). */
function scanString(): boolean {
  at++;
  while (at < end) {
    const c = text.charCodeAt(at++);
    // Printable, not a quote, backslash or surrogate: the common case, checked first.
    if (c > QUOTE && c !== BACKSLASH && c < 0xd800) continue;
    if (c === QUOTE) return true;
    if (!scanSpecial(c)) return false;
  }
  return false;
}

/** scanKey reads an object key (a string starting at `at`), leaving its hash in `lastHash`. */
function scanKey(): boolean {
  let hash = 0x811c9dc5 | 0;
  at++;
  while (at < end) {
    const c = text.charCodeAt(at++);
    if (c === QUOTE) {
      lastHash = hash;
      return true;
    }
    if (!(c > QUOTE && c !== BACKSLASH && c < 0xd800) && !scanSpecial(c)) return false;
    // An escape hashes apart from the letter it is made of.
    hash = Math.imul(hash ^ (c === BACKSLASH ? text.charCodeAt(at - 1) | 0x10000 : c), 0x01000193);
  }
  return false;
}

/** scanSpecial checks a character other than a plain printable one, inside a string (after it: `at`). */
function scanSpecial(c: number): boolean {
  if (c < 0x20) return false;
  if (c === BACKSLASH) {
    if (at >= end) return false;
    const e = text.charCodeAt(at++);
    // " \ b f n r t: the escapes JSON.stringify writes for these characters.
    if (e === QUOTE || e === BACKSLASH || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) return true;
    return e === 0x75 && scanControlEscape();
  }
  if (c >= 0xd800 && c <= 0xdfff) {
    // JSON.stringify escapes a lone surrogate; a pair (high, then low) passes as is.
    if (c > 0xdbff || at >= end) return false;
    const low = text.charCodeAt(at++);
    return low >= 0xdc00 && low <= 0xdfff;
  }
  // Space, ! and the rest of the printable range past the surrogates.
  return true;
}

/**
 * scanControlEscape checks the four digits of a `\u` escape (from `at`): JSON.stringify writes one only
 * for a control character without a short form, as `\u00` and two lowercase hex digits.
 */
function scanControlEscape(): boolean {
  if (at + 4 > end || text.charCodeAt(at) !== ZERO || text.charCodeAt(at + 1) !== ZERO) return false;
  const high = text.charCodeAt(at + 2) - ZERO;
  const d = text.charCodeAt(at + 3);
  const low = d >= ZERO && d <= NINE ? d - ZERO : d >= 0x61 && d <= 0x66 ? d - 0x61 + 10 : -1;
  if ((high !== 0 && high !== 1) || low === -1) return false;
  const code = high * 16 + low;
  at += 4;
  // Backspace, tab, newline, form feed and carriage return have their short forms.
  return code !== 8 && code !== 9 && code !== 10 && code !== 12 && code !== 13;
}

function scanNumber(): boolean {
  const start = at;
  if (text.charCodeAt(at) === MINUS) at++;
  const first = text.charCodeAt(at);
  if (first === ZERO) at++;
  else if (first > ZERO && first <= NINE) while (at < end && isDigit(text.charCodeAt(at))) at++;
  else return false;
  let integer = true;
  if (text.charCodeAt(at) === DOT) {
    integer = false;
    at++;
    if (!isDigit(text.charCodeAt(at))) return false;
    while (at < end && isDigit(text.charCodeAt(at))) at++;
  }
  const e = text.charCodeAt(at);
  if (e === 0x65 || e === 0x45) {
    integer = false;
    at++;
    const sign = text.charCodeAt(at);
    if (sign === 0x2b || sign === MINUS) at++;
    if (!isDigit(text.charCodeAt(at))) return false;
    while (at < end && isDigit(text.charCodeAt(at))) at++;
  }
  const negative = text.charCodeAt(start) === MINUS;
  const digits = at - start - (negative ? 1 : 0);
  if (integer && digits <= EXACT_DIGITS) return !(negative && first === ZERO);
  // Rare in API bodies: let the number say how it reads back.
  const token = text.slice(start, at);
  return String(Number(token)) === token;
}

function scanLiteral(word: string): boolean {
  if (!text.startsWith(word, at)) return false;
  at += word.length;
  return true;
}

function scanObject(depth: number): boolean {
  at++;
  if (text.charCodeAt(at) === 0x7d) {
    at++;
    return true;
  }
  const base = keyTop;
  for (;;) {
    if (text.charCodeAt(at) !== QUOTE || isDigit(text.charCodeAt(at + 1))) return false;
    if (!scanKey()) return false;
    const hash = lastHash;
    for (let k = base; k < keyTop; k++) if (keyHashes[k] === hash) return false;
    if (keyTop - base >= MAX_KEYS || keyTop >= keyHashes.length) return false;
    keyHashes[keyTop++] = hash;
    if (text.charCodeAt(at) !== COLON) return false;
    at++;
    if (!scanValue(depth + 1)) return false;
    const c = text.charCodeAt(at++);
    if (c === COMMA) continue;
    keyTop = base;
    return c === 0x7d;
  }
}

function scanArray(depth: number): boolean {
  at++;
  if (text.charCodeAt(at) === 0x5d) {
    at++;
    return true;
  }
  for (;;) {
    if (!scanValue(depth + 1)) return false;
    const c = text.charCodeAt(at++);
    if (c === COMMA) continue;
    return c === 0x5d;
  }
}

function scanValue(depth: number): boolean {
  if (depth > MAX_DEPTH || at >= end) return false;
  const c = text.charCodeAt(at);
  if (c === QUOTE) return scanString();
  if (c === 0x7b) return scanObject(depth);
  if (c === 0x5b) return scanArray(depth);
  if (c === MINUS || isDigit(c)) return scanNumber();
  if (c === 0x74) return scanLiteral('true');
  if (c === 0x66) return scanLiteral('false');
  if (c === 0x6e) return scanLiteral('null');
  return false;
}

/** isCanonicalJson: true only when `json` is valid JSON equal to `JSON.stringify(JSON.parse(json))`. */
export function isCanonicalJson(json: string): boolean {
  text = json;
  at = 0;
  end = json.length;
  keyTop = 0;
  const canonical = scanValue(0) && at === end;
  text = '';
  return canonical;
}
