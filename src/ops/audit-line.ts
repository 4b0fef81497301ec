/**
 * The audit line (core/audit.ts) serialized here, in pino's format, and written
 * to the logger's stream as one string, as the access line is (request-log.ts):
 * through pino, its ~35 redaction paths — wildcards among them, run on every
 * value — cost more than a whole forwarded PATCH's parsing and validation. The
 * line is the same text pino writes: its fields in order, undefined ones left
 * out, a top-level key that a redaction path names censored. Its values are
 * scalars (the audit interceptor logs no others), which no wildcard path can
 * reach; anything else (and the odd key or string pino renders its own way) is
 * left to pino.
 */
import type { Logger } from 'pino';
import type { AuditWriter } from '../core/audit.js';
import { jsonString } from '../core/json-string.js';
import { accessLogOf, ACCESS_LINE_BASE, INFO_LEVEL, isoTime, REDACT_PATHS, REDACTED } from './logger.js';

const LINE_START = `{"level":${INFO_LEVEL}`;
const CENSORED = JSON.stringify(REDACTED);
/** The redaction paths that name a top-level key (the others need a nested object). */
const REDACTED_KEYS: ReadonlySet<string> = new Set(REDACT_PATHS.filter((p) => /^[A-Za-z_$][\w$]*$/.test(p)));
// pino quotes a short string with a lone surrogate unescaped, JSON.stringify escapes it: such a line is pino's.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** auditWriterOf writes audit records to `logger`'s stream, pre-serialized, while `info` is enabled. */
export function auditWriterOf(logger: Logger): AuditWriter {
  const stream = accessLogOf(logger);
  return function writeAuditLine(fields: Record<string, unknown>): boolean {
    const line = formatAuditLine(fields);
    if (line === undefined) return false;
    if (logger.isLevelEnabled('info')) stream.write(line);
    return true;
  };
}

/** formatAuditLine renders `fields` with the message `audit` as pino's info line, or undefined when a value is not a plain scalar. */
export function formatAuditLine(fields: Record<string, unknown>): string | undefined {
  let line = `${LINE_START}${isoTime()}${ACCESS_LINE_BASE}`;
  for (const key in fields) {
    const value = fields[key];
    let text: string;
    switch (typeof value) {
      case 'undefined':
        continue;
      case 'string':
        if (LONE_SURROGATE.test(value)) return undefined;
        text = jsonString(value);
        break;
      case 'number':
        text = Number.isFinite(value) ? String(value) : 'null';
        break;
      case 'boolean':
        text = value ? 'true' : 'false';
        break;
      default:
        return undefined;
    }
    // pino looks a key up in plain objects (serializers): `toString` and its kin find Object.prototype's.
    if (key in Object.prototype || LONE_SURROGATE.test(key)) return undefined;
    line += `,${jsonString(key)}:${REDACTED_KEYS.has(key) ? CENSORED : text}`;
  }
  return `${line},"msg":"audit"}\n`;
}
