/**
 * Every ledger commit reaches the disk: a real gateway process runs under
 * strace, and the fsync/fdatasync calls on the ledger's write-ahead log are
 * counted while it records ledgered PATCHes (an intent and an outcome, two
 * commits, each), and that reading the ledger syncs nothing. Counted by the OS-level tool, not a mock. Without strace (or
 * ptrace permission) the test says so loudly and skips.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { startLabelStudio } from '../fixtures/label-studio/simulator.js';
import { CLI, ROOT } from '../helpers/gateway-process.js';
import { call } from './helpers.js';

const STRACE = '/usr/bin/strace';
const CAPABILITY = 'test/fixtures/capabilities/ledger.yaml';
const CHANGES = 40;
const SYNC_CALL = /\b(fsync|fdatasync)\((\d+)<([^>]*)>\)/;
const TIMED_SYNC_CALL = /^\d+\s+(\d+\.\d+)\s+(?:fsync|fdatasync)\(\d+<([^>]*)>(?:\)| <unfinished)/;

function straceWorks(): string | undefined {
  if (!existsSync(STRACE)) return `${STRACE} is not installed (apt-get install -y strace; .ci/run does)`;
  const probe = spawnSync(STRACE, ['-f', '-qq', '-e', 'trace=fsync', '-o', '/dev/null', 'true'], { encoding: 'utf8' });
  return probe.status === 0 ? undefined : `strace cannot trace here: ${probe.stderr.trim()}`;
}

/** walSyncs counts the sync calls on files ending in `suffix` in strace's output so far. */
function syncsOn(traceFile: string, suffix: string): number {
  let n = 0;
  for (const line of readFileSync(traceFile, 'utf8').split('\n')) {
    const m = SYNC_CALL.exec(line);
    if (m !== null && (m[3] as string).endsWith(suffix)) n++;
  }
  return n;
}

/**
 * walSyncTimes are the start times (strace -ttt: epoch seconds at the call's entry) of the sync calls on files ending
 * in `suffix`, a call split by another thread's output (`<unfinished ...>`) included.
 */
function walSyncTimes(traceFile: string, suffix: string): number[] {
  const times: number[] = [];
  for (const line of readFileSync(traceFile, 'utf8').split('\n')) {
    const m = TIMED_SYNC_CALL.exec(line);
    if (m !== null && (m[2] as string).endsWith(suffix)) times.push(Number(m[1]));
  }
  return times;
}

/** waitForReady resolves with the REST url from the 'gateway ready' line. */
function waitForReady(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no 'gateway ready' within 60 s: ${out}`)), 60_000);
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      for (const line of out.split('\n')) {
        if (!line.includes('"gateway ready"')) continue;
        clearTimeout(timer);
        resolve((JSON.parse(line) as { rest: string }).rest);
        return;
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited with ${String(code)}: ${out}`));
    });
  });
}

const unavailable = straceWorks();
if (unavailable !== undefined) process.stderr.write(`\n*** SKIPPED: the fsync count needs strace: ${unavailable} ***\n\n`);

t.test('every ledger commit is synced to disk (strace counts fsync/fdatasync on the WAL)', { skip: unavailable === undefined ? false : `SKIPPED: ${unavailable}` }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ngw-durable-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const sim = await startLabelStudio();
  t.teardown(() => sim.close());
  const traceFile = join(dir, 'strace.txt');
  // -y prints each descriptor's path, so syncs of the ledger's WAL are told apart from anything else.
  const child = spawn(STRACE, ['-f', '-qq', '-y', '-ttt', '-e', 'trace=fsync,fdatasync', '-o', traceFile, process.execPath, CLI, 'serve', CAPABILITY, '--rest-port', '0', '--mcp-port', '0', '--ledger-dir', join(dir, 'ledger')], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '', LABEL_STUDIO_API_KEY: sim.legacyToken, GATEWAY_BASE_URI: sim.url },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.teardown(() => {
    // Killing strace alone would leave the traced gateway running: kill strace's children (the gateway) first.
    const tracer = child.pid;
    if (tracer !== undefined && child.exitCode === null) {
      const children = readFileSync(`/proc/${tracer}/task/${tracer}/children`, 'utf8').trim().split(/\s+/).filter((p) => p !== '');
      for (const pid of children) process.kill(Number(pid), 'SIGKILL');
      child.kill('SIGKILL');
    }
  });
  const url = await waitForReady(child);
  const before = syncsOn(traceFile, 'ledger.db-wal');
  for (let i = 0; i < CHANGES; i++) {
    // Moves between seat-holding roles: every change is allowed, so each is an intent and an outcome commit.
    const res = await call(url, 'PATCH', '/v1/enforce/1/memberships', { user_id: 15, role: i % 2 === 0 ? 'AN' : 'RE' });
    t.equal(res.status, 200, `change ${i}`);
  }
  const commits = 2 * CHANGES;
  // strace's -o file trails the traced process (seen 1-3 lines behind the last answer when answers come fast):
  // read it until it holds every commit's sync, or for at most 10 s.
  const deadline = Date.now() + 10_000;
  let walSyncs = syncsOn(traceFile, 'ledger.db-wal') - before;
  while (walSyncs < commits && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    walSyncs = syncsOn(traceFile, 'ledger.db-wal') - before;
  }
  t.comment(`${walSyncs} syncs of ledger.db-wal for ${commits} commits (${(walSyncs / commits).toFixed(2)} per commit)`);
  t.ok(walSyncs >= commits, `at least one sync per commit (${walSyncs} >= ${commits})`);
  t.ok(walSyncs <= commits + 4, `about one per commit, not a sync storm (${walSyncs})`);
  // Reads commit nothing, so they wait for no sync (the ledger is quiet: nothing they read is still unsynced).
  // Counted by time, as the trace file trails the gateway: syncs that started between the first read and the last
  // answer, once a change made after the reads shows its sync in the file (strace writes calls in order).
  const readsFrom = Date.now() / 1000;
  for (let i = 0; i < 20; i++) {
    const res = await call(url, 'GET', '/v1/ledger?limit=5');
    t.equal(res.status, 200, `read ${i}`);
  }
  const readsUntil = Date.now() / 1000;
  const marker = await call(url, 'PATCH', '/v1/enforce/1/memberships', { user_id: 15, role: CHANGES % 2 === 0 ? 'AN' : 'RE' });
  t.equal(marker.status, 200, 'a change after the reads');
  const markerDeadline = Date.now() + 10_000;
  while (!walSyncTimes(traceFile, 'ledger.db-wal').some((at) => at > readsUntil) && Date.now() < markerDeadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const times = walSyncTimes(traceFile, 'ledger.db-wal');
  t.ok(times.some((at) => at > readsUntil), 'the change after the reads shows its sync');
  t.equal(times.filter((at) => at >= readsFrom && at <= readsUntil).length, 0, 'reading the ledger syncs nothing');
});
