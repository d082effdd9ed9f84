import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Kysely, type MigrationProvider, Migrator } from 'kysely';
import pg from 'pg';
import { migrations } from './migrations.js';
import { type DialectName, type OpenOptions, openDatabase, type Store } from './open-database.js';
import type { Database } from './schema.js';

/**
 * The stores every storage test runs on: SQLite always, PostgreSQL from BULWARK_TEST_POSTGRES_URL.
 * Each `open()` gives a fresh, migrated, empty database (a temp dir, or a uniquely named
 * PostgreSQL database dropped on close) so test files can run in parallel.
 */
export interface TestStore {
  readonly name: DialectName;
  /** Set when the store cannot be used here; pass it to describe's `skip`. */
  readonly skip?: string;
  /** `{ migrate: false }`: an empty database, for tests that bring it up migration by migration. */
  open(options?: OpenOptions): Promise<Store>;
}

export const DEFAULT_TEST_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/** Brings an empty database (`open({ migrate: false })`) up to and including the migration named `last`. */
export async function migrateTo(db: Kysely<Database>, last: string): Promise<void> {
  const provider: MigrationProvider = { getMigrations: async () => ({ ...migrations }) };
  const { error } = await new Migrator({ db, provider }).migrateTo(last);
  if (error) throw error;
}

export async function testStores(): Promise<TestStore[]> {
  return [sqliteStore(), await postgresStore()];
}

function sqliteStore(): TestStore {
  return {
    name: 'sqlite',
    async open(options?: OpenOptions) {
      const dir = mkdtempSync(join(tmpdir(), 'bulwark-store-'));
      const store = await openDatabase({ dataDir: dir }, options);
      return {
        ...store,
        async close() {
          await store.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  };
}

async function postgresStore(): Promise<TestStore> {
  const adminUrl = process.env.BULWARK_TEST_POSTGRES_URL || DEFAULT_TEST_POSTGRES_URL;
  const reachable = await probe(adminUrl);
  if (reachable !== true) {
    const reason = `PostgreSQL at ${redact(adminUrl)} unreachable (${reachable}); set BULWARK_TEST_POSTGRES_URL`;
    if (process.env.CI === 'true') throw new Error(`CI requires PostgreSQL for storage tests: ${reason}`);
    console.log(`# skipping PostgreSQL storage tests: ${reason}`);
    return { name: 'postgres', skip: reason, open: () => Promise.reject(new Error(reason)) };
  }
  return {
    name: 'postgres',
    async open(options?: OpenOptions) {
      const name = `bulwark_test_${process.pid}_${randomBytes(6).toString('hex')}`;
      await adminQuery(adminUrl, `CREATE DATABASE ${name}`);
      const url = new URL(adminUrl);
      url.pathname = `/${name}`;
      const store = await openDatabase({ url: url.toString() }, options);
      return {
        ...store,
        async close() {
          await store.close();
          await sessionsGone(adminUrl, name);
          await adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        },
      };
    },
  };
}

async function probe(url: string): Promise<true | string> {
  try {
    await adminQuery(url, 'SELECT 1');
    return true;
  } catch (error) {
    return error instanceof Error ? error.message || error.name : String(error);
  }
}

/**
 * The pool's end resolves once its clients are told to close, not once their server sessions are
 * gone; a DROP … WITH (FORCE) in between kills a session whose client then reports "terminating
 * connection due to administrator command" as an uncaught error. Wait (bounded) for them to go.
 */
async function sessionsGone(url: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    for (let i = 0; i < 100; i++) {
      const { rows } = await client.query<{ n: string }>(
        'SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1',
        [database],
      );
      if (Number(rows[0]?.n ?? 0) === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    await client.end();
  }
}

async function adminQuery(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}
