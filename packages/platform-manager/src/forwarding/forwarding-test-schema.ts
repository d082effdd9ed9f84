import type { Kysely } from 'kysely';
import { forwardingMigration } from '../../packages/platform-manager/src/forwarding/forwarding-migration.js';
import { migrations } from '../../packages/platform-manager/src/storage/migrations.js';
import type { Database } from '../../packages/platform-manager/src/storage/schema.js';

/**
 * Until the storage migrations list names it, tests apply the forwarding migration themselves
 * (the integrator adds `'0002_forwarding': forwardingMigration` to src/storage/migrations.ts).
 */
export async function ensureForwardingSchema(db: Kysely<Database>): Promise<void> {
  if (Object.values(migrations).includes(forwardingMigration)) return;
  await forwardingMigration.up(db);
}
