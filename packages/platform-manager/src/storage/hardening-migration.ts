import type { Kysely, Migration } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations run before the typed schema exists
type AnyDb = Kysely<any>;

/**
 * Issue 10's manager hardening. `events.agent_time`: the time the agent gave when it lay outside
 * the window the manager accepts (the event's `time` is then clamped into it); null when the two
 * agree. `users.must_change_password`: 1 for the first administrator, whose password was printed
 * by the manager, until it is changed.
 */
export const hardeningMigration: Migration = {
  async up(db: AnyDb) {
    await db.schema.alterTable('events').addColumn('agent_time', 'bigint').execute();
    await db.schema
      .alterTable('users')
      .addColumn('must_change_password', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
  },
};
