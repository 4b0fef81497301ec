/**
 * The ledger's view of a database: the embedded SQLite file (through
 * `libsql`) or a PostgreSQL server (through `pg`). Each dialect has its own
 * SQL (see sql-sqlite.ts and sql-postgres.ts); parameters are the same on
 * both: times as epoch milliseconds, ids as text.
 */

/** SqlDialect names the SQL a database speaks. */
export type SqlDialect = 'sqlite' | 'postgres';

/** SqlRunner runs statements on one connection (or transaction). */
export interface SqlRunner {
  readonly dialect: SqlDialect;
  /** query runs one parameterized statement and returns its rows. */
  query<R extends object>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  /** one runs one parameterized statement and returns its first row (the embedded store builds no row array). */
  one<R extends object>(sql: string, params?: readonly unknown[]): Promise<R | undefined>;
  /** exec runs several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

/** LedgerDatabase is a connection pool (PostgreSQL) or the embedded database. */
export interface LedgerDatabase extends SqlRunner {
  readonly kind: 'embedded' | 'postgres';
  /** Where the data lives, safe to log (no password). */
  readonly description: string;
  /** transaction runs `fn` inside BEGIN … COMMIT, rolling back when it throws. */
  transaction<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T>;
  /**
   * holdSessionLock tries to take a session-level lock kept until close, so other processes can tell this
   * one is alive (PostgreSQL: an advisory lock seen in `pg_locks`). The embedded file is locked whole for
   * the process's life, so there it always succeeds.
   */
  holdSessionLock(namespace: number, key: number): Promise<boolean>;
  close(): Promise<void>;
}

/** LedgerLockedError: another process holds the embedded ledger file (its OS lock). */
export class LedgerLockedError extends Error {
  constructor(readonly dir: string) {
    super(
      `the ledger in ${dir} is in use by another gateway process; give this one its own --ledger-dir, ` +
        'or let replicas share a PostgreSQL ledger with DATABASE_URL',
    );
    this.name = 'LedgerLockedError';
  }
}
