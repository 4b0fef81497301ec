/**
 * The boot's V8 settings (src/ops/boot-tuning.ts), in a fresh process: between
 * enterBoot and leaveBoot the young generation keeps its size however much of
 * what is allocated survives; after leaveBoot V8 grows it again. An operator's
 * own semi-space flag turns the hold off.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import t from 'tap';

const MODULE = fileURLToPath(new URL('../../src/ops/boot-tuning.ts', import.meta.url));

// Sizes of the young generation (MB): at enterBoot, after ~40 MB of surviving objects, and after as many more past leaveBoot.
const SCRIPT = `
import v8 from 'node:v8';
import { enterBoot, leaveBoot } from ${JSON.stringify(MODULE)};
const mb = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size / 2 ** 20;
const retain = (n) => { const kept = []; for (let i = 0; i < n * 8000; i++) kept.push({ i, name: 'n' + i, list: [i] }); return kept; };
enterBoot();
const atStart = mb();
const boot = retain(40);
const duringBoot = mb();
leaveBoot();
const after = retain(40);
console.log(JSON.stringify({ atStart, duringBoot, afterBoot: mb(), kept: boot.length + after.length }));
`;

function run(nodeOptions: string[]): { atStart: number; duringBoot: number; afterBoot: number } {
  const child = spawnSync(process.execPath, [...nodeOptions, '--import', 'tsx', '--input-type=module', '-e', SCRIPT], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' }, timeout: 60_000 });
  if (child.status !== 0) throw new Error(`child failed (${String(child.status)}): ${child.stderr}`);
  return JSON.parse(child.stdout) as { atStart: number; duringBoot: number; afterBoot: number };
}

t.test('the young generation keeps its size during the boot and grows again after it', async (t) => {
  const sizes = run([]);
  t.ok(sizes.atStart < 16, `a small young generation to start with (${sizes.atStart} MB)`);
  t.equal(sizes.duringBoot, sizes.atStart, 'held during the boot');
  t.ok(sizes.afterBoot > sizes.atStart, `grown after it (${sizes.afterBoot} MB)`);
});

t.test("an operator's semi-space flag is left alone", async (t) => {
  const sizes = run(['--max-semi-space-size=8']);
  t.ok(sizes.duringBoot > sizes.atStart, `V8 grows it during the boot too (${sizes.atStart} → ${sizes.duringBoot} MB)`);
  t.ok(sizes.duringBoot <= 16, 'up to the operator\'s 2 × 8 MB');
});
