/**
 * The embedded ledger database: one SQLite file (`ledger.db`) through
 * `libsql`, whose prebuilt binary comes from an optional platform package
 * (no compiler, installs with --ignore-scripts).
 *
 * - WAL, and every commit synced before it is acknowledged: an answered change
 *   survives a power loss, not only a process kill. libsql's API is synchronous,
 *   so `synchronous = FULL` would stall the event loop (every request) for the
 *   whole fsync; instead SQLite commits with `synchronous = NORMAL` (WAL frames
 *   written, no sync) and the batch's fdatasync of the WAL runs on libuv's thread
 *   pool before any of its transactions is acknowledged — the same guarantee as
 *   FULL (which fsyncs the same WAL at each commit), without the stall.
 * - locking_mode=EXCLUSIVE: the first write takes the file's OS lock and keeps
 *   it until close. A second process gets SQLITE_BUSY at once; the kernel drops
 *   the lock when the owner dies (kill -9 included), so no pid file goes stale.
 */
import { mkdirSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import Database from 'libsql';
import { LedgerLockedError, type LedgerDatabase, type SqlRunner } from './database.js';

/** LEDGER_FILE_NAME is the SQLite file inside the ledger directory (plus `-wal` while open). */
export const LEDGER_FILE_NAME = 'ledger.db';

type Statement = Database.Statement;

/** Job is one transaction (or statement) waiting for the next group commit. */
interface Job {
  readonly run: (tx: SqlRunner) => Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: unknown) => void;
}

/**
 * GroupCommit runs transactions one after another, each in its own SAVEPOINT, inside one BEGIN … COMMIT per
 * batch, then syncs the WAL off the main thread: transactions that arrive meanwhile form the next batch and
 * share its sync. None is acknowledged before the sync that follows its COMMIT returned; a failing transaction
 * rolls back to its savepoint alone. A later batch may read an earlier one before that is synced, but is itself
 * acknowledged only after a later sync, which covers both.
 */
class GroupCommit {
  private pending: Job[] = [];
  private scheduled = false;
  private running = false;
  private syncing = 0;
  private closed = false;

  /** Transaction control, prepared once: parsing it per job is a measurable share of a ledgered call's CPU. */
  private readonly control: { begin: Statement; commit: Statement; savepoint: Statement; release: Statement };

  constructor(
    private readonly db: Database.Database,
    private readonly runner: SqlRunner,
    /** Makes everything committed so far durable (fdatasync of the WAL). */
    private readonly sync: () => Promise<void>,
  ) {
    this.control = {
      begin: db.prepare('BEGIN IMMEDIATE'),
      commit: db.prepare('COMMIT'),
      savepoint: db.prepare('SAVEPOINT job'),
      release: db.prepare('RELEASE job'),
    };
  }

  submit<T>(run: (tx: SqlRunner) => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('the ledger database is closed'));
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ run, resolve: resolve as (value: unknown) => void, reject });
      this.schedule();
    });
  }

  /** drain waits for every submitted job, then refuses new ones. */
  async drain(): Promise<void> {
    while (this.running || this.syncing > 0 || this.pending.length > 0) await new Promise((r) => setImmediate(r));
    this.closed = true;
  }

  private schedule(): void {
    if (this.scheduled || this.running) return;
    this.scheduled = true;
    // setImmediate: requests read in the same turn of the event loop join this batch.
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    this.running = true;
    const results: { ok: boolean; value: unknown }[] = [];
    try {
      const control = this.control;
      control.begin.run();
      for (const job of batch) {
        control.savepoint.run();
        try {
          results.push({ ok: true, value: await job.run(this.runner) });
          control.release.run();
        } catch (err) {
          this.db.exec('ROLLBACK TO job; RELEASE job');
          results.push({ ok: false, value: err });
        }
      }
      control.commit.run();
    } catch (err) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      this.running = false;
      if (this.pending.length > 0) this.schedule();
      for (const job of batch) job.reject(err);
      return;
    }
    // The next batch may run while this one syncs.
    this.running = false;
    this.syncing++;
    if (this.pending.length > 0) this.schedule();
    try {
      await this.sync();
    } catch (err) {
      for (const job of batch) job.reject(err);
      return;
    } finally {
      this.syncing--;
    }
    for (let i = 0; i < batch.length; i++) {
      const r = results[i] as { ok: boolean; value: unknown };
      if (r.ok) (batch[i] as Job).resolve(r.value);
      else (batch[i] as Job).reject(r.value);
    }
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
export async function openEmbeddedDatabase(dir: string): Promise<LedgerDatabase> {
  const absolute = resolve(dir);
  mkdirSync(absolute, { recursive: true });
  // timeout 0: a held lock is an immediate SQLITE_BUSY, not a wait.
  const db = new Database(join(absolute, LEDGER_FILE_NAME), { timeout: 0 });
  try {
    // EXCLUSIVE first: WAL entered in exclusive mode keeps its index in this process's memory (no -shm file).
    db.exec('PRAGMA locking_mode = EXCLUSIVE');
    const mode = (db.prepare('PRAGMA journal_mode = WAL').all() as { journal_mode?: string }[])[0]?.journal_mode;
    if (mode !== 'wal') throw new Error(`cannot switch ${LEDGER_FILE_NAME} to WAL mode (got ${String(mode)})`);
    // NORMAL: SQLite writes each commit to the WAL without syncing; GroupCommit syncs before acknowledging.
    db.exec('PRAGMA synchronous = NORMAL');
    // Take the exclusive file lock now rather than at the first change, so a second process fails at start.
    db.exec('BEGIN EXCLUSIVE; COMMIT');
  } catch (err) {
    db.close();
    throw isBusy(err) ? new LedgerLockedError(absolute) : err;
  }
  // SQLite keeps the -wal file (same inode) while the connection is open: it is truncated or rewritten, never replaced.
  let wal: FileHandle;
  try {
    wal = await open(join(absolute, `${LEDGER_FILE_NAME}-wal`), 'r+');
  } catch (err) {
    db.close();
    throw err;
  }
  const runner = new EmbeddedRunner(db);
  const commits = new GroupCommit(db, runner, () => wal.datasync());
  let closed = false;
  const database: LedgerDatabase = {
    kind: 'embedded',
    dialect: 'sqlite',
    description: join(absolute, LEDGER_FILE_NAME),
    query: <R extends object>(sql: string, params?: readonly unknown[]): Promise<R[]> => commits.submit((tx) => tx.query<R>(sql, params)),
    exec: (sql: string): Promise<void> => commits.submit((tx) => tx.exec(sql)),
    transaction: <T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T> => commits.submit(fn),
    holdSessionLock: () => Promise.resolve(true),
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await commits.drain();
      await wal.close().catch(() => undefined);
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
    },
  };
  return database;
}
