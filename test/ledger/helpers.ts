/**
 * Shared set-up for the ledger tests: the databases to run against (embedded
 * SQLite always; PostgreSQL when TEST_DATABASE_URL names a server, e.g. under
 * .ci/with-postgres.sh), one fresh database per test file, and an in-process
 * gateway with a controllable clock.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { resolveConfig } from '../../src/settings/index.js';
import { startGateway, type RunningGateway } from '../../src/gateway.js';
import type { LedgerConfig } from '../../src/ledger/config.js';
import { sendJson, type Reply } from '../helpers/http.js';

/** Test is the part of a tap test the helpers use. */
interface Test {
  teardown(fn: () => unknown): void;
  comment(...message: unknown[]): void;
}

/** LedgerTarget is one kind of database under test. */
export interface LedgerTarget {
  readonly name: 'sqlite' | 'postgres';
  /** create makes a fresh, empty ledger store and returns its config (dropped/removed at teardown). */
  create(t: Test): Promise<LedgerConfig>;
}

/** TEST_DATABASE_URL names a PostgreSQL server whose user may create databases. */
export const ADMIN_URL = process.env['TEST_DATABASE_URL'];

/** noPostgresMessage is printed loudly when PostgreSQL tests cannot run. */
export const NO_POSTGRES = 'SKIPPED: no PostgreSQL for the ledger tests (TEST_DATABASE_URL unset). Run them with `bash .ci/with-postgres.sh npx tap test/ledger`.';

/** embeddedTarget uses an embedded SQLite ledger directory in a temp dir. */
export const embeddedTarget: LedgerTarget = {
  name: 'sqlite',
  async create(t) {
    const dir = mkdtempSync(join(tmpdir(), 'ngw-ledger-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    return { mode: 'embedded', dir: join(dir, 'ledger'), clockOffsetMs: 0 };
  },
};

/** createDatabase makes `ledger_test_<random>` on the TEST_DATABASE_URL server and drops it at teardown. */
export async function createDatabase(t: Test, adminUrl: string): Promise<string> {
  const name = `ledger_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  t.teardown(async () => {
    const c = new pg.Client({ connectionString: adminUrl });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.end();
  });
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** postgresTarget uses a fresh database on the TEST_DATABASE_URL server. */
export const postgresTarget: LedgerTarget = {
  name: 'postgres',
  async create(t) {
    return { mode: 'postgres', url: await createDatabase(t, ADMIN_URL as string), clockOffsetMs: 0 };
  },
};

/** targets lists the databases available here, announcing loudly when PostgreSQL is missing. */
export function targets(): LedgerTarget[] {
  if (ADMIN_URL === undefined || ADMIN_URL === '') {
    process.stderr.write(`\n*** ${NO_POSTGRES} ***\n\n`);
    return [embeddedTarget];
  }
  return [embeddedTarget, postgresTarget];
}

/** Clock is a settable clock for the seat guard. */
export class TestClock {
  constructor(public nowMs: number) {}
  readonly now = (): number => this.nowMs;
  advance(ms: number): void {
    this.nowMs += ms;
  }
}

/** DAY_MS is one day. */
export const DAY_MS = 86_400_000;

/** startLedgerGateway starts the gateway in-process on port 0 with the given ledger and clock. */
export async function startLedgerGateway(
  t: Test,
  options: { capability: string; upstreamUrl: string; apiKey: string; ledger: LedgerConfig; clock?: TestClock },
): Promise<RunningGateway> {
  const env = { LABEL_STUDIO_API_KEY: options.apiKey };
  const config = resolveConfig({ capability: options.capability, restPort: '0', mcpPort: '0', baseUri: [options.upstreamUrl], logLevel: 'warn' }, env);
  const gw = await startGateway({ ...config, ledger: options.ledger }, {
    env,
    clock: options.clock?.now,
    logDestination: { write: () => undefined },
  });
  t.teardown(() => gw.close());
  return gw;
}

/** call is sendJson: one request, the whole reply. */
export const call = sendJson;
export type { Reply };
