/**
 * Starts the real gateway (`node dist/cli.js serve`) as a child process on
 * port 0 and reads its JSON log lines, so tests exercise exactly what users run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ORPHAN_GUARD, stopChild, track } from './children.js';
import { TEST_DEADLINE_MS } from './deadlines.js';

/** CLI is the compiled command line entry (`npm test` builds it first). */
export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
/** ROOT is the repository root. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** GatewayProcess is a running gateway child process. */
export interface GatewayProcess {
  readonly child: ChildProcess;
  /** `http://127.0.0.1:PORT` of the REST adapter. */
  readonly url: string;
  /** `http://host:port` of the MCP adapter ('' when it has none). */
  readonly mcpUrl: string;
  /** Every stdout line so far (JSON log lines). */
  readonly logs: string[];
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Parsed log lines. */
  logObjects(): Record<string, unknown>[];
  /** stop sends a signal and waits for exit; resolves to the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** waitForLog resolves with the first log object matching `predicate`. */
  waitForLog(predicate: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
}

/** GatewayProcessOptions are the child's arguments and environment. */
export interface GatewayProcessOptions {
  readonly capability: string;
  readonly env?: Record<string, string | undefined>;
  readonly args?: readonly string[];
  /** How long to wait for the "gateway ready" line (default TEST_DEADLINE_MS). */
  readonly timeoutMs?: number;
  /** Working directory (default: the repository root). */
  readonly cwd?: string;
  /** Node arguments before the port flags (default: `[CLI, 'serve', capability]`), e.g. an image's ENTRYPOINT + CMD. */
  readonly argv?: readonly string[];
}

function parseLine(line: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(line);
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** startGatewayProcess spawns the gateway and resolves once it listens. */
export function startGatewayProcess(options: GatewayProcessOptions): Promise<GatewayProcess> {
  const env: Record<string, string> = {};
  // Test files run in parallel from the repository root: sharing the default ./data/ledger would make the
  // second gateway refuse to start. Tests that want the ledger say where it lives.
  const ledgerChosen = ['GATEWAY_LEDGER', 'GATEWAY_LEDGER_DIR', 'DATABASE_URL'].some((k) => options.env?.[k] !== undefined);
  const ledgerDefault = ledgerChosen ? {} : { GATEWAY_LEDGER: 'off' };
  for (const [k, v] of Object.entries({ PATH: process.env['PATH'], HOME: process.env['HOME'], ...ledgerDefault, ...options.env })) {
    if (v !== undefined) env[k] = v;
  }
  const argv = options.argv ?? [CLI, 'serve', options.capability];
  const child = track(
    spawn(process.execPath, [...ORPHAN_GUARD, ...argv, '--rest-port', '0', '--mcp-port', '0', ...(options.args ?? [])], {
      cwd: options.cwd ?? ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  const logs: string[] = [];
  let stderr = '';
  let partial = '';
  const waiters = new Set<{ predicate: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }>();
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    partial += chunk;
    let nl: number;
    while ((nl = partial.indexOf('\n')) !== -1) {
      const line = partial.slice(0, nl);
      partial = partial.slice(nl + 1);
      logs.push(line);
      const obj = parseLine(line);
      if (obj === undefined) continue;
      for (const w of waiters) {
        if (w.predicate(obj)) {
          waiters.delete(w);
          w.resolve(obj);
        }
      }
    }
  });
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const waitForLog = (predicate: (l: Record<string, unknown>) => boolean, timeoutMs = TEST_DEADLINE_MS): Promise<Record<string, unknown>> => {
    for (const line of logs) {
      const obj = parseLine(line);
      if (obj !== undefined && predicate(obj)) return Promise.resolve(obj);
    }
    return new Promise((resolve, reject) => {
      const waiter = { predicate, resolve };
      waiters.add(waiter);
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        reject(new Error(`no matching log line within ${timeoutMs} ms; stderr: ${stderr}\nstdout: ${logs.join('\n')}`));
      }, timeoutMs);
      timer.unref();
      void exited.then((code) => {
        if (!waiters.has(waiter)) return;
        waiters.delete(waiter);
        clearTimeout(timer);
        reject(new Error(`gateway exited with ${String(code)} before the expected log line; stderr: ${stderr}`));
      });
    });
  };

  // A gateway that does not finish shutting down within the deadline is killed, so no teardown hangs.
  const stop = (signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> => stopChild(child, exited, signal, TEST_DEADLINE_MS);

  // 'gateway ready' comes once every adapter listens and the signal handlers are installed.
  return waitForLog((l) => l['msg'] === 'gateway ready', options.timeoutMs ?? TEST_DEADLINE_MS).then(
    (line) => ({
      child,
      url: typeof line['rest'] === 'string' ? line['rest'] : '',
      mcpUrl: typeof line['mcp'] === 'string' ? line['mcp'] : '',
      logs,
      stderr: () => stderr,
      logObjects: () => logs.map(parseLine).filter((l): l is Record<string, unknown> => l !== undefined),
      stop,
      waitForLog,
    }),
    async (err: unknown) => {
      await stop('SIGKILL');
      throw err;
    },
  );
}

/**
 * runCli runs the CLI to completion and returns its exit code and output. A run that
 * outlives the deadline (e.g. a `serve` expected to fail that started instead) is
 * killed and rejects, rather than hanging the test file.
 */
export function runCli(args: readonly string[], env: Record<string, string | undefined> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const childEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries({ PATH: process.env['PATH'], ...env })) if (v !== undefined) childEnv[k] = v;
  return new Promise((resolve, reject) => {
    const child = track(spawn(process.execPath, [...ORPHAN_GUARD, CLI, ...args], { cwd: ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] }));
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`naftiko-gateway ${args.join(' ')} still running after ${TEST_DEADLINE_MS} ms; stderr: ${stderr}`));
    }, TEST_DEADLINE_MS);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
