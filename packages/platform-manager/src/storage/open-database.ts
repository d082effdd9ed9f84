import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { migrateToLatest } from './migrations.js';
import type { Database } from './schema.js';

/** Where the manager keeps its data: an embedded SQLite file, or a shared PostgreSQL server. */
export type DatabaseLocation = { readonly dataDir: string } | { readonly url: string };

export type DialectName = 'sqlite' | 'postgres';

export interface Store {
  readonly db: Kysely<Database>;
  readonly dialect: DialectName;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Run pending migrations before returning (default true). */
  readonly migrate?: boolean;
}

const INT8_OID = 20;
const NUMERIC_OID = 1700;

/**
 * Opens the database and brings its schema up to date. Times are stored as int8 epoch ms and
 * counts come back as int8 on PostgreSQL; they stay far below 2^53, so they are parsed to numbers.
 */
export async function openDatabase(location: DatabaseLocation, options: OpenOptions = {}): Promise<Store> {
  const store = 'url' in location ? openPostgres(location.url) : openSqlite(location.dataDir);
  if (options.migrate ?? true) {
    try {
      await migrateToLatest(store.db);
    } catch (error) {
      await store.close();
      throw error;
    }
  }
  return store;
}

function openSqlite(dataDir: string): Store {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = join(dataDir, 'manager.db');
  const database = new SqliteDatabase(file);
  // Only the manager's user may read it; SQLite gives the -wal and -shm files the same mode.
  chmodSync(file, 0o600);
  database.pragma('journal_mode = WAL');
  database.pragma('foreign_keys = ON');
  database.pragma('busy_timeout = 5000');
  // WAL + NORMAL is durable across process crashes; only an OS crash can lose the last commits.
  database.pragma('synchronous = NORMAL');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
  return { db, dialect: 'sqlite', close: () => db.destroy() };
}

/**
 * Connections per manager node. A heartbeat or an event batch holds one for the few round trips
 * of its transaction, and under load each round trip also waits for the node's event loop, so
 * with too few connections requests queue for the pool while PostgreSQL sits idle in transaction
 * (measured at 10,000 agents). BULWARK_DATABASE_POOL_SIZE overrides it.
 */
export function postgresPoolSize(env: NodeJS.ProcessEnv = process.env): number {
  const configured = Number(env.BULWARK_DATABASE_POOL_SIZE);
  return Number.isInteger(configured) && configured >= 1 && configured <= 500 ? configured : 20;
}

function openPostgres(url: string): Store {
  if (!/^postgres(ql)?:\/\//.test(url)) throw new Error('database URL must start with postgres:// or postgresql://');
  const pool = new pg.Pool({
    connectionString: url,
    max: postgresPoolSize(),
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
        if (oid === INT8_OID || oid === NUMERIC_OID) return (value: string) => Number(value);
        return format === undefined ? pg.types.getTypeParser(oid) : pg.types.getTypeParser(oid, format);
      }) as typeof pg.types.getTypeParser,
    },
  });
  // An idle connection the server ends (a restart, a failover, an administrator's terminate) is
  // emitted here; without a listener it is an uncaught exception that stops the node. The pool has
  // already dropped that connection and opens a new one for the next query, so there is nothing to do.
  pool.on('error', () => {});
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { db, dialect: 'postgres', close: () => db.destroy() };
}
