/**
 * Every child process a test starts is tracked here and killed when the test
 * process exits, whatever the exit path (teardown skipped by a failure, an
 * uncaught error, process.exit). Signal deaths are covered by orphan-guard.mjs,
 * which each child preloads.
 */
import type { ChildProcess } from 'node:child_process';
import { pathToFileURL } from 'node:url';

const live = new Set<ChildProcess>();

/** ORPHAN_GUARD is the node argument pair that preloads the orphan guard. */
export const ORPHAN_GUARD: readonly string[] = ['--import', pathToFileURL(new URL('./orphan-guard.mjs', import.meta.url).pathname).href];

function killAll(): void {
  for (const child of live) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

process.once('exit', killAll);

/** track registers `child` until it exits and returns it. */
export function track<T extends ChildProcess>(child: T): T {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** stopChild sends `signal`, escalates to SIGKILL after `graceMs`, and resolves with the exit code. */
export function stopChild(child: ChildProcess, exited: Promise<number | null>, signal: NodeJS.Signals, graceMs: number): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return exited;
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  timer.unref();
  return exited.finally(() => clearTimeout(timer));
}
