/**
 * `npm start`'s build step (scripts/build-if-stale.ts): a current dist/ is left
 * alone, a stale or missing one is transpiled (no type-check), and the result runs.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { TEST_DEADLINE_MS } from '../helpers/deadlines.js';
import { ROOT } from '../helpers/gateway-process.js';

function buildIfStale(dir: string): string {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/build-if-stale.ts'], { cwd: dir, encoding: 'utf8', timeout: TEST_DEADLINE_MS });
  if (run.status !== 0) throw new Error(`build-if-stale exited ${String(run.status)}: ${run.stderr}`);
  return run.stderr;
}

t.test('transpiles a missing or stale dist/, leaves a current one alone', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'naftiko-start-build-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const path of ['package.json', 'tsconfig.json', 'scripts', 'src', 'capability.yaml', 'schemas']) cpSync(join(ROOT, path), join(dir, path), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));

  t.match(buildIfStale(dir), /^transpiled \d+ files to dist\//, 'a fresh clone: transpiled');
  const check = spawnSync(process.execPath, ['dist/cli.js', 'check', 'capability.yaml'], { cwd: dir, encoding: 'utf8', env: { PATH: process.env['PATH'], LABEL_STUDIO_API_KEY: 'x' } });
  t.equal(check.status, 0, `the transpiled CLI runs: ${check.stderr}`);
  const hash = readFileSync(join(dir, 'dist', '.source-hash'), 'utf8');

  t.equal(buildIfStale(dir), '', 'unchanged sources: nothing to do');

  appendFileSync(join(dir, 'src', 'version.ts'), '\n// changed\n');
  t.match(buildIfStale(dir), /^transpiled/, 'a changed source: transpiled again');
  t.not(readFileSync(join(dir, 'dist', '.source-hash'), 'utf8'), hash, 'the recorded hash follows the sources');

  // A dist/ that tsc wrote after the sources counts as current (here: every output touched later, no hash kept).
  rmSync(join(dir, 'dist', '.source-hash'));
  const later = new Date(Date.now() + 60_000);
  for (const file of readdirSync(join(dir, 'dist'), { recursive: true, encoding: 'utf8' })) utimesSync(join(dir, 'dist', file), later, later);
  t.equal(buildIfStale(dir), '', 'outputs newer than every source: nothing to do');
  t.ok(existsSync(join(dir, 'dist', '.source-hash')), 'and the hash is recorded');
  // A source edited after that build, without a recorded hash to compare: its mtime says stale.
  rmSync(join(dir, 'dist', '.source-hash'));
  const edited = new Date(Date.now() + 120_000);
  appendFileSync(join(dir, 'src', 'version.ts'), '// again\n');
  utimesSync(join(dir, 'src', 'version.ts'), edited, edited);
  t.match(buildIfStale(dir), /^transpiled/, 'a source newer than its output: transpiled');
});
