/**
 * The embedded ledger database: PGlite with its data directory on disk. One
 * process owns a data directory; a lock file refuses a second one, because
 * PGlite is single-user Postgres and two writers would corrupt it.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import type { LedgerDatabase, SqlRunner } from './database.js';

const LOCK_SUFFIX = '.lock';
/** Directories open in this process: a lock file naming our own pid may be a leftover of an earlier life (PID 1 in a container). */
const openDirs = new Set<string>();

function runner(db: PGlite | Transaction): SqlRunner {
  return {
    async query<R extends object>(sql: string, params?: readonly unknown[]): Promise<R[]> {
      return (await db.query<R>(sql, params === undefined ? undefined : [...params])).rows;
    },
    async exec(sql: string): Promise<void> {
      await db.exec(sql);
    },
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** takeDirectoryLock writes `<dir>.lock` with our pid, unless a live process holds it. */
function takeDirectoryLock(dir: string): string {
  if (openDirs.has(dir)) throw new Error(`ledger directory ${dir} is already open in this process`);
  const lockFile = dir + LOCK_SUFFIX;
  mkdirSync(dirname(lockFile), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
      openDirs.add(dir);
      return lockFile;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(readFileSync(lockFile, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
        throw new Error(`ledger directory ${dir} is in use by process ${pid}; several gateways need a shared PostgreSQL (DATABASE_URL)`);
      }
      rmSync(lockFile, { force: true }); // left by a process that is gone
    }
  }
  throw new Error(`cannot lock ledger directory ${dir}`);
}

function releaseDirectoryLock(dir: string, lockFile: string): void {
  openDirs.delete(dir);
  rmSync(lockFile, { force: true });
}

/** openEmbeddedDatabase opens (creating if needed) the PGlite data directory. */
export async function openEmbeddedDatabase(dir: string): Promise<LedgerDatabase> {
  const absolute = resolve(dir);
  const lockFile = takeDirectoryLock(absolute);
  let db: PGlite;
  try {
    mkdirSync(absolute, { recursive: true });
    db = await PGlite.create(absolute);
  } catch (err) {
    releaseDirectoryLock(absolute, lockFile);
    throw err;
  }
  const base = runner(db);
  return {
    kind: 'embedded',
    description: absolute,
    query: base.query,
    exec: base.exec,
    transaction: <T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T> => db.transaction((tx) => fn(runner(tx))),
    async holdSessionLock(namespace: number, key: number): Promise<boolean> {
      const rows = await db.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS locked', [namespace, key]);
      return rows.rows[0]?.locked === true;
    },
    async close(): Promise<void> {
      try {
        await db.close();
      } finally {
        releaseDirectoryLock(absolute, lockFile);
      }
    },
  };
}
