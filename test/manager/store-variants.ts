import { createTestDatabase } from './postgres-database.js';

const DEFAULT_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * The stores an HTTP suite runs on: SQLite always, PostgreSQL at BULWARK_TEST_POSTGRES_URL (or the
 * local default). `skip` carries the reason when PostgreSQL cannot be reached; under CI=true that
 * is a failure instead, as in the storage suite.
 */
export interface StoreVariant {
  readonly name: 'sqlite' | 'postgres';
  readonly skip?: string;
  /** A fresh database for one manager: the URL (undefined = SQLite in the data dir) and how to drop it. */
  create(): Promise<{ databaseUrl?: string; drop(): Promise<void> }>;
}

export async function storeVariants(): Promise<StoreVariant[]> {
  const sqlite: StoreVariant = { name: 'sqlite', create: async () => ({ drop: async () => {} }) };
  const adminUrl = process.env.BULWARK_TEST_POSTGRES_URL || DEFAULT_POSTGRES_URL;
  try {
    const probe = await createTestDatabase(adminUrl);
    await probe.drop();
  } catch (error) {
    const reason = `PostgreSQL unreachable (${(error as Error).message}); set BULWARK_TEST_POSTGRES_URL`;
    if (process.env.CI === 'true') throw new Error(`CI requires PostgreSQL: ${reason}`);
    console.log(`# skipping the PostgreSQL runs: ${reason}`);
    return [sqlite, { name: 'postgres', skip: reason, create: () => Promise.reject(new Error(reason)) }];
  }
  return [
    sqlite,
    {
      name: 'postgres',
      async create() {
        const database = await createTestDatabase(adminUrl);
        return { databaseUrl: database.url, drop: database.drop };
      },
    },
  ];
}
