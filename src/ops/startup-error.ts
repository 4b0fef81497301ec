/**
 * Startup failures as one line an operator can act on: what failed (which
 * listener, which setting), where, and the fix. The CLI prints the message
 * alone; the stack trace only at log level debug.
 */
import type { LedgerConfig } from '../ledger/config.js';
import { LedgerLockedError } from '../ledger/database.js';

/** StartupError is a failure to start that the operator fixes by changing a setting or the machine. */
export class StartupError extends Error {
  /** The cause's error code (e.g. `EADDRINUSE`), for embedders that branch on it. */
  readonly code: string | undefined;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StartupError';
    this.code = (options?.cause as NodeJS.ErrnoException | undefined)?.code;
  }
}

/** LISTEN_FIXES says, per socket error code, what is wrong and what to change. */
const LISTEN_FIXES: Readonly<Record<string, (setting: string) => string>> = {
  EADDRINUSE: (setting) => `the port is in use (EADDRINUSE); stop what holds it or choose another port with ${setting}`,
  EACCES: (setting) => `permission denied (EACCES): ports below 1024 need privileges; choose a port ≥ 1024 with ${setting}`,
  EADDRNOTAVAIL: () => 'the address is not on this machine (EADDRNOTAVAIL); fix --host / GATEWAY_HOST',
  ENOTFOUND: () => 'the host name does not resolve (ENOTFOUND); fix --host / GATEWAY_HOST',
};

/** ListenTarget names a listener for the message: `REST "ns"` or `MCP "ns"`, and the setting that moves it. */
export interface ListenTarget {
  readonly adapter: 'REST' | 'MCP';
  readonly namespace: string;
  readonly host: string;
  readonly port: number;
  /** The flag and variable that set this port, e.g. `--rest-port / GATEWAY_REST_PORT`. */
  readonly setting: string;
}

/** listenFailure turns a socket error from listen() into a StartupError naming the listener, its address and the fix; other errors pass unchanged. */
export function listenFailure(target: ListenTarget, err: unknown): unknown {
  const { code, syscall } = err as NodeJS.ErrnoException;
  const fix = code === undefined ? undefined : LISTEN_FIXES[code];
  if (fix === undefined && syscall !== 'listen') return err;
  const reason = fix === undefined ? (err as Error).message : fix(target.setting);
  const host = target.host.includes(':') ? `[${target.host}]` : target.host;
  return new StartupError(`${target.adapter} listener "${target.namespace}" cannot listen on ${host}:${target.port}: ${reason}`, { cause: err });
}

/** ledgerFailure adds to a ledger error which setting chose that ledger and how to choose another (a locked ledger already says so). */
export function ledgerFailure(config: LedgerConfig, err: unknown): Error {
  if (err instanceof LedgerLockedError) return err;
  const first = ((err as Error).message ?? String(err)).split('\n')[0] as string;
  const where =
    config.mode === 'postgres'
      ? 'the ledger database is DATABASE_URL'
      : 'the ledger directory is --ledger-dir / GATEWAY_LEDGER_DIR';
  return new StartupError(`${first} (${where}; GATEWAY_LEDGER=off runs without the ledger and its seat guard)`, { cause: err });
}
