/**
 * Boot memory. V8 doubles its young generation (two semi-spaces, up to 16 MB
 * each) whenever much of what it allocates survives, as nearly everything a
 * boot builds does, and keeps the grown space until its memory reducer runs
 * after several idle seconds: ~20 MB of RSS after the boot of a 400-operation
 * family. The entry (cli.ts) holds the young generation at the size module
 * loading left it (growth factor 1) while the capability is loaded and its
 * routes built; once the gateway is ready the growth is V8's own again, so
 * under load it grows as before. Measured in docs/performance.md ("Boot"):
 * RSS after boot ~20 MB lower, boot CPU no higher. An operator who tunes the
 * semi-space (`--max-semi-space-size` and the like, in NODE_OPTIONS or on
 * the command line) keeps exactly that.
 */
import v8 from 'node:v8';

/** V8's default `--semi-space-growth-factor`. */
const V8_GROWTH_FACTOR = 2;

let held = false;

function tunedByOperator(): boolean {
  return /semi[-_]space/.test(`${process.execArgv.join(' ')} ${process.env['NODE_OPTIONS'] ?? ''}`);
}

/** holdYoungGeneration stops the young generation from growing until releaseYoungGeneration. */
export function holdYoungGeneration(): void {
  if (held || tunedByOperator()) return;
  v8.setFlagsFromString('--semi-space-growth-factor=1');
  held = true;
}

/** releaseYoungGeneration gives the young generation's growth back to V8 (a no-op unless held). */
export function releaseYoungGeneration(): void {
  if (!held) return;
  v8.setFlagsFromString(`--semi-space-growth-factor=${V8_GROWTH_FACTOR}`);
  held = false;
}
