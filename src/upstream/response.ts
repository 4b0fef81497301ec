/**
 * Reading an upstream body: bounded in size, then decoded and mapped by
 * src/mapping (the operation's raw format, the exposure's output mapping).
 */
import type { JSONValue } from 'json-p3';
import type { CompiledCall } from '../capability/compiled.js';
import { GatewayError } from '../core/errors.js';
import { decodeBody } from '../mapping/decode.js';
import type { UpstreamResponse } from './client.js';
import { toGatewayError } from './client.js';

/** DEFAULT_MAX_RESPONSE_BYTES bounds what the gateway buffers to map one response. */
export const DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

/** readBodyBytes reads the whole body, failing past `maxBytes`. */
export async function readBodyBytes(call: CompiledCall, res: UpstreamResponse, maxBytes: number, timeoutMs: number): Promise<Buffer> {
  const collected = res.bytes;
  if (collected !== undefined) {
    if (collected.length > maxBytes) throw new GatewayError('NGW_ERR_UPSTREAM_BAD_RESPONSE', `upstream response for ${call.operation.key} exceeds ${maxBytes} bytes`);
    return collected;
  }
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
  if (res.bytes !== undefined) return res.bytes;
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

/** readMappedOutput reads, decodes and maps a successful upstream response. Undefined means no body. */
export async function readMappedOutput(call: CompiledCall, res: UpstreamResponse, maxBytes: number, timeoutMs: number): Promise<JSONValue | undefined> {
  const text = await readBodyText(call, res, maxBytes, timeoutMs);
  if (text.length === 0) return undefined;
  const document = decodeBody(call, text);
  return call.output.map(document);
}

/** readMappedJson is readMappedOutput's result as JSON text (what REST sends), written as it is mapped. */
export async function readMappedJson(call: CompiledCall, res: UpstreamResponse, maxBytes: number, timeoutMs: number): Promise<string | undefined> {
  const bytes = res.bytes !== undefined && res.bytes.length <= maxBytes ? res.bytes : await readBodyBytes(call, res, maxBytes, timeoutMs);
  if (bytes.length === 0) return undefined;
  return call.output.toJson(decodeBody(call, bytes.toString('utf8')));
}
