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

/** How a job runs: one statement (atomic by itself), one read-only statement, or a transaction function. */
const WRITE = 0;
const READ = 1;
const TRANSACTION = 2;

/**
 * Job is one statement or transaction waiting for the next group commit; it keeps its own result until the
 * sync that makes it durable (one object per job: no closures).
 */
interface Job {
  readonly kind: typeof WRITE | typeof READ | typeof TRANSACTION;
  readonly sql: string;
  readonly params: readonly unknown[] | undefined;
  /** Only the first row is wanted (`one`): no array of rows. */
  readonly first: boolean;
  readonly run: ((tx: SqlRunner) => Promise<unknown>) | undefined;
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: unknown) => void;
  ok: boolean;
  value: unknown;
}

const isReadOnly = (sql: string): boolean => /^\s*SELECT\b/i.test(sql);

/**
 * GroupCommit runs jobs in arrival order inside one open write transaction and makes them durable together:
 * COMMIT, then fdatasync of the WAL off the main thread, then every job of that commit is acknowledged. At
 * most one sync is in flight; jobs that arrive meanwhile run at once (later jobs see their writes) and wait,
 * uncommitted, for the next COMMIT, which follows when the sync returns — so under load one COMMIT and one
 * sync cover many changes (fewer WAL frames written, fewer syncs), and nothing is acknowledged before the sync
 * that follows its COMMIT returned (the guarantee of `synchronous = FULL`).
 * - A single statement is atomic by itself (SQLite rolls back a failing statement alone); a transaction
 *   function runs in a SAVEPOINT, rolled back alone when it throws.
 * - A read-only statement needs no sync of its own: it is answered at once when nothing it may have read is
 *   still unsynced, else with the sync that covers what it read.
 */
class GroupCommit {
  private pending: Job[] = [];
  /** Jobs run since the last COMMIT (the write transaction is open while there are any). */
  private uncommitted: Job[] = [];
  /** Jobs waiting for the sync in flight (undefined: none in flight). */
  private syncing: Job[] | undefined = undefined;
  private scheduled = false;
  private running = false;
  private closed = false;

  /** Transaction control, prepared once: parsing it per job is a measurable share of a ledgered call's CPU. */
  private readonly control: { begin: Statement; commit: Statement; savepoint: Statement; release: Statement };
  private readonly flushNow = (): void => {
    this.scheduled = false;
    void this.flush();
  };

  constructor(
    private readonly db: Database.Database,
    private readonly runner: EmbeddedRunner,
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

  /** statement runs one statement (a read-only one without a sync of its own); `first`: only its first row. */
  statement(sql: string, params: readonly unknown[] | undefined, first: boolean): Promise<unknown> {
    return this.submit(isReadOnly(sql) ? READ : WRITE, sql, params, first, undefined);
  }

  transaction<T>(run: (tx: SqlRunner) => Promise<T>): Promise<T> {
    return this.submit(TRANSACTION, '', undefined, false, run) as Promise<T>;
  }

  private submit(kind: Job['kind'], sql: string, params: readonly unknown[] | undefined, first: boolean, run: Job['run']): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error('the ledger database is closed'));
    return new Promise<unknown>((resolve, reject) => {
      this.pending.push({ kind, sql, params, first, run, resolve, reject, ok: false, value: undefined });
      if (!this.scheduled && !this.running) {
        this.scheduled = true;
        // setImmediate: requests read in the same turn of the event loop join this batch.
        setImmediate(this.flushNow);
      }
    });
  }

  /** drain waits for every submitted job, then refuses new ones. */
  async drain(): Promise<void> {
    while (this.running || this.syncing !== undefined || this.pending.length > 0 || this.uncommitted.length > 0) {
      await new Promise((r) => setImmediate(r));
    }
    this.closed = true;
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    this.running = true;
    const control = this.control;
    for (const job of batch) {
      try {
        if (job.kind === READ) {
          job.value = this.runner.run(job.sql, job.params, job.first);
          job.ok = true;
          // What it read is durable unless some of it is still uncommitted or being synced.
          if (this.uncommitted.length > 0) this.uncommitted.push(job);
          else if (this.syncing !== undefined) this.syncing.push(job);
          else job.resolve(job.value);
          continue;
        }
        this.uncommitted.push(job);
        if (this.uncommitted.length === 1) control.begin.run();
        if (job.kind === WRITE) {
          job.value = this.runner.run(job.sql, job.params, job.first);
        } else {
          control.savepoint.run();
          try {
            job.value = await (job.run as (tx: SqlRunner) => Promise<unknown>)(this.runner);
          } catch (err) {
            if (this.db.inTransaction) this.db.exec('ROLLBACK TO job; RELEASE job');
            throw err;
          }
          control.release.run();
        }
        job.ok = true;
      } catch (err) {
        job.value = err;
        // A failed read is in no list yet: it fails now.
        if (job.kind === READ) job.reject(err);
        // SQLite rolled back the whole transaction (disk full, I/O error): every uncommitted job is lost.
        if (this.uncommitted.length > 0 && !this.db.inTransaction) this.fail(this.uncommitted.splice(0), err);
      }
    }
    this.running = false;
    if (this.pending.length > 0 && !this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushNow);
    }
    if (this.syncing === undefined) this.commit();
  }

  /** commit ends the open transaction and syncs it; its jobs are acknowledged once the sync returned. */
  private commit(): void {
    const jobs = this.uncommitted;
    if (jobs.length === 0) return;
    this.uncommitted = [];
    try {
      this.control.commit.run();
    } catch (err) {
      try {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
      } catch {
        // The COMMIT's error is the one its jobs learn.
      }
      this.fail(jobs, err);
      return;
    }
    this.syncing = jobs;
    this.sync().then(
      () => this.synced(undefined),
      (err: unknown) => this.synced(err),
    );
  }

  private synced(err: unknown): void {
    const jobs = this.syncing as Job[];
    this.syncing = undefined;
    if (err !== undefined) this.fail(jobs, err);
    else for (const job of jobs) (job.ok ? job.resolve : job.reject)(job.value);
    // Jobs run while this sync was in flight commit now (unless a batch is mid-way: it commits when done).
    if (!this.running) this.commit();
  }

  private fail(jobs: readonly Job[], err: unknown): void {
    for (const job of jobs) job.reject(job.ok ? err : job.value);
  }
}

/** Prepared is a statement prepared once, with whether it returns rows (a native call each time libsql is asked). */
interface Prepared {
  readonly stmt: Statement;
  readonly reader: boolean;
}

/** EmbeddedRunner runs statements on the one connection, prepared once per SQL text. */
class EmbeddedRunner implements SqlRunner {
  readonly dialect = 'sqlite' as const;
  private readonly statements = new Map<string, Prepared>();

  constructor(readonly db: Database.Database) {}

  /** run runs one statement: its rows, or only the first (undefined when none) with `first` (no row array). */
  run(sql: string, params: readonly unknown[] | undefined, first: boolean): unknown {
    let prepared = this.statements.get(sql);
    if (prepared === undefined) {
      const stmt = this.db.prepare(sql);
      prepared = { stmt, reader: stmt.reader };
      this.statements.set(sql, prepared);
    }
    const args = params === undefined ? [] : params;
    if (!prepared.reader) {
      prepared.stmt.run(args);
      return first ? undefined : [];
    }
    // libsql's `all` reads rows through a 100-slot buffer: several µs more than `get` for the one row most statements return.
    return first ? prepared.stmt.get(args) : prepared.stmt.all(args);
  }

  /** forget drops the prepared statements (closing). */
  forget(): void {
    this.statements.clear();
  }

  query<R extends object>(sql: string, params?: readonly unknown[]): Promise<R[]> {
    return Promise.resolve(this.run(sql, params, false) as R[]);
  }

  one<R extends object>(sql: string, params?: readonly unknown[]): Promise<R | undefined> {
    return Promise.resolve(this.run(sql, params, true) as R | undefined);
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
    query: <R extends object>(sql: string, params?: readonly unknown[]): Promise<R[]> => commits.statement(sql, params, false) as Promise<R[]>,
    one: <R extends object>(sql: string, params?: readonly unknown[]): Promise<R | undefined> => commits.statement(sql, params, true) as Promise<R | undefined>,
    exec: (sql: string): Promise<void> => commits.transaction((tx) => tx.exec(sql)),
    transaction: <T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T> => commits.transaction(fn),
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
