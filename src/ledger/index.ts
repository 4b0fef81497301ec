/**
 * Opening the ledger at boot: connect, migrate, take this process's liveness
 * lock, and turn the pending intents of processes that are gone into `unknown`.
 */
import { randomInt } from 'node:crypto';
import type { Logger } from 'pino';
import type { BuiltinTool } from '../core/tool.js';
import type { CompiledCapability } from '../capability/compiled.js';
import type { LedgerConfig } from './config.js';
import { LedgerLockedError, type LedgerDatabase } from './database.js';
import { resolveLedgerDir } from './data-dir.js';
import { BOOT_LOCK_NAMESPACE } from './entry.js';
import { LedgerInterceptor } from './interceptor.js';
import { callListRoleChanges, LIST_ROLE_CHANGES_TOOL } from './mcp-tool.js';
import { migrate } from './migrations.js';
import { ScheduleService } from './schedule.js';
import { scheduleTools } from './schedule-tools.js';
import { describeUrl } from './url.js';
import { LedgerStore, type Clock } from './store.js';

/** Ledger is an open ledger: its store, interceptor and database. */
export interface Ledger {
  readonly db: LedgerDatabase;
  readonly store: LedgerStore;
  readonly interceptor: LedgerInterceptor;
  readonly clock: Clock;
  /** Scheduled changes: list, read, cancel (REST routes and MCP tools). */
  readonly schedules: ScheduleService;
  close(): Promise<void>;
}

const BOOT_KEY_ATTEMPTS = 5;

/** OpenLedgerOptions are what opening needs besides the config. */
export interface OpenLedgerOptions {
  /** The capability file: the embedded ledger's default directory is next to it. */
  readonly capabilityPath: string;
  /** The environment (HOME, XDG_DATA_HOME… for the fallback directory). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The gateway's upstream timeout, for operations without their own. */
  readonly upstreamTimeoutMs: number;
  readonly clock?: Clock | undefined;
}

/** openLedger opens the configured database; undefined when the ledger is off. */
export async function openLedger(config: LedgerConfig, logger: Logger, options: OpenLedgerOptions): Promise<Ledger | undefined> {
  if (config.mode === 'off') return undefined;
  // Only the chosen driver is loaded: the SQLite binary is of no use to a replica on PostgreSQL, nor `pg` to the embedded file.
  let db: LedgerDatabase;
  let where: string;
  if (config.mode === 'postgres') {
    where = describeUrl(config.url);
    try {
      db = await (await import('./postgres-database.js')).openPostgresDatabase(config.url, (err) => logger.error({ err }, 'ledger: database connection error'));
    } catch (err) {
      throw new Error(`ledger: cannot open ${where}: ${(err as Error).message}`, { cause: err });
    }
  } else {
    const choice = resolveLedgerDir(config.dir, options.capabilityPath, options.env);
    where = choice.dir;
    try {
      db = await (await import('./embedded-database.js')).openEmbeddedDatabase(choice.dir);
    } catch (err) {
      if (err instanceof LedgerLockedError) throw err;
      throw new Error(`ledger: cannot open ${where}: ${(err as Error).message}`, { cause: err });
    }
    logger.info({ ledgerDir: choice.dir, reason: choice.reason }, 'ledger directory');
  }
  try {
    const applied = await migrate(db);
    let bootKey = 0;
    for (let i = 0; i < BOOT_KEY_ATTEMPTS && bootKey === 0; i++) {
      const key = randomInt(1, 2 ** 31 - 1);
      if (await db.holdSessionLock(BOOT_LOCK_NAMESPACE, key)) bootKey = key;
    }
    if (bootKey === 0) throw new Error('ledger: could not take a liveness lock');
    const offset = config.clockOffsetMs;
    const effectiveClock: Clock = options.clock ?? (offset === 0 ? Date.now : () => Date.now() + offset);
    if (offset !== 0) logger.warn({ clockOffsetMs: offset }, 'ledger: clock offset in effect (testing only)');
    const store = new LedgerStore(db, bootKey, effectiveClock);
    const abandoned = await store.markAbandoned();
    logger.info({ ledger: db.kind, where: db.description, migrationsApplied: applied, abandonedIntents: abandoned }, 'ledger ready');
    return {
      db,
      store,
      interceptor: new LedgerInterceptor(store, logger, options.upstreamTimeoutMs),
      clock: effectiveClock,
      schedules: new ScheduleService(db, effectiveClock),
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

/** ledgerTools serve the ledger to agents: `list-role-changes` and the scheduled changes' tools. */
export function ledgerTools(ledger: Ledger): BuiltinTool[] {
  return [
    {
      definition: LIST_ROLE_CHANGES_TOOL,
      call: (args, ctx) => callListRoleChanges(ledger.db, args, ctx.requestId),
    },
    ...scheduleTools(ledger.schedules),
  ];
}
