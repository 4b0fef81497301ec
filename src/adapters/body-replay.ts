/**
 * Handing fastify a request body a node:http front already read (the REST fast
 * path's, the MCP port's raw front): the bytes ride on the request, and a
 * `preParsing` hook gives them to fastify's body parser as a stream of the same
 * bytes, so fastify answers exactly as if it had read them itself (media type,
 * JSON syntax, poisoning, limits, validation); and the parse fastify's JSON parser
 * makes, for a front to know it would succeed.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import type { FastifyInstance, preParsingHookHandler } from 'fastify';
import { parse as secureJsonParse } from 'secure-json-parse';

const kReadBody = Symbol('naftiko.readBody');

/**
 * framedWithin tells whether a front may read a request's body itself: a Content-Length of 1 to
 * `limitBytes` bytes and no Transfer-Encoding. Anything else is fastify's to read (a longer body is
 * its 413, refused by Content-Length unread; an empty or chunked one its own).
 */
export function framedWithin(headers: IncomingHttpHeaders, limitBytes: number): boolean {
  const length = headers['content-length'];
  if (length === undefined || headers['transfer-encoding'] !== undefined) return false;
  const bytes = Number(length);
  return bytes > 0 && bytes <= limitBytes;
}

/** BodyChunks collects a body's chunks as they arrive (Node's parser holds them to the Content-Length). */
export class BodyChunks {
  private readonly chunks: Buffer[] = [];
  private received = 0;

  add(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.received += chunk.length;
  }

  /** bytes is the whole body (the one chunk itself when there was one). */
  bytes(): Buffer {
    return this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks, this.received);
  }
}

interface BodyCarrier extends IncomingMessage {
  [kReadBody]?: Buffer | undefined;
}

/** carryReadBody leaves `body` on `req` for fastify's parser (the request stream has ended). */
export function carryReadBody(req: IncomingMessage, body: Buffer): void {
  (req as BodyCarrier)[kReadBody] = body;
}

/** Both fastify apps (REST and MCP) run with onProtoPoisoning and onConstructorPoisoning 'error'. */
const POISONING = { protoAction: 'error', constructorAction: 'error' } as const;

/**
 * parseJsonBody parses a JSON body's text exactly as fastify's JSON parser does (secure-json-parse:
 * a BOM is skipped, a `__proto__` or `constructor.prototype` key, escaped or not, is refused), or
 * returns undefined where that parser answers an error (empty, bad syntax, poisoning).
 */
export function parseJsonBody(text: string): unknown {
  if (text.length === 0) return undefined;
  try {
    return secureJsonParse(text, POISONING) as unknown;
  } catch {
    return undefined;
  }
}

/** replayReadBody is the `preParsing` hook: the carried body, if any, replaces the (ended) request stream. */
export const replayReadBody: preParsingHookHandler = function replayReadBody(request, _reply, payload, done) {
  const raw = request.raw as BodyCarrier;
  const body = raw[kReadBody];
  if (body === undefined) {
    done(null, payload);
    return;
  }
  raw[kReadBody] = undefined;
  done(null, Readable.from([body], { objectMode: false }) as typeof payload);
};

/** registerBodyReplay installs the hook on every route of `app`. */
export function registerBodyReplay(app: FastifyInstance): void {
  app.addHook('preParsing', replayReadBody);
}
