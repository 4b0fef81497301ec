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

/** LedgerSettings are the ledger's rows of the settings table (settings/table.ts), already parsed there. */
export interface LedgerSettings {
  /** auto, on or off (the table checks the choice). */
  readonly ledger: string;
  readonly ledgerDir: string | undefined;
  /** True when the directory came from the --ledger-dir flag: the flag wins over DATABASE_URL, the variable does not. */
  readonly ledgerDirFromFlag: boolean;
  readonly databaseUrl: string | undefined;
  readonly ledgerClockOffsetMs: number;
}

/** ledgerConfigOf folds the ledger's settings into the one LedgerConfig the gateway opens; a bad URL throws Error(message). */
export function ledgerConfigOf(settings: LedgerSettings): LedgerConfig {
  if (settings.ledger === 'off') return { mode: 'off' };
  const open = settings.ledger as LedgerSwitch;
  const clockOffsetMs = settings.ledgerClockOffsetMs;
  const url = settings.databaseUrl?.trim();
  if (!settings.ledgerDirFromFlag && url !== undefined && url !== '') {
    if (!/^postgres(ql)?:\/\//.test(url)) throw new Error('DATABASE_URL must be a postgres:// or postgresql:// URL');
    return { mode: 'postgres', url, clockOffsetMs, open };
  }
  const dir = settings.ledgerDir?.trim();
  return { mode: 'embedded', dir: dir === '' ? undefined : dir, clockOffsetMs, open };
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
