/**
 * Child processes of the benchmark: each server under test runs in its own
 * process (as in production), started here and stopped by its own pid.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';

/** Child is a started server process. */
export interface Child {
  readonly name: string;
  readonly process: ChildProcess;
  readonly pid: number;
  stop(): Promise<void>;
}

/** READY_DEADLINE_MS bounds a server's start: generous, since a loaded 2-core machine boots a gateway in up to ~75 s. */
const READY_DEADLINE_MS = 90_000;

// Every started server, killed when the bench exits on any path (a failed start in a Promise.all, an error, ^C's exit).
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const proc of live) if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
});

// ^C or a kill of the bench: stop the servers gracefully first (their ledgers close), then exit (and the hook above SIGKILLs stragglers).
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    void stopAll().finally(() => process.exit(130));
  });
}

/** stopAll stops every started server still running (SIGTERM, then SIGKILL after 5 s). */
export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((proc) => childOf('server', proc).stop()));
}

function childOf(name: string, proc: ChildProcess): Child {
  live.add(proc);
  proc.once('exit', () => live.delete(proc));
  return {
    name,
    process: proc,
    pid: proc.pid ?? 0,
    stop(): Promise<void> {
      if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
      return new Promise((resolve) => {
        const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
        proc.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        proc.kill('SIGTERM');
      });
    },
  };
}

/** startJsonLineChild spawns a process that prints one JSON line when ready, and resolves with it. */
export function startJsonLineChild<T>(name: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env, timeoutMs = READY_DEADLINE_MS): Promise<{ child: Child; info: T }> {
  const proc = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const child = childOf(name, proc);
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      void child.stop();
      reject(new Error(`${name} did not start within ${timeoutMs} ms: ${err}`));
    }, timeoutMs);
    proc.stderr?.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    proc.stdout?.on('data', function onData(chunk: Buffer) {
      out += chunk.toString();
      const nl = out.indexOf('\n');
      if (nl === -1) return;
      clearTimeout(timer);
      proc.stdout?.off('data', onData);
      proc.stdout?.resume();
      try {
        resolve({ child, info: JSON.parse(out.slice(0, nl)) as T });
      } catch (e) {
        void child.stop();
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
    proc.once('exit', (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code}: ${err}`));
    });
  });
}

/**
 * startGatewayChild runs `node dist/cli.js serve <capability> --rest-port 0` with its JSON
 * log lines going to a file (as a production deployment ships them to a collector), and
 * resolves with the REST URL from its "gateway ready" line (every adapter listening).
 */
export async function startGatewayChild(name: string, cliPath: string, capability: string, baseUri: string, env: NodeJS.ProcessEnv, logFile: string): Promise<GatewayChild> {
  writeFileSync(logFile, '');
  const fd = openSync(logFile, 'a');
  const proc = spawn(process.execPath, [cliPath, 'serve', capability, '--rest-port', '0', '--mcp-port', '0', '--base-uri', baseUri], {
    // Each gateway keeps its own embedded ledger (as each production replica would its volume); two cannot share one.
    env: { GATEWAY_LEDGER_DIR: `${logFile}.ledger`, ...env },
    stdio: ['ignore', fd, 'pipe'],
  });
  closeSync(fd);
  let err = '';
  proc.stderr?.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const child = childOf(name, proc);
  const deadline = Date.now() + READY_DEADLINE_MS;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`${name} exited with ${proc.exitCode}: ${err}`);
    const ready = readyLine(readFileSync(logFile, 'utf8'));
    if (ready !== undefined) return { child, url: ready.rest, mcpUrl: ready.mcp, readyCpuSeconds: cpuSeconds(child.pid) };
    if (Date.now() > deadline) {
      await child.stop();
      throw new Error(`${name} did not log "gateway ready" within ${READY_DEADLINE_MS / 1000} s: ${err}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** GatewayChild is a started gateway: its REST and MCP URLs, and the CPU time it had used when ready. */
export interface GatewayChild {
  readonly child: Child;
  readonly url: string;
  readonly mcpUrl: string | undefined;
  readonly readyCpuSeconds: number;
}

function readyLine(log: string): { rest: string; mcp: string | undefined } | undefined {
  for (const line of log.split('\n')) {
    if (!line.includes('"gateway ready"')) continue;
    const parsed = JSON.parse(line) as { rest?: unknown; mcp?: unknown };
    if (typeof parsed.rest === 'string') return { rest: parsed.rest, mcp: typeof parsed.mcp === 'string' ? parsed.mcp : undefined };
  }
  return undefined;
}

/** rssBytes reads VmRSS of a process from /proc (Linux), or 0 when unavailable. */
export function rssBytes(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /VmRSS:\s+(\d+)\s+kB/.exec(status);
    return match === null ? 0 : Number(match[1]) * 1024;
  } catch {
    return 0;
  }
}

const CLOCK_TICKS_PER_SECOND = 100;

/**
 * cpuSeconds reads the user + system CPU time a process has used (Linux
 * /proc/<pid>/stat fields 14 and 15, in USER_HZ ticks of 1/100 s), or NaN.
 * CPU per request stays meaningful when other work shares the machine.
 */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces; fields after it start past the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}

/** RssSampler records the peak RSS of a process while a measurement runs. */
export class RssSampler {
  private timer: NodeJS.Timeout | undefined;
  peakBytes = 0;

  constructor(private readonly pid: number) {}

  start(intervalMs = 100): void {
    this.peakBytes = Math.max(this.peakBytes, rssBytes(this.pid));
    this.timer = setInterval(() => {
      this.peakBytes = Math.max(this.peakBytes, rssBytes(this.pid));
    }, intervalMs);
  }

  stop(): number {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.peakBytes = Math.max(this.peakBytes, rssBytes(this.pid));
    return this.peakBytes;
  }
}
