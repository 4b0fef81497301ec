/**
 * The container image without a Docker engine: the Dockerfile's invariants,
 * and a production-only install of exactly what its runtime stage copies,
 * started with its ENTRYPOINT + CMD in front of the Label Studio simulator.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix, relative } from 'node:path';
import t from 'tap';
import { request } from 'undici';
import { startLabelStudio } from '../fixtures/label-studio/simulator.js';
import { track } from '../helpers/children.js';
import { copySteps, parseDockerfile, type Stage } from '../helpers/dockerfile.js';
import { ROOT, startGatewayProcess } from '../helpers/gateway-process.js';

const stages = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
const runtime = stages[stages.length - 1] as Stage;
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };

function argsOf(stage: Stage, name: string): string[] {
  return stage.instructions.filter((i) => i.name === name).map((i) => i.args);
}

function jsonArray(text: string | undefined): string[] {
  return JSON.parse(text ?? '[]') as string[];
}

function workdirOf(stage: Stage): string {
  return argsOf(stage, 'WORKDIR').at(-1) ?? '/';
}

/** ENV instructions as a map (`A=1 B=2` form). */
function envOf(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const args of argsOf(stage, 'ENV')) {
    for (const pair of args.split(/\s+/)) {
      const eq = pair.indexOf('=');
      if (eq > 0) env[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
  }
  return env;
}

t.test('Dockerfile: multi-stage slim Node ≥ 22, non-root, production deps, tini, health check, ports', async (t) => {
  t.ok(stages.length >= 2, 'multi-stage');
  for (const stage of stages) {
    const match = /^node:(\d+)-slim$/.exec(stage.image);
    t.ok(match !== null && Number(match[1]) >= 22, `${stage.image} is a slim Node 22+ image`);
  }
  const user = argsOf(runtime, 'USER').at(-1);
  t.ok(user !== undefined && user !== 'root' && user !== '0', `runs as ${String(user)}`);
  const installs = argsOf(runtime, 'RUN').filter((r) => r.includes('npm ci'));
  t.equal(installs.length, 1, 'one npm install in the runtime stage');
  t.match(installs[0], /npm ci --omit=dev/);
  t.ok(copySteps(runtime).every((c) => !c.sources.includes('src') && !c.sources.includes('.')), 'no sources or whole context in the runtime image');
  t.match(argsOf(runtime, 'RUN').join('\n'), /apt-get install -y --no-install-recommends tini/);
  const entrypoint = jsonArray(argsOf(runtime, 'ENTRYPOINT').at(-1));
  t.same(entrypoint.slice(0, 2), ['/usr/bin/tini', '--'], 'tini is PID 1 (exec form)');
  t.match(argsOf(runtime, 'HEALTHCHECK').at(-1), /CMD \[.*\/healthz/);
  t.same(argsOf(runtime, 'EXPOSE').join(' ').split(/\s+/).sort(), ['8080', '9090']);
  t.equal(envOf(runtime)['GATEWAY_CAPABILITY'], '/app/capability.yaml', 'capability path from a build arg, overridable by env');
  t.equal(envOf(runtime)['GATEWAY_HOST'], '0.0.0.0', 'reachable from outside the container');
  t.equal(envOf(runtime)['NODE_ENV'], 'production');
  const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
  for (const needed of ['package.json', 'package-lock.json', 'tsconfig.json', 'src', 'capability.yaml']) {
    t.notOk(ignored.includes(needed), `.dockerignore keeps ${needed}`);
  }
  for (const unwanted of ['node_modules', 'dist', '.git', 'test']) t.ok(ignored.includes(unwanted), `.dockerignore drops ${unwanted}`);
});

t.test('production-only install of what the image copies serves the capability', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ngw-image-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const appDir = workdirOf(runtime);
  const buildStages = new Map(stages.map((s) => [s.name, s]));
  // Copy exactly the runtime stage's COPY sources; a build-stage path maps back to the repo (npm test built dist/).
  for (const step of copySteps(runtime)) {
    const fromStage = step.from === undefined ? undefined : buildStages.get(step.from);
    for (const source of step.sources) {
      const local = fromStage === undefined ? join(ROOT, source) : join(ROOT, posix.relative(workdirOf(fromStage), source));
      t.ok(existsSync(local), `${source} exists (${relative(ROOT, local)})`);
      const destination = step.destination.endsWith('/') ? join(dir, step.destination, posix.basename(source)) : join(dir, step.destination);
      cpSync(local, destination, { recursive: true });
    }
  }
  const install = argsOf(runtime, 'RUN').find((r) => r.includes('npm ci'));
  const npmArgs = (install?.split('&&')[0] ?? '').trim().split(/\s+/).slice(1);
  const started = Date.now();
  const result = await new Promise<{ code: number | null; output: string }>((resolve) => {
    // --prefer-offline: the test reuses npm's cache; the image build does the same install online.
    const child = track(spawn('npm', [...npmArgs, '--prefer-offline'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_ENV: 'production' } }));
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.once('exit', (code) => resolve({ code, output }));
  });
  t.equal(result.code, 0, result.output);
  t.comment(`npm ${npmArgs.join(' ')}: ${Date.now() - started} ms`);
  for (const dev of ['typescript', 'tap', 'tsx', 'eslint']) {
    t.ok(dev in pkg.devDependencies && !existsSync(join(dir, 'node_modules', dev)), `dev dependency ${dev} is not installed`);
  }

  const sim = await startLabelStudio();
  t.teardown(() => sim.close());
  const imageEnv = envOf(runtime);
  const entry = [...jsonArray(argsOf(runtime, 'ENTRYPOINT').at(-1)).slice(2), ...jsonArray(argsOf(runtime, 'CMD').at(-1))];
  t.equal(entry[0], 'node');
  const gw = await startGatewayProcess({
    capability: '',
    cwd: dir,
    argv: entry.slice(1),
    env: {
      ...imageEnv,
      GATEWAY_CAPABILITY: (imageEnv['GATEWAY_CAPABILITY'] ?? '').replace(appDir, dir),
      GATEWAY_HOST: '127.0.0.1',
      GATEWAY_BASE_URI: sim.url,
      LABEL_STUDIO_API_KEY: sim.legacyToken,
    },
  });
  t.teardown(() => gw.stop());
  const health = await request(gw.url + '/healthz');
  t.equal(health.statusCode, 200);
  t.same(await health.body.json(), { status: 'ok' });
  const list = await request(gw.url + '/v1/api/organizations');
  t.equal(list.statusCode, 200);
  t.equal((await list.body.json() as unknown[]).length, 3);
  t.equal(sim.requests[0]?.headers['authorization'], `Token ${sim.legacyToken}`);
  t.equal(await gw.stop(), 0, 'SIGTERM exits 0');
});
