/**
 * The gateway's life on the wire: probes say "starting" until every adapter
 * listens and "stopping" while it drains; a request that arrives during the
 * drain gets a problem+json 503 with Retry-After; a SIGTERM during start-up
 * closes what the start opened (exit 0, the ledger released), never exit 143.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import t from 'tap';
import { request } from 'undici';
import { resolveConfig } from '../../src/settings/index.js';
import { startGateway } from '../../src/gateway.js';
import { registerHealth } from '../../src/ops/health.js';
import { Lifecycle } from '../../src/ops/lifecycle.js';
import { startLabelStudio } from '../fixtures/label-studio/simulator.js';
import { ORPHAN_GUARD, track } from '../helpers/children.js';
import { TEST_DEADLINE_MS } from '../helpers/deadlines.js';
import { CLI, ROOT, startGatewayProcess } from '../helpers/gateway-process.js';

t.test('/healthz: 503 starting, 200 serving, 503 stopping', async (t) => {
  const lifecycle = new Lifecycle();
  const app = Fastify();
  registerHealth(app, lifecycle);
  await app.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(() => app.close());
  const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}/healthz`;
  for (const [phase, status] of [['starting', 503], ['serving', 200], ['stopping', 503]] as const) {
    lifecycle.phase = phase;
    const res = await request(url);
    t.equal(res.statusCode, status, phase);
    t.same(await res.body.json(), { status: phase === 'serving' ? 'ok' : phase });
    if (status === 503) t.equal(res.headers['retry-after'], '1', `${phase}: Retry-After`);
  }
});

/** exchange writes raw HTTP on one connection and resolves with everything read until the server closes it. */
function exchange(port: number, first: string, afterFirstSent: () => Promise<string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (data += chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(data));
    socket.write(first, () => void afterFirstSent().then((second) => socket.write(second), reject));
  });
}

t.test('a request arriving while the gateway drains: problem+json 503 with Retry-After', async (t) => {
  const sim = await startLabelStudio();
  t.teardown(() => sim.close());
  sim.fault({ kind: 'delay', ms: 1000, path: '/api/organizations/1' });
  const config = resolveConfig({ capability: 'capability.yaml', restPort: '0', mcpPort: '0', baseUri: [sim.url], logLevel: 'silent' }, { GATEWAY_LEDGER: 'off' });
  const gw = await startGateway(config, { env: { LABEL_STUDIO_API_KEY: sim.legacyToken }, logDestination: { write: () => undefined } });
  t.teardown(() => gw.close());
  const port = Number(new URL(gw.restUrl as string).port);
  let closing: Promise<void> | undefined;
  // Two pipelined requests on one keep-alive connection: the first is in flight when close() starts, the second arrives after.
  const raw = await exchange(port, 'GET /v1/api/organizations/1 HTTP/1.1\r\nHost: x\r\n\r\n', async () => {
    while (sim.requests.length === 0) await new Promise((r) => setTimeout(r, 10));
    closing = gw.close();
    return 'GET /v1/api/organizations/2 HTTP/1.1\r\nHost: x\r\nX-Request-Id: late-1\r\n\r\n';
  });
  await closing;
  const responses = raw.split(/(?=HTTP\/1\.1 )/);
  t.match(responses[0], /^HTTP\/1\.1 200 /, 'the in-flight request completes');
  const late = responses[1] ?? '';
  t.match(late, /^HTTP\/1\.1 503 /, 'the late one: 503');
  t.match(late, /\r\ncontent-type: application\/problem\+json/i);
  t.match(late, /\r\nretry-after: 1\r\n/i);
  t.match(late, /\r\nconnection: close\r\n/i);
  const body = JSON.parse(late.slice(late.indexOf('\r\n\r\n') + 4)) as Record<string, unknown>;
  t.match(body, { status: 503, code: 'NGW_ERR_UNAVAILABLE', title: String, detail: /shutting down/, instance: 'late-1' });
  t.equal(sim.requests.length, 1, 'the late request never went upstream');
});

t.test('SIGTERM during start-up: the start finishes or fails, then everything closes; exit 0', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ngw-early-term-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const ledgerDir = join(dir, 'ledger');
  const child = track(
    spawn(process.execPath, [...ORPHAN_GUARD, CLI, 'serve', 'capability.yaml', '--rest-port', '0', '--mcp-port', '0'], {
      cwd: ROOT,
      env: { PATH: process.env['PATH'], LABEL_STUDIO_API_KEY: 'unused', GATEWAY_LEDGER_DIR: ledgerDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  t.teardown(() => void child.kill('SIGKILL'));
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // The first log line means the start is under way (the ledger opens first); the signal goes then.
  const deadline = Date.now() + TEST_DEADLINE_MS;
  while (!out.includes('\n') && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  child.kill('SIGTERM');
  t.equal(await exited, 0, 'exit 0, not 143');
  t.match(out, /"msg":"shut down"/, 'the shutdown ran');
  // The signal is handled when the process next polls, which may be after the start finished (log lines are
  // written in batches, so "not seen yet" does not mean "not ready yet"): what must never happen is a
  // "gateway ready" after the shutdown began.
  const stopAt = out.indexOf('"msg":"shutting down"');
  const readyAt = out.indexOf('"gateway ready"');
  t.ok(stopAt >= 0, 'the signal was handled');
  t.ok(readyAt === -1 || readyAt < stopAt, 'never announced ready once the shutdown began', { out });
  // The ledger was closed: another gateway opens the same directory at once.
  const again = await startGatewayProcess({ capability: 'capability.yaml', env: { LABEL_STUDIO_API_KEY: 'unused', GATEWAY_LEDGER_DIR: ledgerDir } });
  t.teardown(() => again.stop());
  t.ok(again.logObjects().some((l) => l['msg'] === 'ledger ready'), 'the ledger opens again: its lock was released');
});
