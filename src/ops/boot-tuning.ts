/**
 * V8 settings for the boot only (the entry, cli.ts, enters it once every module
 * is loaded; serve leaves it at "gateway ready", after which V8 runs with its own
 * settings again). Both were measured on the 1,000-operation capability and the
 * 400-operation family (docs/performance.md, "Boot"):
 *
 * - The young generation keeps the size module loading left it (growth factor 1).
 *   V8 doubles it (two semi-spaces, up to 16 MB each) whenever much of what it
 *   allocates survives, as nearly everything a boot builds does, and keeps the
 *   grown space until its memory reducer runs after several idle seconds: ~20 MB
 *   of RSS after the family's boot. Under load it grows as before.
 * - No TurboFan: boot code runs once, and optimizing its hot loops (YAML parsing,
 *   route inserts) on V8's background threads cost more CPU than it saved on the
 *   main thread (~10 % of the boot's CPU, ~+15 % of its main-thread time).
 *   Functions still hot after boot are optimized then.
 *
 * A setting the operator chose for V8 (a semi-space, TurboFan, Maglev or jitless
 * flag in NODE_OPTIONS or on node's command line) keeps that part untouched.
 */
import v8 from 'node:v8';

/** Each tuning: the operator flags that turn it off, and V8's flags during and after the boot (V8's defaults). */
const TUNINGS = [
  { operatorFlags: /semi[-_]space/, boot: '--semi-space-growth-factor=1', after: '--semi-space-growth-factor=2' },
  { operatorFlags: /turbofan|maglev|jitless|--(no-)?opt\b/, boot: '--no-turbofan', after: '--turbofan' },
] as const;

let applied: readonly (typeof TUNINGS)[number][] = [];

/** enterBoot applies the boot's V8 settings (once). */
export function enterBoot(): void {
  if (applied.length > 0) return;
  const chosen = `${process.execArgv.join(' ')} ${process.env['NODE_OPTIONS'] ?? ''}`;
  applied = TUNINGS.filter((t) => !t.operatorFlags.test(chosen));
  for (const t of applied) v8.setFlagsFromString(t.boot);
}

/** leaveBoot gives V8 its own settings back (a no-op outside a boot). */
export function leaveBoot(): void {
  for (const t of applied) v8.setFlagsFromString(t.after);
  applied = [];
}
