/**
 * Every shell block of README.md runs as written, in order, against the Label
 * Studio simulator, except blocks the README itself marks as not runnable here
 * (with the reason). The blocks use the README's fixed ports (8000, 8080,
 * 9090), so they run in a private network namespace (`unshare -rn`) where those
 * ports are free whatever else runs on the machine, and in a private PID
 * namespace, so nothing they start outlives the test. The working directory is
 * a scratch copy of the repository (node_modules linked), so `npm start`'s
 * build step and the embedded ledger never touch the checkout under test.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { track } from '../helpers/children.js';
import { TEST_DEADLINE_MS } from '../helpers/deadlines.js';
import { ROOT } from '../helpers/gateway-process.js';
import { shellBlocks, type ShellBlock } from '../helpers/shell-blocks.js';

const README = join(ROOT, 'README.md');
/** What the scratch copy needs: the package, its build inputs and outputs, the simulator, the example family. */
const COPIED = ['package.json', 'package-lock.json', 'tsconfig.json', 'capability.yaml', 'schemas', 'scripts', 'src', 'dist', 'test/fixtures/label-studio', 'examples/label-studio'];
const DEADLINE_S = Math.ceil(TEST_DEADLINE_MS / 1000);

function namespacesAvailable(): boolean {
  return spawnSync('unshare', ['-rn', '--pid', '--kill-child', 'ip', 'link', 'set', 'lo', 'up'], { stdio: 'ignore' }).status === 0;
}

/** driverScript runs the blocks in order; block N leaves out/N.out and out/N.status. */
function driverScript(blocks: readonly ShellBlock[]): string {
  const steps = blocks.map((b, n) => {
    if (b.skip !== undefined) return `echo skipped > out/${n}.status`;
    if (b.readyText !== undefined) {
      return [
        // Its own process group, so stopping it stops npm and the node it runs.
        `setsid bash -eo pipefail blocks/${n}.sh > out/${n}.out 2>&1 & echo $! >> out/background`,
        `pid=$!; status=timeout`,
        `for _ in $(seq 1 ${DEADLINE_S * 10}); do`,
        `  if grep -qF ${JSON.stringify(b.readyText)} out/${n}.out; then status=ready; break; fi`,
        `  if ! kill -0 $pid 2>/dev/null; then status=exited; break; fi`,
        `  sleep 0.1`,
        `done`,
        `echo $status > out/${n}.status`,
      ].join('\n');
    }
    return `timeout ${DEADLINE_S} bash -eo pipefail blocks/${n}.sh > out/${n}.out 2>&1; echo $? > out/${n}.status`;
  });
  return [
    'ip link set lo up',
    'touch out/background',
    ...steps,
    // Servers get SIGTERM (a graceful drain, the ledger closed) and a deadline; the PID namespace ends the rest.
    'for pid in $(cat out/background); do kill -TERM -- -$pid 2>/dev/null; done',
    `for pid in $(cat out/background); do for _ in $(seq 1 ${DEADLINE_S * 10}); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done; done`,
    '',
  ].join('\n');
}

function scratchCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'naftiko-readme-'));
  for (const path of COPIED) if (existsSync(join(ROOT, path))) cpSync(join(ROOT, path), join(dir, path), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  mkdirSync(join(dir, 'blocks'));
  mkdirSync(join(dir, 'out'));
  return dir;
}

t.test('README shell blocks run as written', { skip: namespacesAvailable() ? false : 'unshare -rn is not permitted here: the blocks use fixed ports, which need a private network namespace' }, async (t) => {
  const blocks = shellBlocks(readFileSync(README, 'utf8'));
  t.ok(blocks.length >= 5, `${blocks.length} shell blocks`);
  for (const b of blocks) if (b.skip !== undefined) t.comment(`README.md:${b.line} not run here: ${b.skip}`);
  t.ok(blocks.some((b) => b.readyText === 'gateway ready' && /\bnpm start\b/.test(b.script)), 'the tour starts the gateway with npm start');

  const dir = scratchCopy();
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  blocks.forEach((b, n) => writeFileSync(join(dir, 'blocks', `${n}.sh`), `${b.script}\n`));
  writeFileSync(join(dir, 'driver.sh'), driverScript(blocks));

  // A clean environment, as a newcomer's shell: no npm_* variables from the npm test that runs this.
  const env = { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? dir, LANG: 'C.UTF-8' };
  const child = track(spawn('unshare', ['-rn', '--pid', '--kill-child', 'bash', 'driver.sh'], { cwd: dir, env, stdio: 'ignore' }));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  t.equal(code, 0, 'the driver ran to the end');

  blocks.forEach((b, n) => {
    const status = readFileSync(join(dir, 'out', `${n}.status`), 'utf8').trim();
    const out = existsSync(join(dir, 'out', `${n}.out`)) ? readFileSync(join(dir, 'out', `${n}.out`), 'utf8') : '';
    const what = `README.md:${b.line} \`${b.script.split('\n')[0]}\``;
    // The block's output shows only when it fails.
    const output = { output: out.slice(-3000) };
    if (b.skip !== undefined) t.equal(status, 'skipped', `${what}: skipped`);
    else if (b.readyText !== undefined) t.equal(status, 'ready', `${what}: printed "${b.readyText}"`, output);
    else t.equal(status, '0', `${what}: exit 0`, output);
    // The tour's two calls answer what the README says they answer.
    if (/curl -sf localhost:8080\/v1\/api\/organizations\/1\b/.test(b.script) || /mcp-call -- get-organization-settings/.test(b.script)) {
      t.ok(/"title": ?"Acme Labeling"/.test(out), `${what}: organization 1's settings`, output);
    }
  });
});
