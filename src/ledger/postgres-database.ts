/**
 * The shared ledger database: a PostgreSQL server through `pg`, for several
 * gateway replicas. The connection string's password never reaches a log.
 */
import pg from 'pg';
import type { LedgerDatabase, SqlRunner } from './database.js';

const POOL_SIZE = 4;

function runner(client: pg.Pool | pg.PoolClient | pg.Client): SqlRunner {
  return {
    async query<R extends object>(sql: string, params?: readonly unknown[]): Promise<R[]> {
      return (await client.query<R>(sql, params === undefined ? undefined : [...params])).rows;
    },
    async exec(sql: string): Promise<void> {
      await client.query(sql);
    },
  };
}

/** describeUrl is `postgres://host:port/db` without user or password. */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return 'postgres://(unparseable url)';
  }
}

/** openPostgresDatabase connects a small pool and checks the server answers. */
export async function openPostgresDatabase(url: string, onError: (err: Error) => void): Promise<LedgerDatabase> {
  const pool = new pg.Pool({ connectionString: url, max: POOL_SIZE, application_name: 'naftiko-gateway' });
  pool.on('error', onError);
  await pool.query('SELECT 1');
  // The liveness lock lives on its own connection for the life of the process.
  let lockClient: pg.Client | undefined;
  const base = runner(pool);
  return {
    kind: 'postgres',
    description: describeUrl(url),
    query: base.query,
    exec: base.exec,
    async transaction<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn(runner(client));
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
    async holdSessionLock(namespace: number, key: number): Promise<boolean> {
      if (lockClient === undefined) {
        lockClient = new pg.Client({ connectionString: url, application_name: 'naftiko-gateway-liveness' });
        lockClient.on('error', onError);
        await lockClient.connect();
      }
      const rows = await lockClient.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS locked', [namespace, key]);
      return rows.rows[0]?.locked === true;
    },
    async close(): Promise<void> {
      await lockClient?.end().catch(() => undefined);
      await pool.end();
    },
  };
}
