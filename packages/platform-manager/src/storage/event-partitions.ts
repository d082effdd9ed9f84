import { type Kysely, PostgresAdapter, sql } from 'kysely';
import type { Database } from './schema.js';

/** One partition of `events` per UTC day of event time (PostgreSQL). */
export const EVENT_PARTITION_MS = 86_400_000;
/** Partitions made ahead of today by the upkeep, so ingest never waits for a CREATE TABLE. */
export const EVENT_PARTITIONS_AHEAD_DAYS = 7;
/** Advisory-lock key space of partition creation and removal, "BWEP": one node changes them at a time. */
const PARTITION_LOCK_SPACE = 0x42574550;

type Db = Kysely<Database>;

export function isPostgres(db: Db): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

/** In a transaction: the caller's (a migration runs in one) or a new one. */
function inOwnTransaction<T>(db: Db, work: (trx: Db) => Promise<T>): Promise<T> {
  return db.isTransaction ? work(db) : db.transaction().execute(work);
}

/** The start of the UTC day `time` falls in. */
export function partitionStart(time: number): number {
  return Math.floor(time / EVENT_PARTITION_MS) * EVENT_PARTITION_MS;
}

/** events_p20261207: the day in the name, so a listing of tables reads as a calendar. */
export function partitionName(start: number): string {
  return `events_p${new Date(start).toISOString().slice(0, 10).replaceAll('-', '')}`;
}

export interface EventPartition {
  readonly name: string;
  /** Inclusive lower bound of event time (epoch ms). */
  readonly from: number;
  /** Exclusive upper bound. */
  readonly to: number;
}

/** The partitions of `events` as the catalogue has them, oldest first. */
export async function listEventPartitions(db: Db): Promise<EventPartition[]> {
  const { rows } = await sql<{ name: string; bound: string }>`
    select c.relname as name, pg_get_expr(c.relpartbound, c.oid) as bound
    from pg_inherits i
    join pg_class c on c.oid = i.inhrelid
    join pg_class p on p.oid = i.inhparent
    where p.relname = 'events' and p.relnamespace = current_schema()::regnamespace`.execute(db);
  const partitions: EventPartition[] = [];
  for (const row of rows) {
    // FOR VALUES FROM ('1765065600000') TO ('1765152000000')
    const match = /FROM \('?(-?\d+)'?\) TO \('?(-?\d+)'?\)/.exec(row.bound);
    if (match) partitions.push({ name: row.name, from: Number(match[1]), to: Number(match[2]) });
  }
  return partitions.sort((a, b) => a.from - b.from);
}

/**
 * Makes the daily partitions that hold [from, to) where they are missing. Nodes do this under one
 * advisory lock, so two nodes asking for the same day at once do not both create it.
 */
export async function ensureEventPartitions(db: Db, from: number, to: number): Promise<string[]> {
  const created: string[] = [];
  await inOwnTransaction(db, async (trx) => {
    await sql`select pg_advisory_xact_lock(${PARTITION_LOCK_SPACE}, 0)`.execute(trx);
    const existing = new Set((await listEventPartitions(trx)).map((p) => p.from));
    for (let start = partitionStart(from); start < to; start += EVENT_PARTITION_MS) {
      if (existing.has(start)) continue;
      const name = partitionName(start);
      await sql`create table ${sql.id(name)} partition of events
        for values from (${sql.lit(start)}) to (${sql.lit(start + EVENT_PARTITION_MS)})`.execute(trx);
      created.push(name);
    }
  });
  return created;
}

export interface PartitionDrop {
  readonly name: string;
  /** The planner's row estimate (pg_class.reltuples): counting a day of events exactly would read it all. */
  readonly estimatedRows: number;
}

/** Retention by partition: drops every partition wholly before `cutoff`; the rest is left to a DELETE. */
export async function dropEventPartitionsBefore(db: Db, cutoff: number): Promise<PartitionDrop[]> {
  return inOwnTransaction(db, async (trx) => {
    await sql`select pg_advisory_xact_lock(${PARTITION_LOCK_SPACE}, 0)`.execute(trx);
    const dropped: PartitionDrop[] = [];
    for (const partition of await listEventPartitions(trx)) {
      if (partition.to > cutoff) break;
      const { rows } = await sql<{ estimate: number }>`
        select greatest(reltuples, 0)::bigint as estimate from pg_class where oid = ${partition.name}::regclass`.execute(
        trx,
      );
      await sql`drop table ${sql.id(partition.name)}`.execute(trx);
      dropped.push({ name: partition.name, estimatedRows: Number(rows[0]?.estimate ?? 0) });
    }
    return dropped;
  });
}

/**
 * What ingest keeps in memory of the partitions: the days known to exist, so a batch whose days
 * are all known costs no catalogue query; an unknown day is looked up, and made when missing.
 */
export class EventPartitionCache {
  readonly #db: Db;
  #known = new Set<number>();

  constructor(db: Db) {
    this.#db = db;
  }

  /** Makes sure every day of `times` has its partition before they are inserted. */
  async cover(times: readonly number[]): Promise<void> {
    const missing = [...new Set(times.map(partitionStart))].filter((start) => !this.#known.has(start));
    if (missing.length === 0) return;
    // Another node (or the upkeep) may have made them, or retention dropped some: ask the catalogue.
    this.#known = new Set((await listEventPartitions(this.#db)).map((p) => p.from));
    for (const start of missing) {
      if (this.#known.has(start)) continue;
      await ensureEventPartitions(this.#db, start, start + EVENT_PARTITION_MS);
      this.#known.add(start);
    }
  }

  /** Retention dropped partitions: they are looked up again before the next insert into their days. */
  forget(): void {
    this.#known.clear();
  }
}
