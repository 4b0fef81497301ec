/**
 * Client disconnects: a REST request whose client goes away before the answer
 * aborts its upstream call. The response's 'close' fires on both completion
 * and disconnect; only an unfinished response means the client left.
 *
 * A plain object rather than an AbortController: creating an EventTarget per
 * request (and listening on it) was ~4 % of a forwarded request's CPU, and the
 * call deadline is its only listener.
 */
import type { ServerResponse } from 'node:http';
import type { AbortListener, CancelSignal } from '../../core/operation.js';

const kLink = Symbol('naftiko.clientLink');

interface LinkedResponse extends ServerResponse {
  [kLink]?: ClientDisconnect;
}

/** ClientDisconnect is a CancelSignal that fires when the client leaves before its response is finished. */
class ClientDisconnect implements CancelSignal {
  aborted = false;
  reason: unknown = undefined;
  private listeners: AbortListener[] | undefined = undefined;

  addEventListener(_type: 'abort', listener: AbortListener): void {
    (this.listeners ??= []).push(listener);
  }

  removeEventListener(_type: 'abort', listener: AbortListener): void {
    const listeners = this.listeners;
    if (listeners === undefined) return;
    const i = listeners.indexOf(listener);
    if (i !== -1) listeners.splice(i, 1);
  }

  fire(): void {
    this.aborted = true;
    this.reason = new Error('the client closed the connection');
    const listeners = this.listeners;
    this.listeners = undefined;
    if (listeners === undefined) return;
    for (const listener of listeners) listener.handleEvent();
  }
}

function fireIfUnfinished(this: LinkedResponse): void {
  if (!this.writableFinished) this[kLink]?.fire();
}

/** clientAbortSignal returns a signal that fires when the client disconnects before `res` finishes. */
export function clientAbortSignal(res: ServerResponse): CancelSignal {
  const link = new ClientDisconnect();
  (res as LinkedResponse)[kLink] = link;
  // 'close' fires once per response, so on() (no once() wrapper) is enough.
  res.on('close', fireIfUnfinished);
  return link;
}
