/**
 * Where the ledger lives and when it opens: the embedded SQLite file in a
 * directory (default), a PostgreSQL server named by DATABASE_URL (for several
 * replicas), or off; `auto` (default) opens it only for a capability that
 * declares `x-ledger` or `x-seat-guard` on some operation.
 */
import type { CompiledCapability } from '../capability/compiled.js';

/** LedgerSwitch: `auto` opens the ledger only when the capability asks for it, `on` always (also when unset). */
export type LedgerSwitch = 'auto' | 'on';

/** LedgerConfig is the resolved ledger setting. */
export type LedgerConfig =
  | { readonly mode: 'off' }
  | {
      readonly mode: 'embedded';
      /** The data directory, or undefined for the default chosen next to the capability file (see resolveLedgerDir). */
      readonly dir: string | undefined;
      readonly clockOffsetMs: number;
      readonly open?: LedgerSwitch | undefined;
    }
  | { readonly mode: 'postgres'; readonly url: string; readonly clockOffsetMs: number; readonly open?: LedgerSwitch | undefined };

/** LEDGER_DEFAULT_DIR is the embedded ledger's directory, relative to the capability file's directory. */
export const LEDGER_DEFAULT_DIR = 'data/ledger';

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

const SWITCHES = ['auto', 'on', 'off'] as const;

/** resolveLedgerConfig: flag > environment > default; `mode` errors are thrown as Error(message). */
export function resolveLedgerConfig(flags: LedgerFlags, env: Readonly<Record<string, string | undefined>>): LedgerConfig {
  const pick = (v: string | undefined): string | undefined => (v === undefined || v.trim() === '' ? undefined : v.trim());
  const switchValue = (pick(flags.ledger) ?? pick(env[LEDGER_ENV.ledger]) ?? 'auto').toLowerCase();
  if (!(SWITCHES as readonly string[]).includes(switchValue)) throw new Error(`ledger must be auto, on or off, got "${switchValue}"`);
  if (switchValue === 'off') return { mode: 'off' };
  const open = switchValue as LedgerSwitch;
  const rawOffset = pick(env[LEDGER_ENV.clockOffsetMs]);
  if (rawOffset !== undefined && !/^-?\d+$/.test(rawOffset)) throw new Error(`${LEDGER_ENV.clockOffsetMs} must be an integer, got "${rawOffset}"`);
  const clockOffsetMs = rawOffset === undefined ? 0 : Number(rawOffset);
  const dir = pick(flags.ledgerDir);
  const url = pick(env[LEDGER_ENV.databaseUrl]);
  // An explicit --ledger-dir wins over DATABASE_URL from the environment (flag > environment).
  if (dir === undefined && url !== undefined) {
    if (!/^postgres(ql)?:\/\//.test(url)) throw new Error(`${LEDGER_ENV.databaseUrl} must be a postgres:// or postgresql:// URL`);
    return { mode: 'postgres', url, clockOffsetMs, open };
  }
  return { mode: 'embedded', dir: dir ?? pick(env[LEDGER_ENV.dir]), clockOffsetMs, open };
}

/** declaresLedger is true when some operation of the capability declares `x-ledger` or `x-seat-guard`. */
export function declaresLedger(capability: CompiledCapability): boolean {
  for (const op of capability.operations.values()) if (op.ledger !== undefined) return true;
  return false;
}

/** ledgerWanted says whether the ledger should be open for `capability` under `config`. */
export function ledgerWanted(config: LedgerConfig | undefined, capability: CompiledCapability): boolean {
  if (config === undefined || config.mode === 'off') return false;
  // An embedder's config without `open` asked for a ledger explicitly.
  return config.open !== 'auto' || declaresLedger(capability);
}
