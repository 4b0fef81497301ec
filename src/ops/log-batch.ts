/**
 * Batched log output: lines are appended to one pending string and handed to
 * sonic-boom (asynchronous writes to stdout) every BATCH_CHARS or LOG_FLUSH_MS,
 * whichever comes first. sonic-boom measures the UTF-8 length of its whole
 * pending buffer on every write, which costs more per line the larger its own
 * buffer is; here each line costs one string append, and a write syscall (and its
 * thread-pool round trip) carries ~16 KB of lines instead of ~4 KB.
 */
import { writeSync } from 'node:fs';
import type { destination, DestinationStream } from 'pino';

type SonicBoom = ReturnType<typeof destination>;

/** LOG_FLUSH_MS bounds how long a line may wait before it is written. */
export const LOG_FLUSH_MS = 100;
/** BATCH_CHARS: a batch this long is written at once (sonic-boom's own maxWrite is 16 KiB). */
const BATCH_CHARS = 16_000;

function flushBatch(batch: LogBatch): void {
  batch.push();
}

// One exit listener for every batch, ahead of pino's own exit flush of their streams (registered when
// those were built), so nothing pending is lost.
const live = new Set<LogBatch>();
let exitHooked = false;
function flushAllSync(): void {
  for (const batch of live) batch.flushSync();
}

/** LogBatch is a pino destination in front of a sonic-boom stream. */
export class LogBatch implements DestinationStream {
  private pending = '';
  private timer: NodeJS.Timeout | undefined = undefined;

  constructor(
    private readonly out: SonicBoom,
    private readonly fd: number,
  ) {
    live.add(this);
    if (!exitHooked) {
      exitHooked = true;
      process.prependListener('exit', flushAllSync);
    }
  }

  write(line: string): void {
    this.pending += line;
    if (this.pending.length >= BATCH_CHARS) this.push();
    else if (this.timer === undefined) {
      this.timer = setTimeout(flushBatch, LOG_FLUSH_MS, this);
      this.timer.unref();
    }
  }

  /** push hands the pending lines to sonic-boom. */
  push(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.pending.length === 0) return;
    const text = this.pending;
    this.pending = '';
    this.out.write(text);
  }

  /** flush is pino's `logger.flush(cb)`: everything pending goes out, then `cb`. */
  flush(cb?: (err?: Error) => void): void {
    this.push();
    this.out.flush(cb);
  }

  /** flushSync writes what is pending synchronously (process exit). */
  flushSync(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const text = this.pending;
    this.pending = '';
    try {
      this.out.flushSync();
    } catch {
      // Not writable any more (closed, EPIPE): the lines below get their own try.
    }
    if (text.length === 0) return;
    try {
      writeSync(this.fd, text);
    } catch {
      // Nothing left to tell it to.
    }
  }
}
