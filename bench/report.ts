/**
 * Renders the benchmark results as Markdown tables: printed by `npm run bench`
 * and written into docs/performance.md by render-docs.ts.
 */
import { formatFamilyTable, type FamilyResults } from './family.js';
import { formatLedgerTable, type LedgerResults } from './ledger.js';
import type { MappingCost } from './jsonpath-cost.js';
import type { BootResult, UpstreamRun } from './run.js';
import type { TargetCheck } from './targets.js';

/** Results is what bench/results.json holds. */
export interface Results {
  readonly date: string;
  readonly machine: Record<string, string | number>;
  readonly runs: readonly UpstreamRun[];
  readonly boot: BootResult;
  readonly mapping: readonly MappingCost[];
  /** The capability-family run (bench/family.ts), absent from results written before it existed. */
  readonly family?: FamilyResults;
  /** The role-change ledger run (bench/ledger.ts), absent from results written before it existed. */
  readonly ledger?: LedgerResults;
  readonly targets?: readonly TargetCheck[];
  /** The 1-minute load average when the run ended (2 cores shared with other work: >2 means contended). */
  readonly load?: number;
  readonly durationSeconds: number;
}

/** formatTargets renders the issue's targets as reached or missed. */
export function formatTargets(targets: readonly TargetCheck[]): string {
  const lines = ['| target | goal | measured | |', '| --- | --- | ---: | --- |'];
  for (const t of targets) lines.push(`| ${t.target} | ${t.goal} | ${t.measured} | ${t.reached === undefined ? 'not measured' : t.reached ? 'reached' : '**missed**'} |`);
  return lines.join('\n');
}

const MB = 1024 * 1024;

function fixed(n: number, digits: number): string {
  return Number.isFinite(n) ? n.toFixed(digits) : 'n/a';
}

function mb(bytes: number | undefined): string {
  return bytes === undefined ? '—' : fixed(bytes / MB, 0);
}

function runTables(run: UpstreamRun): string {
  const lines = [
    `### Upstream: ${run.upstream === 'static' ? 'lean static upstream (bench/static-upstream.ts)' : 'Label Studio simulator'}`,
    '',
    '| variant | req/s | p50 ms | p99 ms | max ms | errors | server CPU µs/req | server RSS MB |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const v of run.variants) {
    const m = v.median;
    lines.push(`| ${v.name} | ${fixed(m.rps, 0)} | ${fixed(m.p50Ms, 1)} | ${fixed(m.p99Ms, 1)} | ${fixed(m.maxMs, 1)} | ${m.errors} | ${m.serverCpuUsPerRequest === undefined ? '—' : fixed(m.serverCpuUsPerRequest, 0)} | ${mb(v.peakRssBytes)} |`);
  }
  lines.push('', `Upstream process peak RSS: ${mb(run.upstreamPeakRssBytes)} MB.`, '');
  const rate = run.latency[0]?.median.rate ?? 0;
  lines.push(`Fixed rate ${rate} req/s (below the knee), GET organization 1:`, '', '| variant | p50 ms | p99 ms | max ms | errors |', '| --- | ---: | ---: | ---: | ---: |');
  for (const l of run.latency) lines.push(`| ${l.name} | ${fixed(l.median.p50Ms, 2)} | ${fixed(l.median.p99Ms, 2)} | ${fixed(l.median.maxMs, 2)} | ${l.median.errors} |`);
  lines.push('', '| ratio | value |', '| --- | ---: |');
  for (const [name, value] of Object.entries(run.ratios)) if (Number.isFinite(value)) lines.push(`| ${name} | ${fixed(value, 2)} |`);
  return lines.join('\n');
}

/** formatReport renders every table of a run. */
export function formatReport(results: Results): string {
  const m = results.machine;
  const parts = [
    `## Benchmark ${results.date} — ${m['nproc']} × ${m['cpu']}, Node ${m['node']}, ${m['platform']} (${fixed(results.durationSeconds, 0)} s${results.load === undefined ? '' : `, load average ${fixed(results.load, 1)} at the end`})`,
    '',
    ...(results.targets === undefined ? [] : ['### Targets', '', formatTargets(results.targets), '']),
    results.runs.map(runTables).join('\n\n'),
    '',
    `### Boot: ${results.boot.operations} operations`,
    '',
    '| load + compile ms | route registration ms | CPU ms (both) | heap MB | RSS MB | CLI spawn → ready ms | CLI CPU to ready ms | CLI RSS MB |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    `| ${fixed(results.boot.loadMs, 0)} | ${fixed(results.boot.registerMs, 0)} | ${fixed(results.boot.cpuMs, 0)} | ${mb(results.boot.heapUsedBytes)} | ${mb(results.boot.rssBytes)} | ${fixed(results.boot.cliReadyMs, 0)} | ${fixed(results.boot.cliReadyCpuMs, 0)} | ${mb(results.boot.cliRssBytes)} |`,
    '',
    '### Mapping cost per request (52 KB list body)',
    '',
    '| route | mapping | JSON.parse µs | map µs | JSON.stringify µs | output bytes |',
    '| --- | --- | ---: | ---: | ---: | ---: |',
    ...results.mapping.map((c) => `| ${c.route} | \`${c.mapping}\` | ${fixed(c.parseUs, 0)} | ${fixed(c.mapUs, 0)} | ${fixed(c.stringifyUs, 0)} | ${c.outputBytes} |`),
    '',
    ...(results.family === undefined ? [] : [formatFamilyTable(results.family), '']),
    ...(results.ledger === undefined ? [] : [formatLedgerTable(results.ledger), '']),
  ];
  return parts.join('\n');
}
