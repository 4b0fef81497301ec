/**
 * `node --import tsx bench/family.ts [--quick]`: what serving a whole API family costs
 * (docs/families.md "Figures"). Generates a family of 74 capabilities / 400 operations (all on
 * one upstream and one credential, REST 8080, MCP 9090) and measures, against bench's static
 * upstream, each server in its own process on 127.0.0.1:
 *
 * - `check <folder>` wall time (process start to exit), median of 3;
 * - serve start to "gateway ready" and RSS after boot, the family and one of its capabilities alone;
 * - CPU per forwarded request (the same route, of the last capability loaded) for the family and that capability alone,
 *   interleaved rounds, median: route lookup must not grow with the number of routes;
 * - router lookup time of fastify itself with 400 routes and with 6 (in this process).
 *
 * `npm run bench` runs it (bench/run.ts: targets in bench/targets.ts, tables in docs/performance.md);
 * run alone, it prints the table and the targets. `--quick` measures a 12-capability / 60-operation family.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import FindMyWay from 'find-my-way';
import { generateCapability } from './generate-capability.js';
import { saturate } from './load.js';
import { cpuSeconds, rssBytes, startGatewayChild, startJsonLineChild, type Child } from './processes.js';
import { formatTargets } from './report.js';
import { checkFamilyTargets } from './targets.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist', 'cli.js');
const TSX = ['--import', 'tsx'];

/** FAMILY_CAPABILITIES and FAMILY_OPERATIONS are the size of Label Studio's published family. */
export const FAMILY_CAPABILITIES = 74;
export const FAMILY_OPERATIONS = 400;

/** operationsOf spreads the operations over the capabilities (the first ones get one more). */
function operationsOf(index: number, capabilities: number, operations: number): number {
  const base = Math.floor(operations / capabilities);
  return base + (index < operations % capabilities ? 1 : 0);
}

/**
 * generateFamilyMember is one area (bench/generate-capability.ts): operation 0 a GET of
 * `/api/organizations/{id}` (the route the CPU rounds call, answered by bench's static upstream),
 * the others GETs and schema-validated PATCHes; each a REST route and an MCP tool.
 */
export function generateFamilyMember(index: number, count: number, capabilities = FAMILY_CAPABILITIES): string {
  return generateCapability(count, {
    namespace: `area${index}`,
    label: `Generated area ${index}`,
    description: `${count} generated operations of a ${capabilities}-capability family.`,
    area: `area${index}`,
    firstRoute: { exposed: `/v1/area${index}/organizations/{id}`, upstream: '/api/organizations/{id}' },
    headersAndMappings: false,
    mcp: true,
    maxLengthBase: 100 + index * 10,
  });
}

/** writeFamily writes the family into `dir` and returns the file of the last area (the single-capability variant). */
export function writeFamily(dir: string, capabilities = FAMILY_CAPABILITIES, operations = FAMILY_OPERATIONS): string {
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < capabilities; i++) writeFileSync(join(dir, `area${String(i).padStart(2, '0')}.yaml`), generateFamilyMember(i, operationsOf(i, capabilities, operations), capabilities));
  return join(dir, `area${String(capabilities - 1).padStart(2, '0')}.yaml`);
}

/**
 * childrenCpuSeconds is the CPU time of this process's exited, waited-for children (Linux
 * /proc/self/stat cutime + cstime): a child's CPU stays meaningful when other work shares the machine.
 */
function childrenCpuSeconds(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8');
  const after = fields.slice(fields.lastIndexOf(')') + 2).split(' ');
  return (Number(after[13]) + Number(after[14])) / 100;
}

function runForMs(args: readonly string[], env: NodeJS.ProcessEnv): Promise<{ ms: number; cpuMs: number; code: number | null; out: string }> {
  const started = performance.now();
  const cpuBefore = childrenCpuSeconds();
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout.on('data', (c: Buffer) => (out += c.toString()));
    proc.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const timer = setTimeout(() => proc.kill('SIGKILL'), 60_000);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ ms: performance.now() - started, cpuMs: (childrenCpuSeconds() - cpuBefore) * 1000, code, out });
    });
  });
}

function median(values: readonly number[]): number {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  return sorted.length === 0 ? Number.NaN : (sorted[Math.floor(sorted.length / 2)] as number);
}

/** BootFigures are one gateway's start. */
export interface BootFigures {
  readonly readyMs: number;
  /** CPU the gateway process used until ready (wall time grows on a shared machine; this does not). */
  readonly readyCpuMs: number;
  readonly rssMb: number;
}

/** FamilyResults is everything bench/family.ts measures. */
export interface FamilyResults {
  readonly capabilities: number;
  readonly operations: number;
  readonly checkMs: number;
  readonly checkCpuMs: number;
  /** `check capability.yaml` (one file), the baseline of what check costs at all (node start, modules). */
  readonly checkOneCpuMs: number;
  readonly family: BootFigures;
  /** The boots with the ledger off (full runs only). */
  readonly familyLedgerOff?: BootFigures;
  readonly single: BootFigures;
  readonly singleLedgerOff?: BootFigures;
  /** RSS once both gateways have been idle long enough for V8's memory reducer to shrink the young generation (full runs only). */
  readonly idleRssMb?: { readonly family: number; readonly single: number; readonly afterSeconds: number };
  /** The family with V8's young generation capped (`NODE_OPTIONS=--max-semi-space-size=8`, docs/families.md): boot and CPU per request (full runs only). */
  readonly cappedYoungGeneration?: { readonly boot: BootFigures; readonly cpuUsPerRequest: number };
  readonly cpuUsPerRequest: { readonly family: number; readonly single: number; readonly ratio: number; readonly rounds: number };
  readonly routerLookupNs: { readonly routes400: number; readonly routes6: number };
}

async function boot(name: string, capability: string, upstream: string, env: NodeJS.ProcessEnv, logDir: string): Promise<{ child: Child; url: string; figures: BootFigures }> {
  const started = performance.now();
  const { child, url } = await startGatewayChild(name, CLI, capability, upstream, env, join(logDir, `${name.replace(/\W+/g, '-')}.log`));
  const readyMs = performance.now() - started;
  const readyCpuMs = cpuSeconds(child.pid) * 1000;
  // RSS once boot's garbage has had a moment to be collected, as a scrape a few seconds after start would see it.
  await new Promise((r) => setTimeout(r, 500));
  return { child, url, figures: { readyMs, readyCpuMs, rssMb: rssBytes(child.pid) / 1024 / 1024 } };
}

/** routerLookupNs times the lookup fastify does per request (find-my-way `find`, the gateway's router options) among `routes` routes. */
function routerLookupNs(routes: number, iterations: number): number {
  const router = FindMyWay({ ignoreTrailingSlash: true, maxParamLength: 256 });
  const handler = (): void => undefined;
  for (let i = 0; i < routes - 1; i++) router.on(i % 3 === 0 ? 'PATCH' : 'GET', `/v1/area${i % FAMILY_CAPABILITIES}/things${i}/:id`, handler);
  router.on('GET', '/v1/area0/organizations/:id', handler);
  let found = 0;
  for (let i = 0; i < 5_000; i++) if (router.find('GET', '/v1/area0/organizations/1') !== null) found++;
  const started = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) if (router.find('GET', '/v1/area0/organizations/1') !== null) found++;
  const ns = Number(process.hrtime.bigint() - started) / iterations;
  if (found !== iterations + 5_000) throw new Error('router probe did not find its route');
  return ns;
}

/** CAPPED_YOUNG_GENERATION is the V8 option of the capped variant: 8 MB semi-spaces instead of V8's 16 MB on 64-bit. */
const CAPPED_YOUNG_GENERATION = '--max-semi-space-size=8';

/** QUICK_FAMILY is the smaller family of `--quick` (CI's smoke): the same code paths in a few seconds. */
export const QUICK_FAMILY = { capabilities: 12, operations: 60 } as const;
/** How long the idle-RSS probe waits at most for V8's memory reducer (it ran 10-25 s after boot here). */
const IDLE_RSS_MAX_SECONDS = 40;
/** A drop this large means the memory reducer ran (it releases most of the young generation at once). */
const REDUCED_BYTES = 5 * 1024 * 1024;

/** idleRss samples both idle processes each second until both have been reduced and held for 2 s (or the time is up). */
async function idleRss(a: Child, b: Child): Promise<{ family: number; single: number; afterSeconds: number }> {
  const started = performance.now();
  const first = [rssBytes(a.pid), rssBytes(b.pid)];
  let last = first;
  let held = 0;
  while ((performance.now() - started) / 1000 < IDLE_RSS_MAX_SECONDS) {
    await new Promise((r) => setTimeout(r, 1000));
    const now = [rssBytes(a.pid), rssBytes(b.pid)];
    const reduced = now.every((v, i) => v < (first[i] as number) - REDUCED_BYTES);
    held = reduced && now.every((v, i) => Math.abs(v - (last[i] as number)) < 1024 * 1024) ? held + 1 : 0;
    last = now;
    if (held >= 2) break;
  }
  return { family: (last[0] as number) / 1024 / 1024, single: (last[1] as number) / 1024 / 1024, afterSeconds: (performance.now() - started) / 1000 };
}

/** measureFamily runs every family measurement; `quick` measures a smaller family with shorter rounds. */
export async function measureFamily(options: { quick: boolean; log?: (line: string) => void }): Promise<FamilyResults> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const size = options.quick ? QUICK_FAMILY : { capabilities: FAMILY_CAPABILITIES, operations: FAMILY_OPERATIONS };
  // The area whose route the CPU rounds call: registered last, so any scan of the routes would show.
  const lastArea = size.capabilities - 1;
  const dir = mkdtempSync(join(tmpdir(), 'ngw-bench-family-'));
  const children: Child[] = [];
  try {
    const folder = join(dir, 'family');
    const single = writeFamily(folder, size.capabilities, size.operations);
    const { child: upstreamChild, info } = await startJsonLineChild<{ url: string; legacyToken: string }>('static upstream', [...TSX, join(ROOT, 'bench', 'static-upstream.ts'), '--list-size', '3']);
    children.push(upstreamChild);
    const env = { ...process.env, LABEL_STUDIO_API_KEY: info.legacyToken, GATEWAY_LOG_LEVEL: 'info' };

    const checks: number[] = [];
    const checkCpus: number[] = [];
    const oneCpus: number[] = [];
    for (let i = 0; i < (options.quick ? 1 : 3); i++) {
      const run = await runForMs([CLI, 'check', folder], env);
      if (run.code !== 0) throw new Error(`check of the family failed:\n${run.out.slice(-2000)}`);
      checks.push(run.ms);
      checkCpus.push(run.cpuMs);
      oneCpus.push((await runForMs([CLI, 'check', single], env)).cpuMs);
    }
    log(`family: check ${Math.round(median(checks))} ms (CPU ${Math.round(median(checkCpus))} ms; one file ${Math.round(median(oneCpus))} ms)`);

    // One at a time, so boots do not compete for the CPU.
    let off: BootFigures | undefined;
    let oneOff: BootFigures | undefined;
    if (!options.quick) {
      const offBoot = await boot('family ledger off', folder, info.url, { ...env, GATEWAY_LEDGER: 'off' }, dir);
      await offBoot.child.stop();
      const oneOffBoot = await boot('single ledger off', single, info.url, { ...env, GATEWAY_LEDGER: 'off' }, dir);
      await oneOffBoot.child.stop();
      off = offBoot.figures;
      oneOff = oneOffBoot.figures;
    }
    const fam = await boot('family', folder, info.url, env, dir);
    children.push(fam.child);
    const capped = options.quick ? undefined : await boot('family capped', folder, info.url, { ...env, NODE_OPTIONS: `${process.env['NODE_OPTIONS'] ?? ''} ${CAPPED_YOUNG_GENERATION}`.trim() }, dir);
    if (capped !== undefined) children.push(capped.child);
    const one = await boot('single', single, info.url, env, dir);
    children.push(one.child);
    log(`family: ready ${Math.round(fam.figures.readyMs)} ms, RSS ${fam.figures.rssMb.toFixed(1)} MB; single: ready ${Math.round(one.figures.readyMs)} ms, RSS ${one.figures.rssMb.toFixed(1)} MB`);
    const idle = options.quick ? undefined : await idleRss(fam.child, one.child);
    if (idle !== undefined) log(`family: idle RSS after ${idle.afterSeconds.toFixed(0)} s: ${idle.family.toFixed(1)} MB; single ${idle.single.toFixed(1)} MB`);

    const rounds = options.quick ? 2 : 5;
    const seconds = options.quick ? 0.7 : 1.5;
    const per = { family: [] as number[], single: [] as number[], capped: [] as number[] };
    const variants: { key: keyof typeof per; child: Child; url: string }[] = [
      { key: 'family', child: fam.child, url: `${fam.url}/v1/area${lastArea}/organizations/1` },
      { key: 'single', child: one.child, url: `${one.url}/v1/area${lastArea}/organizations/1` },
      ...(capped === undefined ? [] : [{ key: 'capped' as const, child: capped.child, url: `${capped.url}/v1/area${lastArea}/organizations/1` }]),
    ];
    for (const v of variants) await saturate({ url: v.url, method: 'GET' }, 0.5, 16);
    for (let r = 0; r < rounds; r++) {
      for (const v of r % 2 === 0 ? variants : [...variants].reverse()) {
        const before = cpuSeconds(v.child.pid);
        const result = await saturate({ url: v.url, method: 'GET' }, seconds, 16);
        if (result.errors > 0 || result.requests === 0) throw new Error(`${v.key}: ${result.errors} errors in a load round`);
        per[v.key].push(((cpuSeconds(v.child.pid) - before) * 1e6) / result.requests);
      }
    }
    const cpu = { family: median(per.family), single: median(per.single), ratio: median(per.family) / median(per.single), rounds };
    log(`family: CPU per request ${cpu.family.toFixed(0)} µs vs single ${cpu.single.toFixed(0)} µs (ratio ${cpu.ratio.toFixed(3)})`);

    const iterations = options.quick ? 50_000 : 300_000;
    const routerLookup = { routes400: routerLookupNs(FAMILY_OPERATIONS, iterations), routes6: routerLookupNs(6, iterations) };
    log(`family: router lookup ${routerLookup.routes400.toFixed(0)} ns with 400 routes, ${routerLookup.routes6.toFixed(0)} ns with 6`);
    return {
      capabilities: size.capabilities,
      operations: size.operations,
      checkMs: median(checks),
      checkCpuMs: median(checkCpus),
      checkOneCpuMs: median(oneCpus),
      family: fam.figures,
      ...(off === undefined ? {} : { familyLedgerOff: off }),
      single: one.figures,
      ...(oneOff === undefined ? {} : { singleLedgerOff: oneOff }),
      ...(idle === undefined ? {} : { idleRssMb: idle }),
      ...(capped === undefined ? {} : { cappedYoungGeneration: { boot: capped.figures, cpuUsPerRequest: median(per.capped) } }),
      cpuUsPerRequest: cpu,
      routerLookupNs: routerLookup,
    };
  } finally {
    await Promise.all(children.map((c) => c.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
}

function fixed(n: number | undefined, digits: number): string {
  return n === undefined || !Number.isFinite(n) ? 'n/a' : n.toFixed(digits);
}

/** formatFamilyTable renders the family figures as Markdown (bench/report.ts, so docs/performance.md). */
export function formatFamilyTable(r: FamilyResults): string {
  const off = (b: BootFigures | undefined, what: (b: BootFigures) => string): string => (b === undefined ? '' : ` (ledger off: ${what(b)})`);
  return [
    `### Capability family: ${r.capabilities} capabilities / ${r.operations} operations`,
    '',
    'One upstream and credential, REST 8080, MCP 9090, the same tool names in every area (bench/family.ts). "one file" is the last',
    'capability of the family served alone; the CPU rounds call its route on both gateways.',
    '',
    '| | family | one file |',
    '| --- | ---: | ---: |',
    `| \`check\` wall ms | ${fixed(r.checkMs, 0)} | — |`,
    `| \`check\` CPU ms | ${fixed(r.checkCpuMs, 0)} | ${fixed(r.checkOneCpuMs, 0)} |`,
    `| start to "gateway ready", wall ms | ${fixed(r.family.readyMs, 0)}${off(r.familyLedgerOff, (b) => fixed(b.readyMs, 0))} | ${fixed(r.single.readyMs, 0)}${off(r.singleLedgerOff, (b) => fixed(b.readyMs, 0))} |`,
    `| start to "gateway ready", CPU ms | ${fixed(r.family.readyCpuMs, 0)} | ${fixed(r.single.readyCpuMs, 0)} |`,
    `| RSS 0.5 s after ready, MB | ${fixed(r.family.rssMb, 1)} | ${fixed(r.single.rssMb, 1)} |`,
    ...(r.idleRssMb === undefined ? [] : [`| RSS idle ${fixed(r.idleRssMb.afterSeconds, 0)} s later (V8's memory reducer ran), MB | ${fixed(r.idleRssMb.family, 1)} | ${fixed(r.idleRssMb.single, 1)} |`]),
    ...(r.cappedYoungGeneration === undefined
      ? []
      : [
          `| family with \`NODE_OPTIONS=${CAPPED_YOUNG_GENERATION}\`: RSS 0.5 s after ready, MB | ${fixed(r.cappedYoungGeneration.boot.rssMb, 1)} | — |`,
          `| family with \`NODE_OPTIONS=${CAPPED_YOUNG_GENERATION}\`: CPU per forwarded GET, µs | ${fixed(r.cappedYoungGeneration.cpuUsPerRequest, 0)} | — |`,
        ]),
    `| CPU per forwarded GET, µs (median of ${r.cpuUsPerRequest.rounds} rounds) | ${fixed(r.cpuUsPerRequest.family, 0)} | ${fixed(r.cpuUsPerRequest.single, 0)} |`,
    `| fastify router lookup, ns | ${fixed(r.routerLookupNs.routes400, 0)} (${FAMILY_OPERATIONS} routes) | ${fixed(r.routerLookupNs.routes6, 0)} (6 routes) |`,
  ].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { quick: { type: 'boolean' } }, strict: true });
  const results = await measureFamily({ quick: values.quick === true });
  process.stdout.write(`${formatFamilyTable(results)}\n\n${formatTargets(checkFamilyTargets(results))}\n`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`bench/family: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
