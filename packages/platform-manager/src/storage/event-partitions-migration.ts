import { type Kysely, type Migration, PostgresAdapter, sql } from 'kysely';
import {
  EVENT_PARTITION_MS,
  EVENT_PARTITIONS_AHEAD_DAYS,
  ensureEventPartitions,
  partitionStart,
} from './event-partitions.js';

// biome-ignore lint/suspicious/noExplicitAny: migrations run before the typed schema exists
type AnyDb = Kysely<any>;

const COLUMNS = sql.raw(
  'id, computer_id, seq, time, received_at, module, type, severity, severity_rank, rule_id, action, summary, details_json, agent_time',
);

/**
 * PostgreSQL: `events` becomes a table partitioned by event time, one partition per UTC day, so
 * retention drops whole days instead of deleting rows one by one. Unique constraints of a
 * partitioned table must hold the partition key, so the primary key is (id, time) and the
 * duplicate guard (computer_id, seq, time); ingest serialises each computer's batches and looks for
 * a (computer, seq) already stored under another time (events.ts). Existing rows are copied over
 * in one transaction. SQLite keeps its plain table (one node, no partitioning).
 */
export const eventPartitionsMigration: Migration = {
  async up(db: AnyDb) {
    if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
    await sql`alter table events rename to events_unpartitioned`.execute(db);
    await sql`alter table events_unpartitioned rename constraint events_pkey to events_unpartitioned_pkey`.execute(db);
    await sql`alter table events_unpartitioned rename constraint events_computer_seq to events_unpartitioned_computer_seq`.execute(
      db,
    );
    for (const index of ['events_time', 'events_computer_time', 'events_module_time', 'events_rule_time'])
      await sql`alter index ${sql.id(index)} rename to ${sql.id(index.replace('events_', 'events_unpartitioned_'))}`.execute(
        db,
      );
    await sql`create table events (
        id text not null,
        computer_id text not null references computers (id),
        seq bigint not null,
        time bigint not null,
        received_at bigint not null,
        module text not null,
        type text not null,
        severity text not null,
        severity_rank integer not null,
        rule_id text,
        action text,
        summary text not null,
        details_json text,
        agent_time bigint,
        constraint events_pkey primary key (id, time),
        constraint events_computer_seq unique (computer_id, seq, time)
      ) partition by range (time)`.execute(db);
    // The list's keyset order, and the filters the console and API offer, each within a day.
    await sql`create index events_time on events (time, id)`.execute(db);
    await sql`create index events_computer_time on events (computer_id, time)`.execute(db);
    await sql`create index events_module_time on events (module, time)`.execute(db);
    await sql`create index events_rule_time on events (rule_id, time)`.execute(db);

    const { rows } = await sql<{ first: number | null; last: number | null }>`
      select min(time)::bigint as first, max(time)::bigint as last from events_unpartitioned`.execute(db);
    const now = Date.now();
    const first = Math.min(Number(rows[0]?.first ?? now), now - EVENT_PARTITION_MS);
    const last = Math.max(Number(rows[0]?.last ?? now), now + EVENT_PARTITIONS_AHEAD_DAYS * EVENT_PARTITION_MS);
    await ensureEventPartitions(db, partitionStart(first), last + 1);
    await sql`insert into events (${COLUMNS}) select ${COLUMNS} from events_unpartitioned`.execute(db);

    // SIEM forwarding's trigger went with the old table (forwarding-migration.ts); it watches the new one.
    await sql`drop table events_unpartitioned`.execute(db);
    await sql`create trigger forwarding_feed_on_events after insert on events
      referencing new table as inserted_events for each statement execute function forwarding_feed_append()`.execute(
      db,
    );
  },
};
