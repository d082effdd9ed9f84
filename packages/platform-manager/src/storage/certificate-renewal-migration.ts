import type { Kysely, Migration } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations run before the typed schema exists
type AnyDb = Kysely<any>;

/**
 * A certificate the manager signed for an agent's renewal, not yet used: the agent's current one
 * stays valid until the agent first connects with the new one (so a lost answer loses nothing).
 */
export const certificateRenewalMigration: Migration = {
  async up(db: AnyDb) {
    await db.schema.alterTable('computers').addColumn('pending_certificate_serial', 'text').execute();
  },
};
