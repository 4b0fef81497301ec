/**
 * The speed and size targets of issues 19, 16 (capability families) and 15 (the ledger), checked against one run's results.
 * Ratios compare servers measured side by side in the same run; CPU figures
 * are the server processes' own CPU time per request (/proc/<pid>/stat), so
 * they hold when other work shares the machine, where throughput does not.
 */
import type { FamilyResults } from './family.js';
import type { LedgerResults } from './ledger.js';
import type { MappingCost } from './jsonpath-cost.js';
import type { BootResult, UpstreamRun, VariantResult } from './run.js';

/** TargetCheck is one target: what was asked, what was measured, and whether it holds. */
export interface TargetCheck {
  readonly target: string;
  readonly goal: string;
  readonly measured: string;
  /** undefined when the run did not measure it (a --quick run skips some variants). */
  readonly reached: boolean | undefined;
}

const MB = 1024 * 1024;

function median(values: readonly number[]): number {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  return sorted.length === 0 ? Number.NaN : (sorted[Math.floor(sorted.length / 2)] as number);
}

function variant(run: UpstreamRun, name: string): VariantResult | undefined {
  return run.variants.find((v) => v.name === name);
}

/** cpuUs is the median over rounds of a server's CPU per request. */
export function cpuUs(run: UpstreamRun, name: string): number {
  return median((variant(run, name)?.rounds ?? []).map((r) => r.serverCpuUsPerRequest ?? Number.NaN));
}

function rps(run: UpstreamRun, name: string): number {
  return variant(run, name)?.median.rps ?? Number.NaN;
}

function p99(run: UpstreamRun, name: string): number {
  return run.latency.find((l) => l.name === name)?.median.p99Ms ?? Number.NaN;
}

function check(target: string, goal: string, measured: number, limit: number, atMost: boolean, unit: string, digits = 2): TargetCheck {
  const reached = Number.isFinite(measured) && Number.isFinite(limit) ? (atMost ? measured <= limit : measured >= limit) : undefined;
  return { target, goal, measured: Number.isFinite(measured) ? `${measured.toFixed(digits)}${unit}` : 'not measured', reached };
}

/**
 * checkFamilyTargets evaluates issue 16's targets on a family run; the label names the family's size
 * (a --quick run measures a smaller family than the targets' 74 capabilities / 400 operations).
 */
export function checkFamilyTargets(f: FamilyResults): TargetCheck[] {
  const family = `${f.capabilities}-capability / ${f.operations}-operation family`;
  return [
    check(`${family}: check of the folder (wall)`, '< 1000 ms', f.checkMs, 1000, true, ' ms', 0),
    // As for the boot target, CPU time too: wall time grows with whatever else shares the 2 cores.
    check(`${family}: check of the folder (CPU)`, '< 1000 ms', f.checkCpuMs, 1000, true, ' ms', 0),
    check(`${family}: start to ready (wall)`, '< 1500 ms', f.family.readyMs, 1500, true, ' ms', 0),
    check(`${family}: start to ready (CPU)`, '< 1500 ms', f.family.readyCpuMs, 1500, true, ' ms', 0),
    check(`${family}: RSS 0.5 s after ready`, '< 120 MB', f.family.rssMb, 120, true, ' MB', 1),
    check(`${family}: CPU per request`, '≤ 1.10× one of its capabilities alone', f.cpuUsPerRequest.ratio, 1.1, true, '×', 3),
  ];
}

/** checkLedgerTargets evaluates issue 15's targets: the embedded ledger against the ledger off, side by side. */
export function checkLedgerTargets(r: LedgerResults): TargetCheck[] {
  const b = r.boot;
  const p = r.patch;
  return [
    check('ledger: first boot CPU', `≤ ledger off + 1 s = ${(b.ledgerOff.cpuS + 1).toFixed(2)} s`, b.firstBoot.cpuS, b.ledgerOff.cpuS + 1, true, ' s'),
    check('ledger: first boot peak RSS', `≤ ledger off + 50 MB = ${(b.ledgerOff.peakRssMb + 50).toFixed(0)} MB`, b.firstBoot.peakRssMb, b.ledgerOff.peakRssMb + 50, true, ' MB', 1),
    check('ledger: CPU per ledgered PATCH', `≤ ledger off + 1.5 ms = ${(p.ledgerOff.cpuMsPerRequest + 1.5).toFixed(2)} ms`, p.ledgerOn.cpuMsPerRequest, p.ledgerOff.cpuMsPerRequest + 1.5, true, ' ms', 3),
    check('ledger: PATCH throughput', '≥ 0.5× ledger off', p.ledgerOn.rps / p.ledgerOff.rps, 0.5, false, '×'),
    check('ledger: a second process on a held store exits', '≤ 3000 ms', r.secondProcessExitMs, 3000, true, ' ms', 0),
  ];
}

/** checkTargets evaluates every target on the static-upstream run (the fair comparison), the boot, the mapping costs and the family. */
export function checkTargets(run: UpstreamRun | undefined, boot: BootResult, mapping: readonly MappingCost[], family?: FamilyResults, ledger?: LedgerResults): TargetCheck[] {
  const checks: TargetCheck[] = [];
  if (run !== undefined) {
    const fwdCpu = cpuUs(run, 'minimal forwarder');
    checks.push(check('identity GET throughput', '≥ 1.0× minimal forwarder', rps(run, 'gateway') / rps(run, 'minimal forwarder'), 1.0, false, '×'));
    checks.push(check('identity GET CPU per request', '≤ 1.1× minimal forwarder', cpuUs(run, 'gateway') / fwdCpu, 1.1, true, '×'));
    checks.push(check('identity GET throughput, inbound keys on', '≥ 1.0× minimal forwarder', rps(run, 'gateway, inbound keys') / rps(run, 'minimal forwarder'), 1.0, false, '×'));
    checks.push(check('identity GET CPU per request, inbound keys on', '≤ 1.1× minimal forwarder', cpuUs(run, 'gateway, inbound keys') / fwdCpu, 1.1, true, '×'));
    checks.push(check('identity GET throughput vs @fastify/http-proxy', '≥ 1.6×', rps(run, 'gateway') / rps(run, '@fastify/http-proxy'), 1.6, false, '×'));
    // Bodies and large streamed answers get the identity GET's goals (a ledgered PATCH has issue 15's own).
    checks.push(check('validated PATCH throughput, ledger off', '≥ 1.0× minimal forwarder', rps(run, 'gateway PATCH, ledger off') / rps(run, 'minimal forwarder PATCH'), 1.0, false, '×'));
    checks.push(check('validated PATCH CPU per request, ledger off', '≤ 1.1× minimal forwarder', cpuUs(run, 'gateway PATCH, ledger off') / cpuUs(run, 'minimal forwarder PATCH'), 1.1, true, '×'));
    checks.push(check('large streamed GET (~105 KB) throughput', '≥ 1.0× minimal forwarder', rps(run, 'gateway large GET') / rps(run, 'minimal forwarder large GET'), 1.0, false, '×'));
    checks.push(check('large streamed GET (~105 KB) CPU per request', '≤ 1.1× minimal forwarder', cpuUs(run, 'gateway large GET') / cpuUs(run, 'minimal forwarder large GET'), 1.1, true, '×'));
    const identity = cpuUs(run, 'gateway list identity');
    for (const cost of mapping) {
      const name = cost.mapping.includes('[{') ? 'gateway list [{id,title}]' : 'gateway list $[*].id';
      const allowed = identity + 1.2 * (cost.parseUs + cost.mapUs + cost.stringifyUs);
      checks.push(check(`mapped route ${name.slice('gateway list '.length)} CPU per request`, `≤ identity + 1.2 × parse+map+stringify = ${allowed.toFixed(0)} µs`, cpuUs(run, name), allowed, true, ' µs', 0));
    }
    const added = p99(run, 'gateway') - p99(run, 'direct');
    const fwdAdded = p99(run, 'minimal forwarder') - p99(run, 'direct');
    checks.push(check('added p99 at a fixed rate', `≤ forwarder's added p99 + 0.3 ms = ${(fwdAdded + 0.3).toFixed(2)} ms`, added, fwdAdded + 0.3, true, ' ms'));
    const fwdRss = variant(run, 'minimal forwarder')?.peakRssBytes ?? Number.NaN;
    const ledgerOffRss = variant(run, 'gateway PATCH, ledger off')?.peakRssBytes ?? Number.NaN;
    checks.push(check('RSS under load, ledger off', `≤ minimal forwarder + 30 MB = ${((fwdRss + 30 * MB) / MB).toFixed(0)} MB`, ledgerOffRss / MB, (fwdRss + 30 * MB) / MB, true, ' MB', 0));
    // The shipped gateway's process also serves the MCP rounds (interleaved with its GET rounds), so its peak is
    // the process's peak under both loads.
    const shippedRss = variant(run, 'gateway')?.peakRssBytes ?? Number.NaN;
    checks.push(check('RSS under load, shipped capability (GET and MCP rounds)', `≤ minimal forwarder + 30 MB = ${((fwdRss + 30 * MB) / MB).toFixed(0)} MB`, shippedRss / MB, (fwdRss + 30 * MB) / MB, true, ' MB', 0));
    checks.push(check('MCP tools/call CPU per call', '≤ 1.5× the same REST call', cpuUs(run, 'MCP tools/call') / cpuUs(run, 'gateway'), 1.5, true, '×'));
  }
  checks.push(check(`${boot.operations}-operation capability: start to ready (wall)`, '< 1000 ms', boot.cliReadyMs, 1000, true, ' ms', 0));
  checks.push(check(`${boot.operations}-operation capability: start to ready (CPU)`, '< 1000 ms', boot.cliReadyCpuMs, 1000, true, ' ms', 0));
  if (family !== undefined) checks.push(...checkFamilyTargets(family));
  if (ledger !== undefined) checks.push(...checkLedgerTargets(ledger));
  return checks;
}
