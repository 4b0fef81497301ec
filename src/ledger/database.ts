/**
 * The ledger's view of a database: the same SQL runs on the embedded PGlite
 * (Postgres compiled to WebAssembly) and on a PostgreSQL server through `pg`.
 */

/** SqlRunner runs statements on one connection (or transaction). */
export interface SqlRunner {
  /** query runs one parameterized statement and returns its rows. */
  query<R extends object>(sql: string, params?: readonly unknown[]): Promise<R[]>;
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
   * holdSessionLock tries to take a session-level advisory lock and keeps it
   * until close: other processes see in `pg_locks` that this process is alive.
   */
  holdSessionLock(namespace: number, key: number): Promise<boolean>;
  close(): Promise<void>;
}
