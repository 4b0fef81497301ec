/**
 * Capability reload without downtime: SIGHUP and --watch on the real process,
 * a rejected capability that leaves the old one serving, a rotated secret
 * file, and reloads in the middle of a request loop.
 */
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import t from 'tap';
import { Agent, request } from 'undici';
import { resolveConfig } from '../../src/settings/index.js';
import { startGateway } from '../../src/gateway.js';
import { startLabelStudio, type LabelStudioSimulator } from '../fixtures/label-studio/simulator.js';
import { ROOT, startGatewayProcess } from '../helpers/gateway-process.js';

const SHIPPED = readFileSync(join(ROOT, 'capability.yaml'), 'utf8');

/** variant replaces text that must be present, so a fixture drifting from capability.yaml fails loudly. */
function variant(text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`capability.yaml no longer contains ${JSON.stringify(from)}`);
  return text.replace(from, to);
}

/** RENAMED moves the list route from /v1/api/organizations to /v1/api/orgs. */
const RENAMED = variant(SHIPPED, '    - path: /v1/api/organizations\n', '    - path: /v1/api/orgs\n');
/** BROKEN calls an operation that does not exist. */
const BROKEN = variant(SHIPPED, 'call: label-studio-subpackage-organizations.list', 'call: label-studio-subpackage-organizations.nope');

/** writeAtomically replaces a file the way editors and Kubernetes do: write aside, then rename. */
function writeAtomically(file: string, text: string): void {
  writeFileSync(file + '.tmp', text);
  renameSync(file + '.tmp', file);
}

async function status(url: string): Promise<number> {
  const res = await request(url);
  await res.body.dump();
  return res.statusCode;
}

let sim: LabelStudioSimulator;
let dir: string;

t.before(async () => {
  sim = await startLabelStudio();
  dir = mkdtempSync(join(tmpdir(), 'ngw-reload-'));
});

t.teardown(async () => {
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
});

t.test('SIGHUP swaps in a valid capability; a broken one is rejected and the old one keeps serving', async (t) => {
  const file = join(dir, 'sighup.yaml');
  writeFileSync(file, SHIPPED);
  const gw = await startGatewayProcess({ capability: file, env: { LABEL_STUDIO_API_KEY: sim.legacyToken, GATEWAY_BASE_URI: sim.url } });
  t.teardown(() => gw.stop());
  t.equal(await status(gw.url + '/v1/api/organizations'), 200);
  t.equal(await status(gw.url + '/v1/api/orgs'), 404);

  writeAtomically(file, RENAMED);
  gw.child.kill('SIGHUP');
  const reloaded = await gw.waitForLog((l) => l['msg'] === 'capability reloaded');
  t.same(reloaded['added'], ['GET /v1/api/orgs']);
  t.same(reloaded['removed'], ['GET /v1/api/organizations']);
  t.equal(await status(gw.url + '/v1/api/orgs'), 200, 'new route appears');
  t.equal(await status(gw.url + '/v1/api/organizations'), 404, 'old route is gone');

  writeAtomically(file, BROKEN);
  gw.child.kill('SIGHUP');
  await gw.waitForLog((l) => l['msg'] === 'capability reload failed; still serving the previous capability');
  const errors = gw.logObjects().filter((l) => typeof l['msg'] === 'string' && l['msg'].startsWith('capability reload: '));
  t.ok(errors.length >= 1, 'every error is logged');
  t.match(errors[0], {
    level: 50,
    path: 'capability.exposes[0].resources[1].operations[0].call',
    line: Number,
    msg: /unknown call target "label-studio-subpackage-organizations\.nope"/,
  });
  t.equal(await status(gw.url + '/v1/api/orgs'), 200, 'the previous capability still serves');
  t.equal(await status(gw.url + '/healthz'), 200);
  t.equal(gw.child.exitCode, null, 'the process kept running');

  writeAtomically(file, SHIPPED);
  gw.child.kill('SIGHUP');
  await gw.waitForLog((l) => l['msg'] === 'capability reloaded' && Array.isArray(l['added']) && l['added'].includes('GET /v1/api/organizations'));
  t.equal(await status(gw.url + '/v1/api/organizations'), 200, 'a fixed file reloads again');
});

t.test('--watch reloads on change, re-reading a rotated NAME_FILE secret', async (t) => {
  const file = join(dir, 'watched.yaml');
  const keyFile = join(dir, 'label-studio-api-key');
  writeFileSync(file, SHIPPED);
  writeFileSync(keyFile, 'stale-key-from-last-month\n');
  const gw = await startGatewayProcess({
    capability: file,
    args: ['--watch'],
    env: { LABEL_STUDIO_API_KEY_FILE: keyFile, GATEWAY_BASE_URI: sim.url },
  });
  t.teardown(() => gw.stop());
  sim.clear();
  t.equal(await status(gw.url + '/v1/api/organizations/1'), 401, 'the stale key is rejected upstream');
  t.equal(sim.requests[0]?.headers['authorization'], 'Token stale-key-from-last-month', 'the trailing newline is not part of the key');

  writeAtomically(keyFile, sim.legacyToken + '\n');
  await gw.waitForLog((l) => l['msg'] === 'capability reloaded');
  sim.clear();
  t.equal(await status(gw.url + '/v1/api/organizations/1'), 200, 'the rotated key is used');
  t.equal(sim.requests[0]?.headers['authorization'], `Token ${sim.legacyToken}`);

  writeAtomically(file, RENAMED);
  await gw.waitForLog((l) => l['msg'] === 'capability reloaded' && Array.isArray(l['added']) && l['added'].includes('GET /v1/api/orgs'));
  t.equal(await status(gw.url + '/v1/api/orgs'), 200, 'an edited capability file is picked up');
  t.notOk(gw.logs.join('\n').includes(sim.legacyToken), 'the key never reaches the logs');
});

/**
 * publishVolume mimics the kubelet's AtomicWriter for a ConfigMap volume: files in a
 * timestamped directory, `..data` pointing at it (swapped by rename), and
 * `capability.yaml -> ..data/capability.yaml`.
 */
function publishVolume(volume: string, version: number, text: string): void {
  const versionDir = `..v${version}`;
  mkdirSync(join(volume, versionDir));
  writeFileSync(join(volume, versionDir, 'capability.yaml'), text);
  symlinkSync(versionDir, join(volume, '..data_tmp'));
  renameSync(join(volume, '..data_tmp'), join(volume, '..data'));
  if (version === 1) symlinkSync('..data/capability.yaml', join(volume, 'capability.yaml'));
}

t.test('--watch follows a Kubernetes ConfigMap volume update (..data symlink swap)', async (t) => {
  const volume = join(dir, 'configmap');
  mkdirSync(volume);
  publishVolume(volume, 1, SHIPPED);
  const lines: string[] = [];
  const gw = await startGateway(resolveConfig({ capability: join(volume, 'capability.yaml'), restPort: '0', mcpPort: '0', watch: true }, { GATEWAY_BASE_URI: sim.url, GATEWAY_LEDGER: 'off' }), {
    env: { LABEL_STUDIO_API_KEY: sim.legacyToken },
    logDestination: new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    }),
  });
  t.teardown(() => gw.close());
  t.equal(await status(gw.restUrl + '/v1/api/orgs'), 404);
  const reloaded = new Promise<void>((resolve) => gw.onReload(() => resolve()));
  publishVolume(volume, 2, RENAMED);
  await reloaded;
  t.equal(await status(gw.restUrl + '/v1/api/orgs'), 200, 'the new version is served');
  t.equal(await status(gw.restUrl + '/v1/api/organizations'), 404);
  t.equal(lines.filter((l) => l.includes('"msg":"capability reloaded"')).length, 1, 'one reload for the whole update');
});

t.test('reloads under load: no failed request, in-flight requests finish on the old routes', async (t) => {
  const file = join(dir, 'load.yaml');
  writeFileSync(file, SHIPPED);
  const lines: string[] = [];
  const gw = await startGateway(resolveConfig({ capability: file, restPort: '0', mcpPort: '0', logLevel: 'warn' }, { GATEWAY_BASE_URI: sim.url, GATEWAY_LEDGER: 'off' }), {
    env: { LABEL_STUDIO_API_KEY: sim.legacyToken },
    logDestination: new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    }),
  });
  const agent = new Agent({ connections: 8, keepAliveTimeout: 10_000 });
  t.teardown(async () => {
    await agent.close();
    await gw.close();
  });

  // A slow request that starts before the route it uses is removed.
  const slow = sim.fault({ method: 'GET', path: '/api/organizations/', kind: 'delay', ms: 400 });
  sim.clear();
  const inFlight = request(gw.restUrl + '/v1/api/organizations', { dispatcher: agent });
  // Reload only once the request is past the gateway's router (the upstream has it).
  while (sim.requests.length === 0) await new Promise((r) => setTimeout(r, 10));
  writeFileSync(file, RENAMED);
  const first = await gw.reload();
  t.ok(first.ok, 'reload while a request is in flight');
  const slowRes = await inFlight;
  t.equal(slowRes.statusCode, 200, 'the in-flight request finished on the old route table');
  t.equal((await slowRes.body.json() as unknown[]).length, 3);
  slow.remove();

  const statuses = new Map<number, number>();
  const failures: string[] = [];
  let reloads = 0;
  let running = true;
  const client = async (): Promise<void> => {
    while (running) {
      try {
        const res = await request(gw.restUrl + '/v1/api/organizations/1', { dispatcher: agent });
        await res.body.dump();
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
      } catch (err) {
        failures.push(String(err));
      }
    }
  };
  const clients = Array.from({ length: 8 }, client);
  // About a second of load and at least 6 reloads (bounded, for a busy CI machine).
  const minEnd = Date.now() + 1_000;
  const maxEnd = Date.now() + 5_000;
  while ((Date.now() < minEnd || reloads < 6) && Date.now() < maxEnd) {
    writeFileSync(file, reloads % 2 === 0 ? SHIPPED : RENAMED);
    const result = await gw.reload();
    if (!result.ok) failures.push(`reload ${reloads} failed`);
    reloads++;
    await new Promise((r) => setTimeout(r, 50));
  }
  running = false;
  await Promise.all(clients);
  const total = [...statuses.values()].reduce((a, b) => a + b, 0);
  t.comment(`${reloads} reloads during ${total} requests`);
  t.ok(reloads >= 6, `reloaded ${reloads} times`);
  t.ok(total >= reloads, `sent ${total} requests`);
  t.same(failures, [], 'no connection reset or client error');
  t.same([...statuses.keys()], [200], 'every request answered 200');
  t.notOk(lines.some((l) => l.includes('"level":50')), 'no error logged');
});
