/**
 * One call's deadline and cancellation: a precise timer (undici's own timers
 * tick about once a second) and the client's signal, both aborting the
 * upstream request through one AbortController.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { CancelSignal } from '../core/operation.js';

function onDeadline(deadline: CallDeadline): void {
  deadline.timedOut = true;
  deadline.controller.abort(new Error('upstream deadline exceeded'));
}

/** CallDeadline bounds one upstream call, retries and queueing included. */
export class CallDeadline {
  readonly controller = new AbortController();
  /** Epoch ms after which the call has failed. */
  readonly at: number;
  timedOut = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    readonly timeoutMs: number,
    private readonly clientSignal: CancelSignal | undefined,
  ) {
    this.at = Date.now() + timeoutMs;
    // A module-level callback with an argument: no closure per call.
    this.timer = setTimeout(onDeadline, timeoutMs, this);
    if (clientSignal !== undefined) {
      if (clientSignal.aborted) this.controller.abort(clientSignal.reason);
      else clientSignal.addEventListener('abort', this);
    }
  }

  /** handleEvent relays the client's abort (EventListenerObject, so no closure is allocated). */
  handleEvent(): void {
    this.controller.abort(this.clientSignal?.reason);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** clientGone is true once the caller cancelled. */
  get clientGone(): boolean {
    return this.clientSignal?.aborted === true;
  }

  /** allows tells whether waiting `ms` still leaves time before the deadline. */
  allows(ms: number): boolean {
    return Date.now() + ms < this.at;
  }

  /** wait sleeps `ms`, cut short (rejecting) when the call is aborted. */
  wait(ms: number): Promise<void> {
    return sleep(ms, undefined, { signal: this.controller.signal });
  }

  /** settle stops the timer once headers arrived; the body has undici's between-chunks timeout. */
  settle(): void {
    clearTimeout(this.timer);
    this.clientSignal?.removeEventListener('abort', this);
  }
}
