import { type Kysely, type Migration, PostgresAdapter, sql } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations run before the typed schema exists
type AnyDb = Kysely<any>;

/**
 * Forwarding to SIEMs. Events get a monotonic ingestion order through `forwarding_feed`, filled by
 * a database trigger on `events` (so ingest code needs no change and no event can be stored without
 * its feed row). On PostgreSQL, sequence values are not handed out in commit order, so each row also
 * carries its transaction id: the forwarder reads only rows of transactions older than every one
 * still running, ordered by (tx, seq), and so never passes a row that commits later. On SQLite
 * writers are serialised; tx stays 0. Rows are written only while a destination exists.
 */
export const forwardingMigration: Migration = {
  async up(db: AnyDb) {
    const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
    await db.schema
      .createTable('forwarding_destinations')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('transport', 'text', (c) => c.notNull())
      .addColumn('host', 'text', (c) => c.notNull())
      .addColumn('port', 'integer', (c) => c.notNull())
      .addColumn('format', 'text', (c) => c.notNull())
      .addColumn('modules_json', 'text')
      .addColumn('minimum_severity', 'text', (c) => c.notNull())
      .addColumn('ca_certificate', 'text')
      .addColumn('policy_id', 'text', (c) => c.references('policies.id').onDelete('cascade'))
      .addColumn('max_backlog', 'bigint', (c) => c.notNull())
      .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addColumn('cursor_tx', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('cursor_seq', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('sent_count', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('skipped_count', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('last_sent_at', 'bigint')
      .addColumn('last_error', 'text')
      .addColumn('last_error_at', 'bigint')
      .execute();

    let feed = db.schema.createTable('forwarding_feed');
    feed = postgres
      ? feed.addColumn('seq', 'bigserial', (c) => c.primaryKey())
      : feed.addColumn('seq', 'integer', (c) => c.primaryKey().autoIncrement());
    await feed
      .addColumn('tx', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('event_id', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('forwarding_feed_order').on('forwarding_feed').columns(['tx', 'seq']).execute();

    if (postgres) {
      await sql`CREATE FUNCTION forwarding_feed_append() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF EXISTS (SELECT 1 FROM forwarding_destinations) THEN
            INSERT INTO forwarding_feed (tx, event_id)
              SELECT pg_current_xact_id()::text::bigint, id FROM inserted_events;
          END IF;
          RETURN NULL;
        END $$`.execute(db);
      await sql`CREATE TRIGGER forwarding_feed_on_events AFTER INSERT ON events
        REFERENCING NEW TABLE AS inserted_events FOR EACH STATEMENT EXECUTE FUNCTION forwarding_feed_append()`.execute(
        db,
      );
    } else {
      await sql`CREATE TRIGGER forwarding_feed_on_events AFTER INSERT ON events
        WHEN EXISTS (SELECT 1 FROM forwarding_destinations)
        BEGIN INSERT INTO forwarding_feed (event_id) VALUES (NEW.id); END`.execute(db);
    }
  },
};
