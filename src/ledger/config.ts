/**
 * Where the ledger lives: the embedded database in a directory (default), a
 * PostgreSQL server named by DATABASE_URL (for several replicas), or off.
 */

/** LedgerConfig is the resolved ledger setting. */
export type LedgerConfig =
  | { readonly mode: 'off' }
  | { readonly mode: 'embedded'; readonly dir: string; readonly clockOffsetMs: number }
  | { readonly mode: 'postgres'; readonly url: string; readonly clockOffsetMs: number };

/** LEDGER_DEFAULT_DIR is the embedded database's data directory, relative to the working directory. */
export const LEDGER_DEFAULT_DIR = './data/ledger';

/** LEDGER_ENV names the ledger's environment variables. */
export const LEDGER_ENV = {
  ledger: 'GATEWAY_LEDGER',
  dir: 'GATEWAY_LEDGER_DIR',
  databaseUrl: 'DATABASE_URL',
  /** Shifts the ledger's clock (tests and drills of the seat guard); never set it in production. */
  clockOffsetMs: 'GATEWAY_LEDGER_CLOCK_OFFSET_MS',
} as const;

/** LedgerFlags are the `serve` flags about the ledger. */
export interface LedgerFlags {
  readonly ledger?: string | undefined;
  readonly ledgerDir?: string | undefined;
}

/** resolveLedgerConfig: flag > environment > default; `mode` errors are thrown as Error(message). */
export function resolveLedgerConfig(flags: LedgerFlags, env: Readonly<Record<string, string | undefined>>): LedgerConfig {
  const pick = (v: string | undefined): string | undefined => (v === undefined || v.trim() === '' ? undefined : v.trim());
  const switchValue = (pick(flags.ledger) ?? pick(env[LEDGER_ENV.ledger]) ?? 'on').toLowerCase();
  if (switchValue !== 'on' && switchValue !== 'off') throw new Error(`ledger must be on or off, got "${switchValue}"`);
  if (switchValue === 'off') return { mode: 'off' };
  const rawOffset = pick(env[LEDGER_ENV.clockOffsetMs]);
  if (rawOffset !== undefined && !/^-?\d+$/.test(rawOffset)) throw new Error(`${LEDGER_ENV.clockOffsetMs} must be an integer, got "${rawOffset}"`);
  const clockOffsetMs = rawOffset === undefined ? 0 : Number(rawOffset);
  const dir = pick(flags.ledgerDir);
  const url = pick(env[LEDGER_ENV.databaseUrl]);
  // An explicit --ledger-dir wins over DATABASE_URL from the environment (flag > environment).
  if (dir === undefined && url !== undefined) {
    if (!/^postgres(ql)?:\/\//.test(url)) throw new Error(`${LEDGER_ENV.databaseUrl} must be a postgres:// or postgresql:// URL`);
    return { mode: 'postgres', url, clockOffsetMs };
  }
  return { mode: 'embedded', dir: dir ?? pick(env[LEDGER_ENV.dir]) ?? LEDGER_DEFAULT_DIR, clockOffsetMs };
}
