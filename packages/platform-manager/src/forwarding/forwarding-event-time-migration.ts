import { type Kysely, type Migration, PostgresAdapter, sql } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations run before the typed schema exists
type AnyDb = Kysely<any>;

/**
 * Feed rows carry their event's time, the partition key of `events` on PostgreSQL
 * (event-partitions-migration.ts): the forwarder joins on (id, time), so each feed row probes one
 * day's primary key instead of every day's. Existing rows take the time from their event; a row
 * whose event retention already deleted keeps null and still joins to nothing, as before. The
 * trigger that fills the feed now copies the time too. Same columns and meaning on SQLite.
 */
export const forwardingEventTimeMigration: Migration = {
  async up(db: AnyDb) {
    await db.schema.alterTable('forwarding_feed').addColumn('event_time', 'bigint').execute();
    await sql`update forwarding_feed set event_time = events.time from events
      where events.id = forwarding_feed.event_id`.execute(db);
    if (db.getExecutor().adapter instanceof PostgresAdapter) {
      // The trigger (on the partitioned table since 0010) calls this function by name: replacing it is enough.
      await sql`CREATE OR REPLACE FUNCTION forwarding_feed_append() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF EXISTS (SELECT 1 FROM forwarding_destinations) THEN
            INSERT INTO forwarding_feed (tx, event_id, event_time)
              SELECT pg_current_xact_id()::text::bigint, id, time FROM inserted_events;
          END IF;
          RETURN NULL;
        END $$`.execute(db);
    } else {
      await sql`DROP TRIGGER forwarding_feed_on_events`.execute(db);
      await sql`CREATE TRIGGER forwarding_feed_on_events AFTER INSERT ON events
        WHEN EXISTS (SELECT 1 FROM forwarding_destinations)
        BEGIN INSERT INTO forwarding_feed (event_id, event_time) VALUES (NEW.id, NEW.time); END`.execute(db);
    }
  },
};
