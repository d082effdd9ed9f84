import type { ManagerModule } from '@bulwark/protocol';
import type { Kysely } from 'kysely';
import type { Database } from '../storage/schema.js';
import type { SettingCatalog } from './setting-catalog.js';

/** A database handle or an open transaction: services accept either, so they compose in one transaction. */
export type Executor = Kysely<Database>;

export interface ServiceContext {
  readonly db: Kysely<Database>;
  readonly modules: readonly ManagerModule[];
  readonly catalog: SettingCatalog;
  /** Epoch milliseconds; tests move it. */
  now(): number;
  readonly sessionTtlMs: number;
  /** SHA-256 of the manager's CA, carried in the activation tokens it hands out; absent in unit tests. */
  readonly caFingerprint?: string;
}

/** Runs `work` in a transaction, or directly inside the one `db` already is. */
export function inTransaction<T>(db: Executor, work: (trx: Executor) => Promise<T>): Promise<T> {
  if (db.isTransaction) return work(db);
  return db.transaction().execute(work);
}
