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
 * Prints a report and writes bench/family-results.json. `measureFamily()` is exported for bench/run.ts.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import FindMyWay from 'find-my-way';
import { saturate } from './load.js';
import { cpuSeconds, rssBytes, startGatewayChild, startJsonLineChild, type Child } from './processes.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist', 'cli.js');
const TSX = ['--import', 'tsx'];

/** FAMILY_CAPABILITIES and FAMILY_OPERATIONS are the size of Label Studio's published family. */
export const FAMILY_CAPABILITIES = 74;
export const FAMILY_OPERATIONS = 400;

/** Targets of issue 16, checked by the report. */
export const FAMILY_TARGETS = { checkMs: 1000, readyMs: 1500, rssMb: 120, cpuRatio: 1.1 } as const;

/** operationsOf spreads the operations over the capabilities (the first ones get one more). */
function operationsOf(index: number, capabilities: number, operations: number): number {
  const base = Math.floor(operations / capabilities);
  return base + (index < operations % capabilities ? 1 : 0);
}

/**
 * generateFamilyMember is one area: a GET of `/api/organizations/{id}` (the route the CPU rounds
 * call) and `count - 1` other operations (GETs and schema-validated PATCHes), each a REST route and an MCP tool.
 */
export function generateFamilyMember(index: number, count: number): string {
  const consumed: string[] = [];
  const exposed: string[] = [];
  const tools: string[] = [];
  for (let j = 0; j < count; j++) {
    const patch = j > 0 && j % 3 === 0;
    const method = patch ? 'PATCH' : 'GET';
    const upstreamPath = j === 0 ? '/api/organizations/{id}' : `/api/area${index}/things${j}/{id}/`;
    const exposedPath = j === 0 ? `/v1/area${index}/organizations/{id}` : `/v1/area${index}/things${j}/{id}`;
    const body = patch
      ? `
        - name: body
          in: body
          type: object
          required: true
          schema:
            additionalProperties: true
            properties:
              title: { type: string, maxLength: ${100 + index * 10 + j} }
              enabled: { type: boolean }`
      : '';
    consumed.push(`
    - name: res${j}
      path: ${upstreamPath}
      operations:
      - name: op${j}
        method: ${method}
        outputRawFormat: json
        inputParameters:
        - name: id
          in: path
          type: integer
          required: true
        - name: ordering
          in: query
          type: string${body}`);
    exposed.push(`
    - path: ${exposedPath}
      name: res${j}
      operations:
      - method: ${method}
        name: op${j}
        call: area${index}.op${j}
        with:
          id: rest.id${patch ? '\n          body: rest.body' : ''}`);
    // The same tool names in every area, as in Label Studio's family: the shared endpoint prefixes them.
    tools.push(`
    - name: ${j === 0 ? 'get-organization' : `${method.toLowerCase()}-thing-${j}`}
      call: area${index}.op${j}
      with:
        id: tools.id${patch ? '\n        body: tools.body' : ''}`);
  }
  return `naftiko: 1.0.0-alpha2
info:
  label: Generated area ${index}
  description: ${count} generated operations of a ${FAMILY_CAPABILITIES}-capability family.
  contact:
    name: bench
binds:
- namespace: env
  keys:
    LABEL_STUDIO_API_KEY: LABEL_STUDIO_API_KEY
capability:
  consumes:
  - type: http
    namespace: area${index}
    baseUri: http://127.0.0.1:9
    authentication:
      type: apikey
      key: Authorization
      value: 'Token {{env.LABEL_STUDIO_API_KEY}}'
      placement: header
    resources:${consumed.join('')}
  exposes:
  - type: rest
    namespace: area${index}-rest
    port: 8080
    resources:${exposed.join('')}
  - type: mcp
    namespace: area${index}-mcp
    port: 9090
    transport: http
    tools:${tools.join('')}
`;
}

/** LAST_AREA is the area whose route the CPU rounds call: registered last, so any scan of the routes would show. */
const LAST_AREA = FAMILY_CAPABILITIES - 1;

/** writeFamily writes the family into `dir` and returns the file of the last area (the single-capability variant). */
export function writeFamily(dir: string, capabilities = FAMILY_CAPABILITIES, operations = FAMILY_OPERATIONS): string {
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < capabilities; i++) writeFileSync(join(dir, `area${String(i).padStart(2, '0')}.yaml`), generateFamilyMember(i, operationsOf(i, capabilities, operations)));
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
  readonly familyLedgerOff: BootFigures;
  readonly single: BootFigures;
  readonly singleLedgerOff: BootFigures;
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

/** measureFamily runs every family measurement; `quick` shortens the load rounds only. */
export async function measureFamily(options: { quick: boolean; log?: (line: string) => void }): Promise<FamilyResults> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const dir = mkdtempSync(join(tmpdir(), 'ngw-bench-family-'));
  const children: Child[] = [];
  try {
    const folder = join(dir, 'family');
    const single = writeFamily(folder);
    const { child: upstreamChild, info } = await startJsonLineChild<{ url: string; legacyToken: string }>('static upstream', [...TSX, join(ROOT, 'bench', 'static-upstream.ts'), '--list-size', '3']);
    children.push(upstreamChild);
    const env = { ...process.env, LABEL_STUDIO_API_KEY: info.legacyToken, GATEWAY_LOG_LEVEL: 'info' };

    const checks: number[] = [];
    const checkCpus: number[] = [];
    const oneCpus: number[] = [];
    for (let i = 0; i < 3; i++) {
      const run = await runForMs([CLI, 'check', folder], env);
      if (run.code !== 0) throw new Error(`check of the family failed:\n${run.out.slice(-2000)}`);
      checks.push(run.ms);
      checkCpus.push(run.cpuMs);
      oneCpus.push((await runForMs([CLI, 'check', single], env)).cpuMs);
    }
    log(`family: check ${Math.round(median(checks))} ms (CPU ${Math.round(median(checkCpus))} ms; one file ${Math.round(median(oneCpus))} ms)`);

    // One at a time, so boots do not compete for the CPU.
    const off = await boot('family ledger off', folder, info.url, { ...env, GATEWAY_LEDGER: 'off' }, dir);
    await off.child.stop();
    const oneOff = await boot('single ledger off', single, info.url, { ...env, GATEWAY_LEDGER: 'off' }, dir);
    await oneOff.child.stop();
    const fam = await boot('family', folder, info.url, env, dir);
    children.push(fam.child);
    const one = await boot('single', single, info.url, env, dir);
    children.push(one.child);
    log(`family: ready ${Math.round(fam.figures.readyMs)} ms (ledger off ${Math.round(off.figures.readyMs)} ms), RSS ${fam.figures.rssMb.toFixed(1)} MB; single: ready ${Math.round(one.figures.readyMs)} ms, RSS ${one.figures.rssMb.toFixed(1)} MB`);

    const rounds = options.quick ? 2 : 5;
    const seconds = options.quick ? 0.7 : 1.5;
    const per = { family: [] as number[], single: [] as number[] };
    const variants = [
      { key: 'family' as const, child: fam.child, url: `${fam.url}/v1/area${LAST_AREA}/organizations/1` },
      { key: 'single' as const, child: one.child, url: `${one.url}/v1/area${LAST_AREA}/organizations/1` },
    ];
    for (const v of variants) await saturate({ url: v.url, method: 'GET' }, 0.5, 16);
    for (let r = 0; r < rounds; r++) {
      for (const v of r % 2 === 0 ? variants : [...variants].reverse()) {
        const before = cpuSeconds(v.child.pid);
        const result = await saturate({ url: v.url, method: 'GET' }, seconds, 16);
        if (result.errors > 0) throw new Error(`${v.key}: ${result.errors} errors in a load round`);
        per[v.key].push(((cpuSeconds(v.child.pid) - before) * 1e6) / result.requests);
      }
    }
    const cpu = { family: median(per.family), single: median(per.single), ratio: median(per.family) / median(per.single), rounds };
    log(`family: CPU per request ${cpu.family.toFixed(0)} µs vs single ${cpu.single.toFixed(0)} µs (ratio ${cpu.ratio.toFixed(3)})`);

    const iterations = options.quick ? 50_000 : 300_000;
    const routerLookup = { routes400: routerLookupNs(FAMILY_OPERATIONS, iterations), routes6: routerLookupNs(6, iterations) };
    log(`family: router lookup ${routerLookup.routes400.toFixed(0)} ns with 400 routes, ${routerLookup.routes6.toFixed(0)} ns with 6`);
    return {
      capabilities: FAMILY_CAPABILITIES,
      operations: FAMILY_OPERATIONS,
      checkMs: median(checks),
      checkCpuMs: median(checkCpus),
      checkOneCpuMs: median(oneCpus),
      family: fam.figures,
      familyLedgerOff: off.figures,
      single: one.figures,
      singleLedgerOff: oneOff.figures,
      cpuUsPerRequest: cpu,
      routerLookupNs: routerLookup,
    };
  } finally {
    await Promise.all(children.map((c) => c.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
}

/** formatFamilyReport renders the figures against the targets. */
export function formatFamilyReport(r: FamilyResults): string {
  const mark = (ok: boolean): string => (ok ? 'ok' : 'MISSED');
  return [
    `Family of ${r.capabilities} capabilities / ${r.operations} operations (one upstream, REST 8080, MCP 9090)`,
    `  check <folder>             ${r.checkMs.toFixed(0)} ms wall, ${r.checkCpuMs.toFixed(0)} ms CPU (one file: ${r.checkOneCpuMs.toFixed(0)} ms CPU)   target < ${FAMILY_TARGETS.checkMs} ms   ${mark(r.checkMs < FAMILY_TARGETS.checkMs)}`,
    `  start to ready             ${r.family.readyMs.toFixed(0)} ms wall, ${r.family.readyCpuMs.toFixed(0)} ms CPU (ledger off ${r.familyLedgerOff.readyMs.toFixed(0)} ms wall, ${r.familyLedgerOff.readyCpuMs.toFixed(0)} ms CPU)   target < ${FAMILY_TARGETS.readyMs} ms   ${mark(r.family.readyMs < FAMILY_TARGETS.readyMs)}`,
    `  RSS after boot             ${r.family.rssMb.toFixed(1)} MB (ledger off ${r.familyLedgerOff.rssMb.toFixed(1)} MB)   target < ${FAMILY_TARGETS.rssMb} MB   ${mark(r.family.rssMb < FAMILY_TARGETS.rssMb)}`,
    `  single capability          ready ${r.single.readyMs.toFixed(0)} ms wall, ${r.single.readyCpuMs.toFixed(0)} ms CPU, RSS ${r.single.rssMb.toFixed(1)} MB; ledger off: ${r.singleLedgerOff.readyMs.toFixed(0)} ms wall, ${r.singleLedgerOff.readyCpuMs.toFixed(0)} ms CPU, RSS ${r.singleLedgerOff.rssMb.toFixed(1)} MB`,
    `  CPU per request            family ${r.cpuUsPerRequest.family.toFixed(0)} µs, single ${r.cpuUsPerRequest.single.toFixed(0)} µs, ratio ${r.cpuUsPerRequest.ratio.toFixed(3)}   target ≤ ${FAMILY_TARGETS.cpuRatio}   ${mark(r.cpuUsPerRequest.ratio <= FAMILY_TARGETS.cpuRatio)}`,
    `  router lookup (fastify)    ${r.routerLookupNs.routes400.toFixed(0)} ns with ${r.operations} routes, ${r.routerLookupNs.routes6.toFixed(0)} ns with 6`,
  ].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { quick: { type: 'boolean' } }, strict: true });
  const results = await measureFamily({ quick: values.quick === true });
  writeFileSync(join(ROOT, 'bench', 'family-results.json'), `${JSON.stringify({ date: new Date().toISOString(), ...results }, null, 2)}\n`);
  process.stdout.write(`${formatFamilyReport(results)}\n`);
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
