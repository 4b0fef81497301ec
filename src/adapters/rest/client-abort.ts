/**
 * Client disconnects: a REST request whose client goes away before the answer
 * aborts its upstream call. The response's 'close' fires on both completion
 * and disconnect; only an unfinished response means the client left.
 */
import type { ServerResponse } from 'node:http';

const kAbort = Symbol('naftiko.clientAbort');

interface AbortableResponse extends ServerResponse {
  [kAbort]?: AbortController;
}

function abortIfUnfinished(this: AbortableResponse): void {
  if (!this.writableFinished) this[kAbort]?.abort();
}

/** clientAbortSignal returns a signal aborted when the client disconnects before `res` finishes. */
export function clientAbortSignal(res: ServerResponse): AbortSignal {
  const controller = new AbortController();
  (res as AbortableResponse)[kAbort] = controller;
  res.once('close', abortIfUnfinished);
  return controller.signal;
}
