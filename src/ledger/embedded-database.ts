/**
 * The embedded ledger database: one SQLite file (`ledger.db`) through
 * `libsql`, whose prebuilt binary comes from an optional platform package
 * (no compiler, installs with --ignore-scripts).
 *
 * - WAL with synchronous=FULL: every COMMIT fsyncs the write-ahead log, so an
 *   answered change survives a power loss, not only a process kill.
 * - locking_mode=EXCLUSIVE: the first write takes the file's OS lock and keeps
 *   it until close. A second process gets SQLITE_BUSY at once; the kernel drops
 *   the lock when the owner dies (kill -9 included), so no pid file goes stale.
 *
 * libsql's API is synchronous, so statements of concurrent requests are
 * serialized here: a transaction runs alone from BEGIN to COMMIT.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'libsql';
import { LedgerLockedError, type LedgerDatabase, type SqlRunner } from './database.js';

/** LEDGER_FILE_NAME is the SQLite file inside the ledger directory (plus `-wal` while open). */
export const LEDGER_FILE_NAME = 'ledger.db';

type Statement = Database.Statement;

/** SerialQueue runs async jobs one at a time, in order. */
class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(job: () => Promise<T> | T): Promise<T> {
    const next = this.tail.then(job);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

/** EmbeddedRunner runs statements on the one connection, prepared once per SQL text. */
class EmbeddedRunner implements SqlRunner {
  readonly dialect = 'sqlite' as const;
  private readonly statements = new Map<string, Statement>();

  constructor(readonly db: Database.Database) {}

  run<R extends object>(sql: string, params: readonly unknown[] | undefined): R[] {
    let stmt = this.statements.get(sql);
    if (stmt === undefined) {
      stmt = this.db.prepare(sql);
      this.statements.set(sql, stmt);
    }
    const args = params === undefined ? [] : params;
    if (!stmt.reader) {
      stmt.run(args);
      return [];
    }
    return stmt.all(args) as R[];
  }

  /** forget drops the prepared statements (closing). */
  forget(): void {
    this.statements.clear();
  }

  query<R extends object>(sql: string, params?: readonly unknown[]): Promise<R[]> {
    return Promise.resolve(this.run<R>(sql, params));
  }

  exec(sql: string): Promise<void> {
    this.db.exec(sql);
    return Promise.resolve();
  }
}

function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED';
}

/** openEmbeddedDatabase opens (creating if needed) `<dir>/ledger.db`; LedgerLockedError when another process holds it. */
export function openEmbeddedDatabase(dir: string): Promise<LedgerDatabase> {
  const absolute = resolve(dir);
  mkdirSync(absolute, { recursive: true });
  // timeout 0: a held lock is an immediate SQLITE_BUSY, not a wait.
  const db = new Database(join(absolute, LEDGER_FILE_NAME), { timeout: 0 });
  try {
    // EXCLUSIVE first: WAL entered in exclusive mode keeps its index in this process's memory (no -shm file).
    db.exec('PRAGMA locking_mode = EXCLUSIVE');
    const mode = (db.prepare('PRAGMA journal_mode = WAL').all() as { journal_mode?: string }[])[0]?.journal_mode;
    if (mode !== 'wal') throw new Error(`cannot switch ${LEDGER_FILE_NAME} to WAL mode (got ${String(mode)})`);
    db.exec('PRAGMA synchronous = FULL');
    // Take the exclusive file lock now rather than at the first change, so a second process fails at start.
    db.exec('BEGIN EXCLUSIVE; COMMIT');
  } catch (err) {
    db.close();
    throw isBusy(err) ? new LedgerLockedError(absolute) : err;
  }
  const runner = new EmbeddedRunner(db);
  const queue = new SerialQueue();
  let closed = false;
  const database: LedgerDatabase = {
    kind: 'embedded',
    dialect: 'sqlite',
    description: join(absolute, LEDGER_FILE_NAME),
    query: <R extends object>(sql: string, params?: readonly unknown[]): Promise<R[]> => queue.run(() => runner.run<R>(sql, params)),
    exec: (sql: string): Promise<void> => queue.run(() => void db.exec(sql)),
    transaction: <T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T> =>
      queue.run(async () => {
        db.exec('BEGIN IMMEDIATE');
        try {
          const result = await fn(runner);
          db.exec('COMMIT');
          return result;
        } catch (err) {
          if (db.inTransaction) db.exec('ROLLBACK');
          throw err;
        }
      }),
    holdSessionLock: () => Promise.resolve(true),
    close: () =>
      queue.run(() => {
        if (closed) return;
        closed = true;
        try {
          // libsql keeps the connection, and so its exclusive lock, while any prepared statement lives (until
          // garbage collection). Leaving WAL (a checkpoint) and exclusive mode releases the file lock now, so this
          // process can open the store again at once (a failed start, a reopened ledger).
          db.prepare('PRAGMA journal_mode = DELETE').all();
          db.exec('PRAGMA locking_mode = NORMAL');
          db.prepare('SELECT 1 FROM sqlite_master LIMIT 1').all();
        } finally {
          runner.forget();
          db.close();
        }
      }),
  };
  return Promise.resolve(database);
}
