/**
 * Versioned schema migrations, one list per dialect (sql-sqlite.ts,
 * sql-postgres.ts), applied at startup in one transaction; on PostgreSQL under
 * an advisory lock, so replicas booting together apply each version once.
 */
import type { LedgerDatabase } from './database.js';
import { sqlFor, type Migration } from './sql.js';

/** migrate applies every migration newer than the database's version; returns the versions applied. */
export async function migrate(db: LedgerDatabase, nowMs: number = Date.now()): Promise<number[]> {
  const sql = sqlFor(db.dialect);
  return db.transaction(async (tx) => {
    if (sql.migrationLock !== undefined) await tx.query(sql.migrationLock);
    await tx.exec(sql.createMigrationTable);
    const rows = await tx.query<{ version: number }>(sql.selectMigrations);
    const done = new Set(rows.map((r) => Number(r.version)));
    const applied: number[] = [];
    for (const m of sql.migrations as readonly Migration[]) {
      if (done.has(m.version)) continue;
      await tx.exec(m.sql);
      await tx.query(sql.insertMigration, [m.version, m.name, nowMs]);
      applied.push(m.version);
    }
    return applied;
  });
}
