/**
 * `npm run bench [-- --quick] [-- --upstream static|simulator|both]`: the gateway side by side
 * with direct calls, @fastify/http-proxy and a minimal undici forwarder, in one run on one
 * machine. Every server runs in its own process on 127.0.0.1; autocannon runs here. Rounds
 * are interleaved across variants (so a noisy neighbour hurts all of them alike) and the
 * median round is reported. Writes bench/results.json.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { request } from 'undici';
import { measureFamily } from './family.js';
import { measureLedger } from './ledger.js';
import { generateCapability } from './generate-capability.js';
import { measureMappingCost, type MappingCost } from './jsonpath-cost.js';
import { fixedRate, saturate, type Latency, type Saturation, type Target } from './load.js';
import { cpuSeconds, RssSampler, rssBytes, startGatewayChild, startJsonLineChild, stopAll, type Child } from './processes.js';
import { formatReport } from './report.js';
import { renderPerformanceDoc } from './render-docs.js';
import { checkTargets } from './targets.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist', 'cli.js');
const TSX = ['--import', 'tsx'];
const PATCH_BODY = JSON.stringify({ title: 'Acme Labeling', custom_scripts_enabled: false });
/** The inbound key of the `gateway, inbound keys` variant (a read scope suffices for GET). */
const BENCH_KEY = 'bench-inbound-key-0123456789';
const BENCH_KEY_ENTRY = `bench:${createHash('sha256').update(BENCH_KEY).digest('hex')}:read`;
/** The MCP tool serving the same operation as the REST identity GET. */
const MCP_TOOL = 'get-organization-settings';
const MCP_PROTOCOL = '2025-03-26';

/** Settings are the knobs of one run. */
interface Settings {
  readonly quick: boolean;
  readonly upstreams: readonly UpstreamMode[];
  readonly warmupSeconds: number;
  readonly rounds: number;
  readonly roundSeconds: number;
  readonly connections: number;
  readonly latencyRounds: number;
  readonly latencySeconds: number;
  readonly bootOperations: number;
  readonly mappingIterations: number;
}

type UpstreamMode = 'static' | 'simulator';

/** Variant is one thing measured at saturation. */
interface Variant {
  readonly name: string;
  readonly group: 'get' | 'list' | 'patch' | 'large' | 'mcp';
  readonly target: Target;
  /** The process whose RSS is sampled (servers in front of the upstream). */
  readonly child: Child | undefined;
}

/** VariantResult is the median round of a variant, plus its rounds. */
export interface VariantResult {
  readonly name: string;
  readonly group: string;
  readonly median: Saturation;
  readonly rounds: readonly Saturation[];
  readonly peakRssBytes: number | undefined;
}

/** LatencyResult is the median fixed-rate round of a variant. */
export interface LatencyResult {
  readonly name: string;
  readonly median: Latency;
  readonly rounds: readonly Latency[];
}

/** UpstreamRun is everything measured against one upstream. */
export interface UpstreamRun {
  readonly upstream: UpstreamMode;
  readonly upstreamPeakRssBytes: number;
  readonly variants: readonly VariantResult[];
  readonly latency: readonly LatencyResult[];
  readonly ratios: Record<string, number>;
}

/** BootResult is the 1,000-operation boot measurement. */
export interface BootResult {
  readonly operations: number;
  readonly loadMs: number;
  readonly registerMs: number;
  /** CPU time of load + compile + registration (wall time suffers when the machine is shared). */
  readonly cpuMs: number;
  readonly heapUsedBytes: number;
  readonly rssBytes: number;
  /** Whole CLI: process spawn to the "gateway ready" log line (every adapter listening). */
  readonly cliReadyMs: number;
  /** CPU time the CLI process had used when it logged "gateway ready" (holds on a shared machine, where wall time does not). */
  readonly cliReadyCpuMs: number;
  readonly cliRssBytes: number;
}

function readSettings(): Settings {
  const { values } = parseArgs({ options: { quick: { type: 'boolean' }, upstream: { type: 'string' } }, strict: true });
  const quick = values.quick === true;
  const upstream = values.upstream ?? (quick ? 'static' : 'both');
  const upstreams: UpstreamMode[] = upstream === 'both' ? ['static', 'simulator'] : upstream === 'simulator' ? ['simulator'] : ['static'];
  return quick
    ? { quick, upstreams, warmupSeconds: 0.2, rounds: 1, roundSeconds: 0.7, connections: 16, latencyRounds: 1, latencySeconds: 0.4, bootOperations: 200, mappingIterations: 200 }
    : { quick, upstreams, warmupSeconds: 0.6, rounds: 3, roundSeconds: 1, connections: 16, latencyRounds: 3, latencySeconds: 1, bootOperations: 1000, mappingIterations: 2000 };
}

function median<T>(items: readonly T[], key: (t: T) => number): T {
  const sorted = items.slice().sort((a, b) => key(a) - key(b));
  return sorted[Math.floor(sorted.length / 2)] as T;
}

interface Upstream {
  readonly child: Child;
  readonly url: string;
  readonly token: string;
}

async function startUpstream(mode: UpstreamMode): Promise<Upstream> {
  const script = mode === 'static' ? join(ROOT, 'bench', 'static-upstream.ts') : join(ROOT, 'test', 'fixtures', 'label-studio', 'main.ts');
  const { child, info } = await startJsonLineChild<{ url: string; legacyToken: string }>(`${mode} upstream`, [...TSX, script, '--list-size', '400'], process.env);
  return { child, url: info.url, token: info.legacyToken };
}

/** The servers in front of one upstream. */
interface Servers {
  readonly proxy: { child: Child; url: string };
  readonly minimal: { child: Child; url: string };
  readonly gateway: { child: Child; url: string; mcpUrl: string | undefined };
  /** The shipped capability with inbound API keys on. */
  readonly keyed: { child: Child; url: string };
  readonly benchGateway: { child: Child; url: string };
  /** The same bench capability with the role-change ledger off: what the ledger costs a mutating call. */
  readonly unledgered: { child: Child; url: string };
}

async function startServers(upstream: Upstream, logDir: string): Promise<Servers> {
  const forwarder = join(ROOT, 'bench', 'forwarder.ts');
  const env = { ...process.env, LABEL_STUDIO_API_KEY: upstream.token, GATEWAY_LOG_LEVEL: 'info' };
  const [proxy, minimal, gateway, keyed, benchGateway, unledgered] = await Promise.all([
    startJsonLineChild<{ url: string }>('http-proxy', [...TSX, forwarder, '--kind', 'proxy', '--upstream', upstream.url, '--token', upstream.token]),
    startJsonLineChild<{ url: string }>('minimal forwarder', [...TSX, forwarder, '--kind', 'minimal', '--upstream', upstream.url, '--token', upstream.token]),
    startGatewayChild('gateway', CLI, join(ROOT, 'capability.yaml'), upstream.url, env, join(logDir, 'gateway.log')),
    startGatewayChild('gateway (inbound keys)', CLI, join(ROOT, 'capability.yaml'), upstream.url, { ...env, GATEWAY_API_KEYS: BENCH_KEY_ENTRY }, join(logDir, 'keyed-gateway.log')),
    // The bench capability declares no x-ledger: GATEWAY_LEDGER=on records its PATCH, so the PATCH pair compares on with off.
    startGatewayChild('gateway (bench capability)', CLI, join(ROOT, 'bench', 'capability.yaml'), upstream.url, { ...env, GATEWAY_LEDGER: 'on', GATEWAY_LEDGER_DIR: join(logDir, 'bench-ledger') }, join(logDir, 'bench-gateway.log')),
    startGatewayChild('gateway (ledger off)', CLI, join(ROOT, 'bench', 'capability.yaml'), upstream.url, { ...env, GATEWAY_LEDGER: 'off' }, join(logDir, 'unledgered-gateway.log')),
  ]);
  return {
    proxy: { child: proxy.child, url: proxy.info.url },
    minimal: { child: minimal.child, url: minimal.info.url },
    gateway,
    keyed,
    benchGateway,
    unledgered,
  };
}

/** openMcpSession initializes an MCP session on the gateway and returns the headers a tools/call needs. */
async function openMcpSession(mcpUrl: string): Promise<Record<string, string>> {
  const endpoint = new URL('/mcp', mcpUrl).toString();
  const base = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  const init = await request(endpoint, {
    method: 'POST',
    headers: base,
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: MCP_PROTOCOL, capabilities: {}, clientInfo: { name: 'bench', version: '1' } } }),
  });
  await init.body.dump();
  const session = init.headers['mcp-session-id'];
  if (init.statusCode !== 200 || typeof session !== 'string') throw new Error(`MCP initialize answered ${init.statusCode} without a session`);
  const headers = { ...base, 'mcp-session-id': session, 'mcp-protocol-version': MCP_PROTOCOL };
  const done = await request(endpoint, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) });
  await done.body.dump();
  return headers;
}

function variantsFor(upstream: Upstream, s: Servers, mcpHeaders: Record<string, string> | undefined): Variant[] {
  const auth = { authorization: `Token ${upstream.token}` };
  const json = { 'content-type': 'application/json' };
  return [
    { name: 'direct', group: 'get', target: { url: `${upstream.url}/api/organizations/1`, method: 'GET', headers: auth }, child: undefined },
    { name: '@fastify/http-proxy', group: 'get', target: { url: `${s.proxy.url}/v1/api/organizations/1`, method: 'GET' }, child: s.proxy.child },
    { name: 'minimal forwarder', group: 'get', target: { url: `${s.minimal.url}/v1/api/organizations/1`, method: 'GET' }, child: s.minimal.child },
    { name: 'gateway', group: 'get', target: { url: `${s.gateway.url}/v1/api/organizations/1`, method: 'GET' }, child: s.gateway.child },
    { name: 'gateway, inbound keys', group: 'get', target: { url: `${s.keyed.url}/v1/api/organizations/1`, method: 'GET', headers: { authorization: `Bearer ${BENCH_KEY}` } }, child: s.keyed.child },
    ...(mcpHeaders === undefined || s.gateway.mcpUrl === undefined
      ? []
      : [
          {
            name: 'MCP tools/call',
            group: 'mcp' as const,
            target: {
              url: new URL('/mcp', s.gateway.mcpUrl).toString(),
              method: 'POST' as const,
              headers: mcpHeaders,
              body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: MCP_TOOL, arguments: { id: 1 } } }),
            },
            child: s.gateway.child,
          },
        ]),
    { name: 'direct list', group: 'list', target: { url: `${upstream.url}/api/organizations/`, method: 'GET', headers: auth }, child: undefined },
    { name: 'gateway list identity', group: 'list', target: { url: `${s.benchGateway.url}/v1/bench/organizations`, method: 'GET' }, child: s.benchGateway.child },
    { name: 'gateway list $[*].id', group: 'list', target: { url: `${s.benchGateway.url}/v1/bench/organizations/ids`, method: 'GET' }, child: s.benchGateway.child },
    { name: 'gateway list [{id,title}]', group: 'list', target: { url: `${s.benchGateway.url}/v1/bench/organizations/summaries`, method: 'GET' }, child: s.benchGateway.child },
    { name: 'direct PATCH', group: 'patch', target: { url: `${upstream.url}/api/organizations/1`, method: 'PATCH', headers: { ...auth, ...json }, body: PATCH_BODY }, child: undefined },
    { name: 'gateway PATCH (validated)', group: 'patch', target: { url: `${s.benchGateway.url}/v1/bench/organizations/1`, method: 'PATCH', headers: json, body: PATCH_BODY }, child: s.benchGateway.child },
    { name: 'gateway PATCH, ledger off', group: 'patch', target: { url: `${s.unledgered.url}/v1/bench/organizations/1`, method: 'PATCH', headers: json, body: PATCH_BODY }, child: s.unledgered.child },
    // The same PATCH through the two forwarders (issue 19: bodies get the identity GET's targets).
    { name: 'minimal forwarder PATCH', group: 'patch', target: { url: `${s.minimal.url}/v1/api/organizations/1`, method: 'PATCH', headers: json, body: PATCH_BODY }, child: s.minimal.child },
    { name: '@fastify/http-proxy PATCH', group: 'patch', target: { url: `${s.proxy.url}/v1/api/organizations/1`, method: 'PATCH', headers: json, body: PATCH_BODY }, child: s.proxy.child },
    // A ~105 KB list, past the gateway's 64 KB collect limit: streamed by all three.
    { name: 'minimal forwarder large GET', group: 'large', target: { url: `${s.minimal.url}/v1/api/organizations?ordering=large`, method: 'GET' }, child: s.minimal.child },
    { name: '@fastify/http-proxy large GET', group: 'large', target: { url: `${s.proxy.url}/v1/api/organizations/?ordering=large`, method: 'GET' }, child: s.proxy.child },
    { name: 'gateway large GET', group: 'large', target: { url: `${s.gateway.url}/v1/api/organizations?ordering=large`, method: 'GET' }, child: s.gateway.child },
  ];
}

/** checkTarget fails fast when a variant does not answer 2xx (a broken setup would look fast). */
async function checkTarget(v: Variant): Promise<void> {
  const res = await request(v.target.url, { method: v.target.method, headers: v.target.headers, body: v.target.body });
  const text = await res.body.text();
  if (res.statusCode >= 300) throw new Error(`${v.name}: ${v.target.method} ${v.target.url} answered ${res.statusCode}: ${text.slice(0, 200)}`);
  // An MCP tool error is a 200 whose result says isError.
  if (v.group === 'mcp' && (!text.includes('"result"') || text.includes('"isError":true'))) throw new Error(`${v.name}: the tool call failed: ${text.slice(0, 300)}`);
}

async function measureSaturation(variants: readonly Variant[], settings: Settings, upstream: Upstream, log: (line: string) => void): Promise<{ results: VariantResult[]; upstreamPeak: number }> {
  const rounds = new Map<string, Saturation[]>();
  const peaks = new Map<string, number>();
  const upstreamSampler = new RssSampler(upstream.child.pid);
  upstreamSampler.start(250);
  for (const v of variants) {
    await checkTarget(v);
    await saturate(v.target, settings.warmupSeconds, settings.connections);
  }
  for (let r = 0; r < settings.rounds; r++) {
    for (const v of variants) {
      const sampler = v.child === undefined ? undefined : new RssSampler(v.child.pid);
      sampler?.start();
      const cpuBefore = v.child === undefined ? Number.NaN : cpuSeconds(v.child.pid);
      const measured = await saturate(v.target, settings.roundSeconds, settings.connections);
      const cpuUs = ((cpuSeconds(v.child?.pid ?? 0) - cpuBefore) * 1e6) / measured.requests;
      const result: Saturation = Number.isFinite(cpuUs) ? { ...measured, serverCpuUsPerRequest: cpuUs } : measured;
      const peak = sampler?.stop();
      if (peak !== undefined) peaks.set(v.name, Math.max(peaks.get(v.name) ?? 0, peak));
      rounds.set(v.name, [...(rounds.get(v.name) ?? []), result]);
      log(`  round ${r + 1}/${settings.rounds} ${v.name}: ${Math.round(result.rps)} req/s, p99 ${result.p99Ms} ms, errors ${result.errors}`);
    }
  }
  const upstreamPeak = upstreamSampler.stop();
  const results = variants.map((v) => {
    const list = rounds.get(v.name) ?? [];
    return { name: v.name, group: v.group, median: median(list, (x) => x.rps), rounds: list, peakRssBytes: peaks.get(v.name) };
  });
  return { results, upstreamPeak };
}

async function measureLatency(variants: readonly Variant[], rate: number, settings: Settings): Promise<LatencyResult[]> {
  const rounds = new Map<string, Latency[]>();
  for (const v of variants) await fixedRate(v.target, rate, Math.min(0.5, settings.latencySeconds));
  for (let r = 0; r < settings.latencyRounds; r++) {
    for (const v of variants) rounds.set(v.name, [...(rounds.get(v.name) ?? []), await fixedRate(v.target, rate, settings.latencySeconds)]);
  }
  return variants.map((v) => {
    const list = rounds.get(v.name) ?? [];
    return { name: v.name, median: median(list, (x) => x.p99Ms), rounds: list };
  });
}

function rpsOf(results: readonly VariantResult[], name: string): number {
  return results.find((r) => r.name === name)?.median.rps ?? Number.NaN;
}

/** cpuOf is the median over rounds of the server's CPU per request (rounds are few; the median resists a noisy one). */
function cpuOf(results: readonly VariantResult[], name: string): number {
  const rounds = results.find((r) => r.name === name)?.rounds ?? [];
  const values = rounds.map((r) => r.serverCpuUsPerRequest ?? Number.NaN).filter(Number.isFinite);
  return values.length === 0 ? Number.NaN : median(values, (x) => x);
}

function ratiosOf(results: readonly VariantResult[], latency: readonly LatencyResult[]): Record<string, number> {
  const gw = rpsOf(results, 'gateway');
  const p99 = (name: string): number => latency.find((l) => l.name === name)?.median.p99Ms ?? Number.NaN;
  return {
    'gateway / direct': gw / rpsOf(results, 'direct'),
    'gateway / @fastify/http-proxy': gw / rpsOf(results, '@fastify/http-proxy'),
    'gateway / minimal forwarder': gw / rpsOf(results, 'minimal forwarder'),
    'CPU per request: gateway / minimal forwarder': cpuOf(results, 'gateway') / cpuOf(results, 'minimal forwarder'),
    'CPU per request: gateway / @fastify/http-proxy': cpuOf(results, 'gateway') / cpuOf(results, '@fastify/http-proxy'),
    'CPU per request: gateway, inbound keys / minimal forwarder': cpuOf(results, 'gateway, inbound keys') / cpuOf(results, 'minimal forwarder'),
    'CPU per call: MCP tools/call / REST GET': cpuOf(results, 'MCP tools/call') / cpuOf(results, 'gateway'),
    'minimal forwarder / @fastify/http-proxy': rpsOf(results, 'minimal forwarder') / rpsOf(results, '@fastify/http-proxy'),
    'mapped $[*].id / identity (list)': rpsOf(results, 'gateway list $[*].id') / rpsOf(results, 'gateway list identity'),
    'mapped [{id,title}] / identity (list)': rpsOf(results, 'gateway list [{id,title}]') / rpsOf(results, 'gateway list identity'),
    'gateway PATCH / direct PATCH': rpsOf(results, 'gateway PATCH (validated)') / rpsOf(results, 'direct PATCH'),
    'gateway PATCH: ledger on / ledger off': rpsOf(results, 'gateway PATCH (validated)') / rpsOf(results, 'gateway PATCH, ledger off'),
    'gateway PATCH, ledger off / minimal forwarder PATCH': rpsOf(results, 'gateway PATCH, ledger off') / rpsOf(results, 'minimal forwarder PATCH'),
    'CPU per request: gateway PATCH, ledger off / minimal forwarder PATCH': cpuOf(results, 'gateway PATCH, ledger off') / cpuOf(results, 'minimal forwarder PATCH'),
    'gateway large GET / minimal forwarder large GET': rpsOf(results, 'gateway large GET') / rpsOf(results, 'minimal forwarder large GET'),
    'CPU per request: gateway large GET / minimal forwarder large GET': cpuOf(results, 'gateway large GET') / cpuOf(results, 'minimal forwarder large GET'),
    'added p99 ms vs direct (fixed rate)': p99('gateway') - p99('direct'),
    'added p99 ms vs direct, http-proxy (fixed rate)': p99('@fastify/http-proxy') - p99('direct'),
    'added p99 ms vs direct, minimal forwarder (fixed rate)': p99('minimal forwarder') - p99('direct'),
  };
}

async function runAgainst(mode: UpstreamMode, settings: Settings, logDir: string, log: (line: string) => void): Promise<{ run: UpstreamRun; listBody: Buffer }> {
  log(`upstream: ${mode}`);
  const upstream = await startUpstream(mode);
  const children: Child[] = [upstream.child];
  try {
    const listBody = await fetchListBody(upstream);
    const servers = await startServers(upstream, logDir);
    children.push(servers.proxy.child, servers.minimal.child, servers.gateway.child, servers.keyed.child, servers.benchGateway.child, servers.unledgered.child);
    const mcpHeaders = servers.gateway.mcpUrl === undefined ? undefined : await openMcpSession(servers.gateway.mcpUrl);
    // Against the simulator, only the forwarding comparison and one mapped route (time budget).
    const all = variantsFor(upstream, servers, mcpHeaders);
    const variants = mode === 'static' ? all : all.filter((v) => v.group === 'get' || v.name === 'gateway list identity' || v.name === 'gateway list $[*].id');
    const { results, upstreamPeak } = await measureSaturation(variants, settings, upstream, log);
    // Fixed rate well below the knee: a quarter of what the slowest forwarder sustained.
    const getVariants = variants.filter((v) => v.group === 'get' && v.name !== 'gateway, inbound keys');
    const slowest = Math.min(...getVariants.map((v) => rpsOf(results, v.name)));
    const rate = Math.min(1000, Math.max(50, Math.round((slowest * 0.25) / 50) * 50));
    log(`  fixed-rate latency at ${rate} req/s`);
    const latency = await measureLatency(getVariants, rate, settings);
    return { run: { upstream: mode, upstreamPeakRssBytes: upstreamPeak, variants: results, latency, ratios: ratiosOf(results, latency) }, listBody };
  } finally {
    await Promise.all(children.map((c) => c.stop()));
  }
}

async function measureBoot(operations: number, dir: string): Promise<BootResult> {
  const file = join(dir, `generated-${operations}.yaml`);
  writeFileSync(file, generateCapability(operations));
  const env = { ...process.env, LABEL_STUDIO_API_KEY: 'bench' };
  const probe = await startJsonLineChild<{ loadMs: number; registerMs: number; cpuMs: number; heapUsedBytes: number; rssBytes: number }>('boot probe', [...TSX, join(ROOT, 'bench', 'boot-probe.ts'), file], env);
  await probe.child.stop();
  const started = performance.now();
  const cli = await startGatewayChild('gateway (generated)', CLI, file, 'http://127.0.0.1:9', { ...env, GATEWAY_LEDGER: 'off' }, join(dir, 'generated.log'));
  const cliReadyMs = performance.now() - started;
  const cliRssBytes = rssBytes(cli.child.pid);
  await cli.child.stop();
  return { operations, ...probe.info, cliReadyMs, cliReadyCpuMs: cli.readyCpuSeconds * 1000, cliRssBytes };
}

async function fetchListBody(upstream: Upstream): Promise<Buffer> {
  const res = await request(`${upstream.url}/api/organizations/`, { headers: { authorization: `Token ${upstream.token}` } });
  return Buffer.from(await res.body.arrayBuffer());
}

/** loadAverage is the 1-minute load average at the end of the run: on a shared machine, how busy it was. */
function loadAverage(): number {
  return loadavg()[0] ?? Number.NaN;
}

function machine(): Record<string, string | number> {
  const cpu = cpus()[0]?.model ?? 'unknown';
  return { nproc: cpus().length, cpu, node: process.version, platform: `${process.platform} ${process.arch}` };
}

async function main(): Promise<void> {
  const settings = readSettings();
  const started = performance.now();
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  const dir = mkdtempSync(join(tmpdir(), 'naftiko-bench-'));
  try {
    const runs: UpstreamRun[] = [];
    let listBody: Buffer | undefined;
    for (const mode of settings.upstreams) {
      const result = await runAgainst(mode, settings, dir, log);
      runs.push(result.run);
      listBody = result.listBody;
    }
    log('boot: generated capability');
    const boot = await measureBoot(settings.bootOperations, dir);
    log('mapping cost');
    const mapping: MappingCost[] = measureMappingCost(join(ROOT, 'bench', 'capability.yaml'), listBody ?? Buffer.alloc(0), settings.mappingIterations);
    log('capability family');
    const family = await measureFamily({ quick: settings.quick, log });
    log('role-change ledger');
    const ledger = await measureLedger({ quick: settings.quick, log });
    const targets = checkTargets(runs.find((r) => r.upstream === 'static'), boot, mapping, family, ledger);
    const results = { date: new Date().toISOString(), machine: machine(), settings, runs, boot, mapping, family, ledger, targets, load: loadAverage(), durationSeconds: (performance.now() - started) / 1000 };
    writeFileSync(join(ROOT, 'bench', 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
    process.stdout.write(formatReport(results));
    // The quick smoke (CI) measures too little to document; a full run regenerates docs/performance.md and README's targets.
    if (!settings.quick) renderPerformanceDoc(join(ROOT, 'bench', 'results.json'), join(ROOT, 'docs', 'performance.md'), join(ROOT, 'README.md'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await stopAll();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
