/**
 * Reading an upstream body: bounded in size, decoded by the operation's raw
 * format, and mapped by the exposure's output mapping.
 */
import { createRequire } from 'node:module';
import type { JSONValue } from 'json-p3';
import type { CompiledCall } from '../capability/compiled.js';
import { GatewayError } from '../core/errors.js';
import type { UpstreamResponse } from './client.js';
import { toGatewayError } from './client.js';

/** DEFAULT_MAX_RESPONSE_BYTES bounds what the gateway buffers to map one response. */
export const DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

/** readBodyBytes reads the whole body, failing past `maxBytes`. */
export async function readBodyBytes(call: CompiledCall, res: UpstreamResponse, maxBytes: number, timeoutMs: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res.body) {
      const buf = chunk as Buffer;
      size += buf.length;
      if (size > maxBytes) {
        res.body.destroy();
        throw new GatewayError('NGW_ERR_UPSTREAM_BAD_RESPONSE', `upstream response for ${call.operation.key} exceeds ${maxBytes} bytes`);
      }
      chunks.push(buf);
    }
  } catch (err) {
    throw toGatewayError(err, call.operation, timeoutMs);
  }
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size);
}

/**
 * readFramedBody reads a body whose Content-Length the caller has already bounded (the HTTP
 * parser never delivers more than that), with undici's own collector instead of an async
 * iterator, which costs more than the copy on a small body.
 */
export async function readFramedBody(call: CompiledCall, res: UpstreamResponse, timeoutMs: number): Promise<Buffer> {
  try {
    const bytes = await res.body.bytes();
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  } catch (err) {
    throw toGatewayError(err, call.operation, timeoutMs);
  }
}

/** readBodyText reads the whole body as UTF-8, failing past `maxBytes`. */
export async function readBodyText(call: CompiledCall, res: UpstreamResponse, maxBytes: number, timeoutMs: number): Promise<string> {
  return (await readBodyBytes(call, res, maxBytes, timeoutMs)).toString('utf8');
}

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

/** readMappedOutput reads, decodes and maps a successful upstream response. Undefined means no body. */
export async function readMappedOutput(call: CompiledCall, res: UpstreamResponse, maxBytes: number, timeoutMs: number): Promise<JSONValue | undefined> {
  const text = await readBodyText(call, res, maxBytes, timeoutMs);
  if (text.length === 0) return undefined;
  const document = decodeBody(call, text);
  return call.output.map(document);
}
