/**
 * Child process of the boot benchmark: times loading + compiling a capability
 * and registering its routes (fastify `ready()`), then reports memory.
 *
 *   node --import tsx bench/boot-probe.ts <capability.yaml>
 * prints one JSON line `{"loadMs","registerMs","cpuMs","heapUsedBytes","rssBytes","routes"}`.
 */
import { buildRestServer } from '../src/adapters/rest/server.js';
import { loadCapability } from '../src/capability/index.js';
import { Invoker } from '../src/core/invoker.js';
import { createLogger } from '../src/ops/logger.js';
import { DISABLED_AUTH } from '../src/security/inbound-auth.js';
import { UpstreamClient } from '../src/upstream/client.js';
import { UpstreamPools } from '../src/upstream/pools.js';

async function main(): Promise<void> {
  const file = process.argv[2] ?? '';
  const logger = createLogger('warn');
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const { capability } = loadCapability(file, { env: process.env, baseUris: {} });
  const t1 = performance.now();
  const adapter = capability.rest[0];
  if (adapter === undefined) throw new Error(`${file} exposes no rest adapter`);
  const invoker = new Invoker(new UpstreamClient(new UpstreamPools(), { timeoutMs: 30_000, userAgent: 'bench' }), []);
  const app = buildRestServer(adapter, { invoker, maxResponseBytes: 16 * 1024 * 1024 }, {
    logger,
    bodyLimitBytes: 1 << 20,
    requestTimeoutMs: 60_000,
    keepAliveTimeoutMs: 72_000,
    model: capability.model,
    mcp: capability.mcp,
    auth: DISABLED_AUTH,
  });
  await app.ready();
  const t2 = performance.now();
  const cpu = process.cpuUsage(cpu0);
  const mem = process.memoryUsage();
  process.stdout.write(`${JSON.stringify({ loadMs: t1 - t0, registerMs: t2 - t1, cpuMs: (cpu.user + cpu.system) / 1000, heapUsedBytes: mem.heapUsed, rssBytes: mem.rss, routes: adapter.routes.length })}\n`);
  await app.close();
}

main().catch((error: unknown) => {
  process.stderr.write(`boot probe: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
