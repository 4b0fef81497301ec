/**
 * The shared ledger database: a PostgreSQL server through `pg`, for several
 * gateway replicas. The connection string's password never reaches a log.
 */
import pg from 'pg';
import type { LedgerDatabase, SqlRunner } from './database.js';
import { describeUrl } from './url.js';

const POOL_SIZE = 4;
/** LIVENESS_APPLICATION names the connection holding this process's liveness lock (see pg_stat_activity). */
export const LIVENESS_APPLICATION = 'naftiko-gateway-liveness';
const RELOCK_DELAY_MS = 1000;
/**
 * TCP keep-alive on every connection, first probe after 10 s idle: a liveness connection whose peer vanished
 * (a dropped route, a dead server) errors within about a minute instead of never, so its locks are taken again.
 */
const KEEP_ALIVE = { keepAlive: true, keepAliveInitialDelayMillis: 10_000 } as const;

function runner(client: pg.Pool | pg.PoolClient | pg.Client): SqlRunner {
  return {
    dialect: 'postgres',
    async query<R extends object>(sql: string, params?: readonly unknown[]): Promise<R[]> {
      return (await client.query<R>(sql, params === undefined ? undefined : [...params])).rows;
    },
    async one<R extends object>(sql: string, params?: readonly unknown[]): Promise<R | undefined> {
      return (await client.query<R>(sql, params === undefined ? undefined : [...params])).rows[0];
    },
    async exec(sql: string): Promise<void> {
      await client.query(sql);
    },
  };
}

/** openPostgresDatabase connects a small pool and checks the server answers. */
export async function openPostgresDatabase(url: string, onError: (err: Error) => void): Promise<LedgerDatabase> {
  const pool = new pg.Pool({ connectionString: url, max: POOL_SIZE, application_name: 'naftiko-gateway', ...KEEP_ALIVE });
  pool.on('error', onError);
  await pool.query('SELECT 1');
  // The liveness locks live on their own connection for the life of the process; if that connection drops
  // (a PostgreSQL restart, a network blip), it is reopened and the locks taken again. While it is down other
  // replicas see this one as dead, which is why a change stays in flight until its upstream deadline (store.ts).
  let lockClient: pg.Client | undefined;
  let closing = false;
  const held: [number, number][] = [];
  const connectLockClient = async (): Promise<pg.Client> => {
    const client = new pg.Client({ connectionString: url, application_name: LIVENESS_APPLICATION, ...KEEP_ALIVE });
    client.on('error', onError);
    client.on('end', () => {
      if (lockClient !== client) return;
      lockClient = undefined;
      if (!closing) setTimeout(relock, RELOCK_DELAY_MS).unref();
    });
    await client.connect();
    return client;
  };
  const relock = async (): Promise<void> => {
    if (closing || lockClient !== undefined) return;
    try {
      const client = await connectLockClient();
      for (const [namespace, key] of held) await client.query('SELECT pg_advisory_lock($1, $2)', [namespace, key]);
      lockClient = client;
    } catch (err) {
      onError(err as Error);
      if (!closing) setTimeout(relock, RELOCK_DELAY_MS).unref();
    }
  };
  const base = runner(pool);
  return {
    kind: 'postgres',
    dialect: 'postgres',
    description: describeUrl(url),
    query: base.query,
    one: base.one,
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
      lockClient ??= await connectLockClient();
      const rows = await lockClient.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS locked', [namespace, key]);
      const locked = rows.rows[0]?.locked === true;
      if (locked) held.push([namespace, key]);
      return locked;
    },
    async close(): Promise<void> {
      closing = true;
      const client = lockClient;
      lockClient = undefined;
      await client?.end().catch(() => undefined);
      await pool.end();
    },
  };
}
