/**
 * One upstream exchange over undici's `dispatch` with a small handler, instead of
 * `Pool.request`: no async resource, no body stream and no extra promise per call
 * for the common answer, a body whose Content-Length is small — it is collected
 * and the exchange resolves once, with the bytes. Any other body (unknown or large
 * length) gets undici's own body stream, as `Pool.request` gives it, so streaming
 * and its backpressure are unchanged.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { createRequire } from 'node:module';
import type { Dispatcher } from 'undici';
import type { CallDeadline } from './deadline.js';

/** BUFFERED_BODY_MAX_BYTES: bodies up to this size (by Content-Length) are collected instead of streamed; Label Studio's 400-organization list is ~52 KB. */
export const BUFFERED_BODY_MAX_BYTES = 64 * 1024;

/** UpstreamBodyStream is undici's response body stream (Readable with dump/bytes/text/json). */
export type UpstreamBodyStream = Dispatcher.ResponseData['body'];

interface BodyReadableOptions {
  resume: (this: unknown, size: number) => void;
  abort: (reason?: Error) => void;
  contentType?: string | undefined;
  contentLength?: number | null | undefined;
}

// undici's own body stream and header parser (not in its typed exports), so a streamed body
// behaves exactly as the one `Pool.request` returns and headers parse alike.
const require = createRequire(import.meta.url);
const { Readable: BodyReadable } = require('undici/lib/api/readable.js') as { Readable: new (options: BodyReadableOptions) => UpstreamBodyStream };
const { parseHeaders } = require('undici/lib/core/util.js') as { parseHeaders(raw: Buffer[]): IncomingHttpHeaders };

const EMPTY_HEADERS: IncomingHttpHeaders = Object.freeze({}) as IncomingHttpHeaders;
const EMPTY_BODY = Buffer.alloc(0);

function noop(): void {
  // A collected body has nothing to resume or abort.
}

function destroyQuietly(stream: UpstreamBodyStream, reason: Error): void {
  stream.on('error', noop);
  stream.destroy(reason);
}

type Resolve = (res: UpstreamExchange) => void;
// A placeholder until openExchange sets the real promise (never awaited: openExchange is the only constructor caller).
const SETTLED: Promise<UpstreamExchange> = new Promise<UpstreamExchange>(() => undefined);
type Reject = (err: unknown) => void;

// The promise executor is module-level: it takes its exchange from here, so no closure is allocated per call.
let pending: UpstreamExchange | undefined;
function capture(resolve: Resolve, reject: Reject): void {
  (pending as UpstreamExchange).settlers(resolve, reject);
}

/**
 * UpstreamExchange is undici's dispatch handler for one attempt and, once settled, the
 * upstream's answer: status, headers, and the body as `bytes` (collected) or a stream.
 */
export class UpstreamExchange {
  statusCode = 0;
  headers: IncomingHttpHeaders = EMPTY_HEADERS;
  /** The whole body, when it was collected (a Content-Length up to BUFFERED_BODY_MAX_BYTES, or a HEAD). */
  bytes: Buffer | undefined = undefined;
  /** Settles at the answer's headers (streamed body) or at its end (collected body); set by openExchange. */
  promise: Promise<UpstreamExchange> = SETTLED;
  private resolve: Resolve | undefined = undefined;
  private reject: Reject | undefined = undefined;
  private abortFn: ((reason?: Error) => void) | undefined = undefined;
  private chunks: Buffer[] | undefined = undefined;
  private size = 0;
  private stream: UpstreamBodyStream | undefined = undefined;
  private listening = true;

  constructor(
    private readonly method: string,
    private readonly deadline: CallDeadline,
  ) {
    deadline.addEventListener('abort', this);
  }

  settlers(resolve: Resolve, reject: Reject): void {
    this.resolve = resolve;
    this.reject = reject;
  }

  /** body is the answer's body as undici's stream (made from the collected bytes on first use). */
  get body(): UpstreamBodyStream {
    if (this.stream === undefined) {
      const stream = new BodyReadable({ resume: noop, abort: noop, contentType: headerText(this.headers['content-type']) });
      stream.push(this.bytes ?? EMPTY_BODY);
      stream.push(null);
      this.stream = stream;
    }
    return this.stream;
  }

  /** discard lets go of the body unread (before a retry). */
  async discard(): Promise<void> {
    if (this.bytes === undefined) await this.body.dump();
  }

  /** handleEvent: the deadline or the client aborted the call. */
  handleEvent(): void {
    const reason = this.deadline.reason instanceof Error ? this.deadline.reason : new Error('the upstream call was aborted');
    if (this.stream !== undefined) destroyQuietly(this.stream, reason);
    else this.abortFn?.(reason);
  }

  private unlisten(): void {
    if (!this.listening) return;
    this.listening = false;
    this.deadline.removeEventListener('abort', this);
  }

  onConnect(abort: (reason?: Error) => void): void {
    if (this.deadline.aborted) {
      abort(this.deadline.reason instanceof Error ? this.deadline.reason : new Error('the upstream call was aborted'));
      return;
    }
    this.abortFn = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    if (statusCode < 200) return true; // 1xx: informational, the real answer follows
    this.statusCode = statusCode;
    const headers = parseHeaders(rawHeaders);
    this.headers = headers;
    const length = headers['content-length'];
    const head = this.method === 'HEAD';
    if (head || (typeof length === 'string' && Number(length) <= BUFFERED_BODY_MAX_BYTES)) {
      // The deadline bounds the headers; the body has undici's between-chunks timeout, as a streamed one.
      this.deadline.pause();
      this.chunks = [];
      return true;
    }
    const stream = new BodyReadable({
      resume,
      abort: this.abortFn ?? noop,
      contentType: headerText(headers['content-type']),
      contentLength: !head && typeof length === 'string' ? Number(length) : null,
    });
    this.stream = stream;
    stream.once('close', () => this.unlisten());
    this.settle();
    return true;
  }

  onData(chunk: Buffer): boolean {
    const chunks = this.chunks;
    if (chunks !== undefined) {
      chunks.push(chunk);
      this.size += chunk.length;
      return true;
    }
    return (this.stream as UpstreamBodyStream).push(chunk);
  }

  onComplete(): void {
    const chunks = this.chunks;
    if (chunks !== undefined) {
      this.chunks = undefined;
      this.bytes = chunks.length === 1 ? (chunks[0] as Buffer) : chunks.length === 0 ? EMPTY_BODY : Buffer.concat(chunks, this.size);
      this.unlisten();
      this.settle();
      return;
    }
    this.stream?.push(null);
  }

  onError(err: Error): void {
    this.unlisten();
    const reject = this.reject;
    if (reject !== undefined) {
      this.resolve = undefined;
      this.reject = undefined;
      reject(err);
    }
    const stream = this.stream;
    // As undici does: queued handlers run before the stream is destroyed.
    if (stream !== undefined) queueMicrotask(() => destroyQuietly(stream, err));
  }

  private settle(): void {
    const resolve = this.resolve;
    this.resolve = undefined;
    this.reject = undefined;
    resolve?.(this);
  }
}

/** openExchange starts an exchange's promise: its handler is ready for undici's dispatch. */
export function openExchange(method: string, deadline: CallDeadline): UpstreamExchange {
  const exchange = new UpstreamExchange(method, deadline);
  pending = exchange;
  exchange.promise = new Promise(capture);
  pending = undefined;
  return exchange;
}

function headerText(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
