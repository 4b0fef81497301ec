/**
 * Format decoding: raw upstream text becomes a JSON value according to the
 * operation's `outputRawFormat` (json, xml, yaml, csv/tsv/psv, text), so one
 * JSONPath mapping works whatever the upstream speaks.
 */
import { createRequire } from 'node:module';
import type { JSONValue } from 'json-p3';
import type { CompiledCall } from '../capability/compiled.js';
import { GatewayError } from '../core/errors.js';

// The XML, YAML and CSV decoders are loaded on first use (synchronously: they are CommonJS too), so a
// capability of JSON operations never loads them (~75 ms of start-up CPU, and their memory).
const requireDecoder = createRequire(import.meta.url);
let xmlParser: import('fast-xml-parser').XMLParser | undefined;

/** XML elements become objects, attributes `@_name`, repeated elements arrays (fast-xml-parser defaults). */
function parseXml(text: string): JSONValue {
  if (xmlParser === undefined) {
    const { XMLParser } = requireDecoder('fast-xml-parser') as typeof import('fast-xml-parser');
    xmlParser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_', parseTagValue: true });
  }
  return xmlParser.parse(text) as JSONValue;
}

/** Delimiters of the official dialect's delimited formats. */
const DELIMITERS: Readonly<Record<string, string>> = { csv: ',', tsv: '\t', psv: '|' };

function decodeNonJson(format: string, text: string): JSONValue {
  if (format === 'xml') return parseXml(text);
  if (format === 'yaml') {
    const { parse } = requireDecoder('yaml') as typeof import('yaml');
    return (parse(text, { maxAliasCount: 100 }) ?? null) as JSONValue;
  }
  const delimiter = DELIMITERS[format];
  if (delimiter !== undefined) {
    const { parse } = requireDecoder('csv-parse/sync') as typeof import('csv-parse/sync');
    // A header row names the fields: each record becomes an object, so `$[*].name` maps a column.
    return parse(text, { columns: true, delimiter, skip_empty_lines: true, trim: true }) as JSONValue;
  }
  return text;
}

/** decodeBody turns raw upstream text into a JSON value according to `outputRawFormat`. */
export function decodeBody(call: CompiledCall, text: string): JSONValue {
  const format = call.operation.outputRawFormat;
  try {
    return format === 'json' ? (JSON.parse(text) as JSONValue) : decodeNonJson(format, text);
  } catch {
    throw new GatewayError('NGW_ERR_UPSTREAM_BAD_RESPONSE', `upstream answered ${call.operation.key} with a body that is not valid ${format}`);
  }
}
