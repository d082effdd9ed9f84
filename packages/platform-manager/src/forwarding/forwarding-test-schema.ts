import type { Kysely } from 'kysely';
import { migrations } from '../storage/migrations.js';
import type { Database } from '../storage/schema.js';
import { forwardingMigration } from './forwarding-migration.js';

/**
 * Until the storage migrations list names it, tests apply the forwarding migration themselves
 * (the integrator adds `'0002_forwarding': forwardingMigration` to src/storage/migrations.ts).
 */
export async function ensureForwardingSchema(db: Kysely<Database>): Promise<void> {
  if (Object.values(migrations).includes(forwardingMigration)) return;
  await forwardingMigration.up(db);
}
