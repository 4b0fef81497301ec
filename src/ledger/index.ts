/**
 * Opening the ledger at boot: connect, migrate, take this process's liveness
 * lock, and turn the pending intents of processes that are gone into `unknown`.
 */
import { randomInt } from 'node:crypto';
import type { Logger } from 'pino';
import type { BuiltinTool } from '../core/tool.js';
import type { CompiledCapability } from '../capability/compiled.js';
import type { LedgerConfig } from './config.js';
import type { LedgerDatabase } from './database.js';
import { BOOT_LOCK_NAMESPACE } from './entry.js';
import { LedgerInterceptor, type Clock } from './interceptor.js';
import { callListRoleChanges, LIST_ROLE_CHANGES_TOOL } from './mcp-tool.js';
import { migrate } from './migrations.js';
import { describeUrl } from './url.js';
import { LedgerStore } from './store.js';

/** Ledger is an open ledger: its store, interceptor and database. */
export interface Ledger {
  readonly db: LedgerDatabase;
  readonly store: LedgerStore;
  readonly interceptor: LedgerInterceptor;
  readonly clock: Clock;
  close(): Promise<void>;
}

const BOOT_KEY_ATTEMPTS = 5;

/** openLedger opens the configured database; undefined when the ledger is off. */
export async function openLedger(config: LedgerConfig, logger: Logger, clock?: Clock): Promise<Ledger | undefined> {
  if (config.mode === 'off') return undefined;
  // Only the chosen driver is loaded: PGlite's WebAssembly build is of no use to a replica on PostgreSQL.
  let db: LedgerDatabase;
  try {
    db =
      config.mode === 'postgres'
        ? await (await import('./postgres-database.js')).openPostgresDatabase(config.url, (err) => logger.error({ err }, 'ledger: database connection error'))
        : await (await import('./embedded-database.js')).openEmbeddedDatabase(config.dir);
  } catch (err) {
    const where = config.mode === 'postgres' ? describeUrl(config.url) : config.dir;
    throw new Error(`ledger: cannot open ${where}: ${(err as Error).message}`, { cause: err });
  }
  try {
    const applied = await migrate(db);
    let bootKey = 0;
    for (let i = 0; i < BOOT_KEY_ATTEMPTS && bootKey === 0; i++) {
      const key = randomInt(1, 2 ** 31 - 1);
      if (await db.holdSessionLock(BOOT_LOCK_NAMESPACE, key)) bootKey = key;
    }
    if (bootKey === 0) throw new Error('ledger: could not take a liveness lock');
    const store = new LedgerStore(db, bootKey);
    const abandoned = await store.markAbandoned();
    const offset = config.clockOffsetMs;
    const effectiveClock: Clock = clock ?? (offset === 0 ? Date.now : () => Date.now() + offset);
    if (offset !== 0) logger.warn({ clockOffsetMs: offset }, 'ledger: clock offset in effect (testing only)');
    logger.info({ ledger: db.kind, where: db.description, migrationsApplied: applied, abandonedIntents: abandoned }, 'ledger ready');
    return {
      db,
      store,
      interceptor: new LedgerInterceptor(store, effectiveClock, logger),
      clock: effectiveClock,
      close: () => db.close(),
    };
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
}

/** warnUnguarded says at boot which guarded operations go unguarded because the ledger is off. */
export function warnUnguarded(capability: CompiledCapability, logger: Logger): void {
  for (const op of capability.operations.values()) {
    if (op.ledger?.seatGuard !== undefined && op.ledger.seatGuard.policy !== 'off') logger.warn({ operation: op.key }, 'ledger is off: the seat-rotation guard is not applied');
  }
}

/** ledgerTool serves the ledger to agents as the MCP tool `list-role-changes`. */
export function ledgerTool(ledger: Ledger): BuiltinTool {
  return {
    definition: LIST_ROLE_CHANGES_TOOL,
    call: (args, ctx) => callListRoleChanges(ledger.db, args, ctx.requestId),
  };
}
