/**
 * `node --import tsx bench/ledger.ts [--quick] [--connections 16]`: what the role-change ledger
 * costs, side by side with the ledger off, in CPU (holds on a loaded machine):
 * - first boot (fresh embedded store) and a later boot: CPU seconds and peak RSS
 *   until "gateway ready", against the same capability with GATEWAY_LEDGER=off;
 * - a ledgered PATCH (the shipped capability's PATCH /v1/api/organizations/1,
 *   which declares x-ledger): gateway CPU per request and throughput, in
 *   alternating rounds against the ledger-off gateway.
 * Targets (issue 15): first boot ≤ off + 1 s CPU and ≤ off + 50 MB RSS; CPU per
 * ledgered PATCH ≤ off + 1.5 ms; throughput ≥ 0.5× off (checked in bench/targets.ts). `npm run bench`
 * runs it too (measureLedger); alone it prints the JSON, the table and the targets.
 * Only 127.0.0.1 traffic, bounded in time.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { saturate, type Target } from './load.js';
import { cpuSeconds, startGatewayChild, startJsonLineChild, type Child } from './processes.js';
import { formatTargets } from './report.js';
import { checkLedgerTargets } from './targets.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist', 'cli.js');
const CAPABILITY = join(ROOT, 'capability.yaml');

/** peakRssBytes reads VmHWM (the process's peak resident set) from /proc, or 0. */
function peakRssBytes(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? 0 : Number(m[1]) * 1024;
  } catch {
    return 0;
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

const round = (n: number, digits = 2): number => Number(n.toFixed(digits));

/** fdatasyncMs is the median time of one fdatasync of a small write in `dir`: the floor under every durable commit. */
async function fdatasyncMs(dir: string): Promise<number> {
  const file = await open(join(dir, 'sync-probe'), 'w');
  const times: number[] = [];
  try {
    for (let i = 0; i < 30; i++) {
      await file.write(`probe ${i}\n`);
      const started = performance.now();
      await file.datasync();
      times.push(performance.now() - started);
    }
  } finally {
    await file.close();
  }
  return median(times);
}

interface Boot {
  readonly cpuS: number;
  readonly peakRssMb: number;
}

async function boot(name: string, env: NodeJS.ProcessEnv, upstreamUrl: string, logFile: string): Promise<{ boot: Boot; child: Child; url: string }> {
  const { child, url } = await startGatewayChild(name, CLI, CAPABILITY, upstreamUrl, env, logFile);
  return { boot: { cpuS: cpuSeconds(child.pid), peakRssMb: peakRssBytes(child.pid) / 1048576 }, child, url };
}

interface PatchFigures {
  readonly rps: number;
  readonly cpuMsPerRequest: number;
  readonly errors: number;
}

/** LedgerResults are one run's figures (bench/results.json `ledger`). */
export interface LedgerResults {
  readonly fdatasyncMs: number;
  readonly rounds: number;
  readonly connections: number;
  readonly boot: { readonly ledgerOff: Boot; readonly firstBoot: Boot; readonly laterBoot: Boot };
  readonly secondProcessExitMs: number;
  readonly patch: { readonly ledgerOn: PatchFigures; readonly ledgerOff: PatchFigures };
}

/** measureLedger runs the ledger's bench (`npm run bench` calls it; `--quick`: one short round). */
export async function measureLedger(options: { quick: boolean; connections?: number; log?: (line: string) => void }): Promise<LedgerResults> {
  const rounds = options.quick ? 1 : 3;
  const seconds = options.quick ? 2 : 5;
  // 16 like `npm run bench`: concurrent changes share one WAL sync (group commit).
  const connections = options.connections ?? 16;
  options.log?.(`  ledger: ${rounds} round(s) of boots and ${seconds} s PATCH saturation`);
  const work = mkdtempSync(join(tmpdir(), 'naftiko-ledger-bench-'));
  const children: Child[] = [];
  try {
    const upstream = await startJsonLineChild<{ url: string; legacyToken: string }>('static upstream', ['--import', 'tsx', join(ROOT, 'bench', 'static-upstream.ts'), '--list-size', '10']);
    children.push(upstream.child);
    const base: NodeJS.ProcessEnv = { PATH: process.env['PATH'], HOME: process.env['HOME'], LABEL_STUDIO_API_KEY: upstream.info.legacyToken, GATEWAY_LOG_LEVEL: 'info' };

    // Boots: alternate off / first (fresh store) / later (same store again), one process at a time.
    const off: Boot[] = [];
    const first: Boot[] = [];
    const later: Boot[] = [];
    for (let r = 0; r < rounds; r++) {
      const offRun = await boot('ledger off', { ...base, GATEWAY_LEDGER: 'off' }, upstream.info.url, join(work, `off-${r}.log`));
      off.push(offRun.boot);
      await offRun.child.stop();
      const dir = join(work, `ledger-${r}`);
      const firstRun = await boot('ledger first boot', { ...base, GATEWAY_LEDGER_DIR: dir }, upstream.info.url, join(work, `first-${r}.log`));
      first.push(firstRun.boot);
      await firstRun.child.stop();
      const laterRun = await boot('ledger later boot', { ...base, GATEWAY_LEDGER_DIR: dir }, upstream.info.url, join(work, `later-${r}.log`));
      later.push(laterRun.boot);
      await laterRun.child.stop();
    }

    // A second process on a held store: how long until it gives up (target: within 3 s, node's start included).
    const holder = await boot('ledger holder', { ...base, GATEWAY_LEDGER_DIR: join(work, 'held') }, upstream.info.url, join(work, 'holder.log'));
    const refusals: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const started = performance.now();
      const code = await new Promise<number | null>((resolve) => {
        const proc = spawn(process.execPath, [CLI, 'serve', CAPABILITY, '--rest-port', '0', '--mcp-port', '0', '--ledger-dir', join(work, 'held')], { env: base, stdio: 'ignore' });
        proc.once('exit', resolve);
      });
      if (code !== 1) throw new Error(`the second process exited with ${String(code)}, not 1`);
      refusals.push(performance.now() - started);
    }
    await holder.child.stop();

    // PATCH: both gateways up, alternating saturation rounds; CPU per request from /proc.
    const ledgered = await boot('ledger on', { ...base, GATEWAY_LEDGER_DIR: join(work, 'patch-ledger') }, upstream.info.url, join(work, 'patch-on.log'));
    const unledgered = await boot('ledger off', { ...base, GATEWAY_LEDGER: 'off' }, upstream.info.url, join(work, 'patch-off.log'));
    children.push(ledgered.child, unledgered.child);
    const target = (url: string): Target => ({
      url: `${url}/v1/api/organizations/1`,
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'Acme Labeling' }),
    });
    const measure = async (child: Child, url: string): Promise<{ rps: number; cpuMsPerRequest: number; errors: number }> => {
      const before = cpuSeconds(child.pid);
      const s = await saturate(target(url), seconds, connections);
      const cpu = cpuSeconds(child.pid) - before;
      return { rps: s.rps, cpuMsPerRequest: (cpu * 1000) / Math.max(1, s.requests), errors: s.errors };
    };
    await saturate(target(ledgered.url), 1, 4); // warm-up
    await saturate(target(unledgered.url), 1, 4);
    const on: { rps: number; cpuMsPerRequest: number; errors: number }[] = [];
    const offPatch: { rps: number; cpuMsPerRequest: number; errors: number }[] = [];
    for (let r = 0; r < rounds; r++) {
      offPatch.push(await measure(unledgered.child, unledgered.url));
      on.push(await measure(ledgered.child, ledgered.url));
    }

    const report: LedgerResults = {
      // A ledgered PATCH waits for two WAL syncs (intent before the upstream call, outcome before the answer):
      // its throughput follows this disk's sync latency, which a machine shared with other work inflates.
      fdatasyncMs: round(await fdatasyncMs(work), 3),
      rounds,
      connections,
      boot: {
        ledgerOff: { cpuS: round(median(off.map((b) => b.cpuS))), peakRssMb: round(median(off.map((b) => b.peakRssMb)), 1) },
        firstBoot: { cpuS: round(median(first.map((b) => b.cpuS))), peakRssMb: round(median(first.map((b) => b.peakRssMb)), 1) },
        laterBoot: { cpuS: round(median(later.map((b) => b.cpuS))), peakRssMb: round(median(later.map((b) => b.peakRssMb)), 1) },
      },
      secondProcessExitMs: round(median(refusals), 0),
      patch: {
        ledgerOn: { rps: round(median(on.map((m) => m.rps)), 0), cpuMsPerRequest: round(median(on.map((m) => m.cpuMsPerRequest)), 3), errors: on.reduce((n, m) => n + m.errors, 0) },
        ledgerOff: { rps: round(median(offPatch.map((m) => m.rps)), 0), cpuMsPerRequest: round(median(offPatch.map((m) => m.cpuMsPerRequest)), 3), errors: offPatch.reduce((n, m) => n + m.errors, 0) },
      },
    };
    return report;
  } finally {
    await Promise.all(children.map((c) => c.stop()));
    rmSync(work, { recursive: true, force: true });
  }
}

const fixed = (n: number, digits: number): string => (Number.isFinite(n) ? n.toFixed(digits) : '—');

/** formatLedgerTable renders the ledger's figures as Markdown (bench/report.ts, so docs/performance.md). */
export function formatLedgerTable(r: LedgerResults): string {
  const b = r.boot;
  const p = r.patch;
  return [
    `### Role-change ledger: embedded SQLite store against the ledger off (medians of ${r.rounds} round(s))`,
    '',
    `The shipped capability; PATCH \`/v1/api/organizations/1\` (declares \`x-ledger\`: an intent durable before the upstream call and an outcome before the answer, committed and synced in groups with concurrent changes) at ${r.connections} connections against the static upstream, alternating with the ledger-off gateway (bench/ledger.ts). One fdatasync on this disk: ${fixed(r.fdatasyncMs, 3)} ms.`,
    '',
    '| | ledger off | ledger on |',
    '| --- | ---: | ---: |',
    `| first boot (fresh store): CPU s to ready | ${fixed(b.ledgerOff.cpuS, 2)} | ${fixed(b.firstBoot.cpuS, 2)} |`,
    `| first boot: peak RSS MB | ${fixed(b.ledgerOff.peakRssMb, 1)} | ${fixed(b.firstBoot.peakRssMb, 1)} |`,
    `| later boot: CPU s / peak RSS MB | — | ${fixed(b.laterBoot.cpuS, 2)} / ${fixed(b.laterBoot.peakRssMb, 1)} |`,
    `| PATCH requests/s | ${fixed(p.ledgerOff.rps, 0)} | ${fixed(p.ledgerOn.rps, 0)} |`,
    `| PATCH CPU ms per request | ${fixed(p.ledgerOff.cpuMsPerRequest, 3)} | ${fixed(p.ledgerOn.cpuMsPerRequest, 3)} |`,
    `| PATCH errors | ${p.ledgerOff.errors} | ${p.ledgerOn.errors} |`,
    `| a second process on a held store exits after, ms | — | ${fixed(r.secondProcessExitMs, 0)} |`,
  ].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { quick: { type: 'boolean' }, connections: { type: 'string' } }, strict: true });
  const results = await measureLedger({ quick: values.quick === true, connections: Number(values.connections ?? '16') });
  process.stdout.write(`${JSON.stringify(results, null, 2)}\n\n${formatLedgerTable(results)}\n\n${formatTargets(checkLedgerTargets(results))}\n`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`bench/ledger: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  });
}
