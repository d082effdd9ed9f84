import { type AgentEvent, SEVERITIES, type Severity, severityRank } from '@bulwark/protocol';
import { sql } from 'kysely';
import {
  dropEventPartitionsBefore,
  EVENT_PARTITION_MS,
  EVENT_PARTITIONS_AHEAD_DAYS,
  EventPartitionCache,
  ensureEventPartitions,
  isPostgres,
  type PartitionDrop,
  partitionStart,
} from '../storage/event-partitions.js';
import type { EventRow, NewEventRow } from '../storage/schema.js';
import { type Executor, inTransaction, type ServiceContext } from './context.js';
import { type KnownEventTypes, knownEventTypes, unknownEventType } from './event-types.js';
import { newOrderedId } from './ids.js';
import { inKeysetOrder, type KeysetPosition, keyset, keysetQuery, keysetToPage, positionOf } from './keyset-page.js';
import type { Page, PageRequest } from './pagination.js';
import { fail, ok, type Result } from './result.js';
import { loadCatalogue } from './rules-catalogue.js';
import { iso, parseTime } from './time.js';

/** The list's order: newest first, by event time. */
const NEWEST_FIRST = keyset('desc', ['time', 'number'], ['id', 'string']);

export interface StoredEvent {
  readonly id: string;
  readonly computerId: string;
  readonly seq: number;
  /** The agent's time, clamped into [receivedAt - EVENT_MAX_AGE_MS, receivedAt + EVENT_MAX_AHEAD_MS]. */
  readonly time: string;
  /** The time the agent gave: differs from `time` only when that was outside the window. */
  readonly agentTime: string;
  readonly receivedAt: string;
  readonly module: string;
  readonly type: string;
  readonly severity: Severity;
  readonly ruleId: string | null;
  readonly action: string | null;
  readonly summary: string;
  readonly details: Record<string, unknown> | null;
}

/** An event as lists show it: with its computer's name and the rule that can be assigned for it. */
export interface ListedEvent extends StoredEvent {
  readonly computerName: string | null;
  /**
   * The catalogue rule behind the event: its `ruleId` itself, or the rule that runs it when the
   * module's events name a finer rule (log inspection: 100302 → loginspect.su); null when the
   * manager cannot tell (a log inspection custom rule's own numeric id, a rule since deleted).
   */
  readonly assignableRuleId: string | null;
}

/** Display names of the computers of a page of events (a page names a few computers). */
async function computerNames(db: Executor, ids: readonly string[]): Promise<Map<string, string>> {
  const wanted = [...new Set(ids)];
  if (wanted.length === 0) return new Map();
  const rows = await db.selectFrom('computers').select(['id', 'name', 'hostname']).where('id', 'in', wanted).execute();
  return new Map(rows.map((r) => [r.id, r.name || r.hostname]));
}

export interface EventFilter {
  /** ISO time, inclusive. */
  readonly from?: string;
  /** ISO time, exclusive. */
  readonly to?: string;
  readonly computerId?: string;
  readonly module?: string;
  readonly ruleId?: string;
  readonly type?: string;
  /** Minimum severity. */
  readonly severity?: Severity;
}

/**
 * Rows per INSERT: 13 parameters a row stays under SQLite's 32,766 and PostgreSQL's 65,535
 * bound parameters, and one statement per 1,000 events keeps ingest fast.
 */
const ROWS_PER_INSERT = 1000;

/**
 * How far an agent's clock may run ahead of the manager's (skew, a slow NTP start). A later time
 * (year 9999) would keep an event first in every list and out of reach of retention for good.
 */
export const EVENT_MAX_AHEAD_MS = 5 * 60_000;
/** How old an event may be when it arrives (an agent offline for weeks keeps its spool). */
export const EVENT_MAX_AGE_MS = 30 * 24 * 3_600_000;

/** The time an event is filed under: the agent's, moved into the accepted window when outside it. */
export function clampEventTime(agentTime: number, receivedAt: number): number {
  return Math.min(Math.max(agentTime, receivedAt - EVENT_MAX_AGE_MS), receivedAt + EVENT_MAX_AHEAD_MS);
}

/** Advisory-lock key space of one computer's event batches (PostgreSQL), "BWEV". */
const INGEST_LOCK_SPACE = 0x42574556;

/** PostgreSQL's answer to an insert into a day that has no partition (retention dropped it since). */
function isNoPartition(error: unknown): boolean {
  return (error as { code?: string }).code === '23514' && /no partition/.test((error as Error).message);
}

export function presentEvent(row: EventRow): StoredEvent {
  return {
    id: row.id,
    computerId: row.computer_id,
    seq: row.seq,
    time: iso(row.time),
    agentTime: iso(row.agent_time ?? row.time),
    receivedAt: iso(row.received_at),
    module: row.module,
    type: row.type,
    severity: row.severity as Severity,
    ruleId: row.rule_id,
    action: row.action,
    summary: row.summary,
    details: row.details_json === null ? null : (JSON.parse(row.details_json) as Record<string, unknown>),
  };
}

type Bounds = { from?: number; to?: number; rank?: number };

function checkFilter(filter: EventFilter, known: KnownEventTypes): Result<Bounds> {
  const bounds: Bounds = {};
  if (filter.type !== undefined) {
    const unknown = unknownEventType(known, filter.type, filter.module);
    if (unknown !== null) return fail('validation', unknown, [{ path: '/type', message: unknown }]);
  }
  if (filter.from !== undefined) {
    bounds.from = parseTime(filter.from);
    if (bounds.from === undefined) return fail('validation', 'from must be an ISO 8601 time');
  }
  if (filter.to !== undefined) {
    bounds.to = parseTime(filter.to);
    if (bounds.to === undefined) return fail('validation', 'to must be an ISO 8601 time');
  }
  if (filter.severity !== undefined) {
    if (!SEVERITIES.includes(filter.severity))
      return fail('validation', `severity must be one of ${SEVERITIES.join(', ')}`);
    bounds.rank = severityRank(filter.severity);
  }
  return ok(bounds);
}

function filtered(db: Executor, filter: EventFilter, bounds: Bounds) {
  let query = db.selectFrom('events').selectAll();
  if (bounds.from !== undefined) query = query.where('time', '>=', bounds.from);
  if (bounds.to !== undefined) query = query.where('time', '<', bounds.to);
  if (filter.computerId !== undefined) query = query.where('computer_id', '=', filter.computerId);
  if (filter.module !== undefined) query = query.where('module', '=', filter.module);
  if (filter.ruleId !== undefined) query = query.where('rule_id', '=', filter.ruleId);
  if (filter.type !== undefined) query = query.where('type', '=', filter.type);
  if (bounds.rank !== undefined) query = query.where('severity_rank', '>=', bounds.rank);
  return query;
}

export function eventsService(ctx: ServiceContext) {
  const known = knownEventTypes(ctx.modules);
  // PostgreSQL partitions events by day (event-partitions.ts); SQLite keeps one table.
  const partitions = isPostgres(ctx.db) ? new EventPartitionCache(ctx.db) : null;
  /**
   * Stores a batch from an agent in one transaction. Delivery is at-least-once, so an event
   * already stored (same computer and seq) is counted as a duplicate and not stored again.
   */
  async function store(computerId: string, rows: NewEventRow[]): Promise<number> {
    await partitions?.cover(rows.map((r) => r.time));
    return inTransaction(ctx.db, async (trx) => {
      let fresh = rows;
      if (partitions !== null) {
        // The duplicate guard (computer_id, seq, time) holds the partition key, and an event's time
        // may differ between two deliveries (clamped against a different arrival time). So each
        // computer's batches go one at a time, and a seq already stored under any time is skipped.
        await sql`select pg_advisory_xact_lock(${INGEST_LOCK_SPACE}, hashtext(${computerId}))`.execute(trx);
        const seqs = rows.map((r) => r.seq);
        const stored = await trx
          .selectFrom('events')
          .select('seq')
          .where('computer_id', '=', computerId)
          .where('seq', '>=', Math.min(...seqs))
          .where('seq', '<=', Math.max(...seqs))
          .execute();
        const known = new Set(stored.map((r) => r.seq));
        fresh = rows.filter((r) => !known.has(r.seq));
      }
      const guard = partitions === null ? (['computer_id', 'seq'] as const) : (['computer_id', 'seq', 'time'] as const);
      let inserted = 0;
      for (let i = 0; i < fresh.length; i += ROWS_PER_INSERT) {
        const result = await trx
          .insertInto('events')
          .values(fresh.slice(i, i + ROWS_PER_INSERT))
          .onConflict((oc) => oc.columns([...guard]).doNothing())
          .executeTakeFirst();
        inserted += Number(result.numInsertedOrUpdatedRows ?? 0);
      }
      return inserted;
    });
  }

  async function ingest(
    computerId: string,
    events: readonly AgentEvent[],
  ): Promise<Result<{ accepted: number; duplicates: number }>> {
    const computer = await ctx.db.selectFrom('computers').select('id').where('id', '=', computerId).executeTakeFirst();
    if (!computer) return fail('not-found', `computer ${computerId} not found`);
    if (events.length === 0) return ok({ accepted: 0, duplicates: 0 });
    const now = ctx.now();
    const rows: NewEventRow[] = events.map((event) => {
      const agentTime = parseTime(event.time) ?? now;
      const time = clampEventTime(agentTime, now);
      return {
        id: newOrderedId(now),
        computer_id: computerId,
        seq: event.seq,
        time,
        agent_time: time === agentTime ? null : agentTime,
        received_at: now,
        module: event.module,
        type: event.type,
        severity: event.severity,
        severity_rank: severityRank(event.severity),
        rule_id: event.ruleId ?? null,
        action: event.action ?? null,
        summary: event.summary,
        details_json: event.details === undefined ? null : JSON.stringify(event.details),
      };
    });
    let accepted: number;
    try {
      accepted = await store(computerId, rows);
    } catch (error) {
      if (partitions === null || !isNoPartition(error)) throw error;
      // Another node's retention dropped a day this node still counted on: look again, once.
      partitions.forget();
      accepted = await store(computerId, rows);
    }
    return ok({ accepted, duplicates: events.length - accepted });
  }

  /** Newest first, by event time. */
  async function query(filter: EventFilter & PageRequest = {}): Promise<Result<Page<ListedEvent>>> {
    const bounds = checkFilter(filter, known);
    if (!bounds.ok) return bounds;
    const paged = keysetQuery(filtered(ctx.db, filter, bounds.value), NEWEST_FIRST, filter);
    if (!paged.ok) return paged;
    const listed = keysetToPage(await paged.value.query.execute(), paged.value.limit, NEWEST_FIRST, presentEvent);
    const names = await computerNames(
      ctx.db,
      listed.items.map((e) => e.computerId),
    );
    const registered = new Set(ctx.modules.map((m) => m.id));
    const modules = [...new Set(listed.items.filter((e) => e.ruleId !== null).map((e) => e.module))].filter((m) =>
      registered.has(m),
    );
    const catalogue = await loadCatalogue(ctx.db, ctx.modules, modules);
    return ok({
      ...listed,
      items: listed.items.map((e) => ({
        ...e,
        computerName: names.get(e.computerId) ?? null,
        assignableRuleId: assignableRuleOf(e, catalogue),
      })),
    });
  }

  /**
   * The catalogue rule to assign, exclude or override for an event: its `ruleId` when that is one,
   * else the rule the module says runs it; null when neither (a module's custom rule, an unknown id).
   */
  function assignableRuleOf(
    event: StoredEvent,
    catalogue: ReadonlyMap<string, ReadonlyMap<string, unknown>>,
  ): string | null {
    if (event.ruleId === null) return null;
    if (catalogue.get(event.module)?.has(event.ruleId)) return event.ruleId;
    const module = ctx.modules.find((m) => m.id === event.module);
    return module?.innerRule?.(event.ruleId)?.assignableRuleId ?? null;
  }

  /** One event, whole (lists may shorten large details). */
  /** One event, details whole, with its computer's name and the catalogue rule behind it (as lists give them). */
  async function get(
    id: string,
  ): Promise<Result<StoredEvent & { computerName: string | null; assignableRuleId: string | null }>> {
    const row = await ctx.db.selectFrom('events').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) return fail('not-found', `event ${id} not found`);
    const event = presentEvent(row);
    const names = await computerNames(ctx.db, [event.computerId]);
    const registered = ctx.modules.some((m) => m.id === event.module);
    const catalogue =
      registered && event.ruleId !== null ? await loadCatalogue(ctx.db, ctx.modules, [event.module]) : new Map();
    return ok({
      ...event,
      computerName: names.get(event.computerId) ?? null,
      assignableRuleId: assignableRuleOf(event, catalogue),
    });
  }

  /** Every matching event, newest first, read in pages so an export of millions stays in bounded memory. */
  function exportEvents(filter: EventFilter = {}, pageSize = 1000): Result<AsyncIterable<StoredEvent>> {
    const bounds = checkFilter(filter, known);
    if (!bounds.ok) return bounds;
    if (!Number.isInteger(pageSize) || pageSize < 1) return fail('validation', 'pageSize must be a positive integer');
    const db = ctx.db;
    const limits = bounds.value;
    async function* rows(): AsyncGenerator<StoredEvent> {
      let after: KeysetPosition | undefined;
      for (;;) {
        const batch = await inKeysetOrder(filtered(db, filter, limits), NEWEST_FIRST, after)
          .limit(pageSize)
          .execute();
        for (const row of batch) yield presentEvent(row);
        const last = batch[batch.length - 1];
        if (batch.length < pageSize || last === undefined) return;
        after = positionOf(last, NEWEST_FIRST);
      }
    }
    return ok(rows());
  }

  /**
   * Retention: removes events whose time is before `before` (ISO). On PostgreSQL the days wholly
   * before it are dropped as partitions (their row counts are the planner's estimates); the rest
   * is deleted row by row, counted exactly in `deleted`.
   */
  async function deleteOlderThan(
    before: string,
  ): Promise<Result<{ deleted: number; droppedPartitions?: readonly PartitionDrop[] }>> {
    const cutoff = parseTime(before);
    if (cutoff === undefined) return fail('validation', 'before must be an ISO 8601 time');
    const dropped = partitions === null ? [] : await dropEventPartitionsBefore(ctx.db, cutoff);
    if (dropped.length > 0) partitions?.forget();
    const result = await ctx.db.deleteFrom('events').where('time', '<', cutoff).executeTakeFirst();
    return ok({
      deleted: Number(result.numDeletedRows),
      ...(dropped.length > 0 ? { droppedPartitions: dropped } : {}),
    });
  }

  /**
   * PostgreSQL: makes the partitions from yesterday to EVENT_PARTITIONS_AHEAD_DAYS ahead that are
   * missing (the hourly upkeep of one node), so ingest finds its days already there.
   */
  async function prepareDays(): Promise<string[]> {
    if (partitions === null) return [];
    const today = partitionStart(ctx.now());
    return ensureEventPartitions(
      ctx.db,
      today - EVENT_PARTITION_MS,
      today + (EVENT_PARTITIONS_AHEAD_DAYS + 1) * EVENT_PARTITION_MS,
    );
  }

  return { ingest, query, get, export: exportEvents, deleteOlderThan, prepareDays };
}

export type EventsService = ReturnType<typeof eventsService>;
