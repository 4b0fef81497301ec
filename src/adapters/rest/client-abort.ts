/**
 * Client disconnects: a REST request whose client goes away before the answer
 * aborts its upstream call. The response's 'close' fires on both completion
 * and disconnect; only an unfinished response means the client left.
 *
 * A LightSignal rather than an AbortController: creating an EventTarget per
 * request (and listening on it) was ~4 % of a forwarded request's CPU, and the
 * call deadline is its only listener.
 */
import type { ServerResponse } from 'node:http';
import type { CancelSignal } from '../../core/operation.js';
import { LightSignal } from '../../upstream/deadline.js';

const kLink = Symbol('naftiko.clientLink');

interface LinkedResponse extends ServerResponse {
  [kLink]?: LightSignal;
}

const CLIENT_CLOSED = 'the client closed the connection';

function fireIfUnfinished(this: LinkedResponse): void {
  if (!this.writableFinished) this[kLink]?.fire(new Error(CLIENT_CLOSED));
}

/** clientAbortSignal returns a signal that fires when the client disconnects before `res` finishes. */
export function clientAbortSignal(res: ServerResponse): CancelSignal {
  const link = new LightSignal();
  (res as LinkedResponse)[kLink] = link;
  // 'close' fires once per response, so on() (no once() wrapper) is enough.
  res.on('close', fireIfUnfinished);
  return link;
}
