import { type Severity, severityRank } from '@bulwark/protocol';
import { type Kysely, PostgresAdapter, sql } from 'kysely';
import { presentEvent } from '../services/events.js';
import type { ForwardedEvent } from './forwarded-event.js';
import type { ForwardingDatabase } from './forwarding-tables.js';

/** A position in the feed: rows are ordered by (tx, seq); tx is 0 on SQLite. */
export interface FeedCursor {
  readonly tx: number;
  readonly seq: number;
}

/** What a destination lets through. `policyIds` is the policy and its descendants; null = global. */
export interface FeedFilter {
  readonly modules: readonly string[] | null;
  readonly minimumSeverity: Severity;
  readonly policyIds: ReadonlySet<string> | null;
}

export interface FeedEntry {
  readonly cursor: FeedCursor;
  readonly event: ForwardedEvent;
}

type Db = Kysely<ForwardingDatabase>;

function isPostgres(db: Db): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

/** Rows after `cursor` that every reader will ever see there (see forwarding-migration.ts). */
function after(db: Db, cursor: FeedCursor) {
  let query = db
    .selectFrom('forwarding_feed as f')
    .where((eb) =>
      eb.or([eb('f.tx', '>', cursor.tx), eb.and([eb('f.tx', '=', cursor.tx), eb('f.seq', '>', cursor.seq)])]),
    );
  if (isPostgres(db)) query = query.where(sql<boolean>`f.tx < pg_snapshot_xmin(pg_current_snapshot())::text::bigint`);
  return query;
}

export function matches(filter: FeedFilter, event: ForwardedEvent): boolean {
  if (filter.modules !== null && !filter.modules.includes(event.module)) return false;
  if (severityRank(event.severity) < severityRank(filter.minimumSeverity)) return false;
  if (filter.policyIds !== null && (event.computer.policyId === null || !filter.policyIds.has(event.computer.policyId)))
    return false;
  return true;
}

/**
 * The next `limit` feed rows after `cursor`, with their events (rows whose event retention has
 * already deleted come back with `event: null`, so the cursor still moves past them).
 */
export async function readFeed(
  db: Db,
  cursor: FeedCursor,
  limit: number,
): Promise<{ cursor: FeedCursor; event: ForwardedEvent | null }[]> {
  const page = db.selectFrom(
    after(db, cursor)
      // The same bound as a row value too: that form is an index condition (a deep backlog is not
      // read from its start on each page). Only here: its row estimate is poor for the counts.
      .where((eb) => eb(eb.refTuple('f.tx', 'f.seq'), '>', eb.tuple(cursor.tx, cursor.seq)))
      .select(['f.tx', 'f.seq', 'f.event_id', 'f.event_time'])
      .orderBy('f.tx')
      .orderBy('f.seq')
      .limit(limit)
      .as('f'),
  );
  // On PostgreSQL `events` is partitioned by day (event-partitions-migration.ts). A plain join
  // costs each row as a probe of every day, so the planner hashes a scan of all of them instead.
  // A lateral lookup with LIMIT 1 is not flattened: each page row's (id, time) reaches the Append
  // as a parameter, which prunes it at run time to that row's day. SQLite has one plain table.
  const joined = isPostgres(db)
    ? page.leftJoinLateral(
        (eb) =>
          eb
            .selectFrom('events')
            .selectAll()
            .whereRef('events.id', '=', 'f.event_id')
            .whereRef('events.time', '=', 'f.event_time')
            .limit(1)
            .as('e'),
        (join) => join.onTrue(),
      )
    : page.leftJoin('events as e', (join) =>
        join.onRef('e.id', '=', 'f.event_id').onRef('e.time', '=', 'f.event_time'),
      );
  const rows = await joined
    .leftJoin('computers as c', 'c.id', 'e.computer_id')
    .select(['f.tx', 'f.seq as feed_seq', 'c.hostname', 'c.name as computer_name', 'c.policy_id'])
    .select([
      'e.id',
      'e.computer_id',
      'e.seq',
      'e.time',
      'e.received_at',
      'e.module',
      'e.type',
      'e.severity',
      'e.severity_rank',
      'e.rule_id',
      'e.action',
      'e.summary',
      'e.details_json',
      'e.agent_time',
    ])
    .orderBy('f.tx')
    .orderBy('f.seq')
    .execute();
  return rows.map((row) => {
    const position = { tx: Number(row.tx), seq: Number(row.feed_seq) };
    if (row.id === null) return { cursor: position, event: null };
    const stored = presentEvent({
      id: row.id,
      computer_id: row.computer_id ?? '',
      seq: Number(row.seq),
      time: Number(row.time),
      received_at: Number(row.received_at),
      module: row.module ?? '',
      type: row.type ?? '',
      severity: row.severity ?? 'info',
      severity_rank: Number(row.severity_rank),
      rule_id: row.rule_id,
      action: row.action,
      summary: row.summary ?? '',
      details_json: row.details_json,
      agent_time: row.agent_time === null ? null : Number(row.agent_time),
    });
    return {
      cursor: position,
      event: {
        ...stored,
        computer: { hostname: row.hostname ?? null, name: row.computer_name ?? null, policyId: row.policy_id ?? null },
      },
    };
  });
}

/** How many queued events after `from` (up to and including `to`, if given) pass the filter. */
export async function countMatching(db: Db, filter: FeedFilter, from: FeedCursor, to?: FeedCursor): Promise<number> {
  let query = after(db, from)
    // By id alone: a backlog can be the whole table, which one hash join over every day counts
    // fastest; with (id, time) too the planner expects one row and nests loops (measured slower).
    .innerJoin('events as e', 'e.id', 'f.event_id')
    .innerJoin('computers as c', 'c.id', 'e.computer_id')
    .where('e.severity_rank', '>=', severityRank(filter.minimumSeverity));
  if (to !== undefined)
    query = query.where((eb) =>
      eb.or([eb('f.tx', '<', to.tx), eb.and([eb('f.tx', '=', to.tx), eb('f.seq', '<=', to.seq)])]),
    );
  if (filter.modules !== null) {
    if (filter.modules.length === 0) return 0;
    query = query.where('e.module', 'in', [...filter.modules]);
  }
  if (filter.policyIds !== null) {
    if (filter.policyIds.size === 0) return 0;
    query = query.where('c.policy_id', 'in', [...filter.policyIds]);
  }
  const row = await query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** All queued rows after `cursor`, whatever they hold. */
export async function countQueued(db: Db, cursor: FeedCursor): Promise<number> {
  const row = await after(db, cursor)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** The row `offset` rows after `cursor` (0 = the first one), to move a cursor past the oldest rows. */
export async function cursorAt(db: Db, cursor: FeedCursor, offset: number): Promise<FeedCursor | null> {
  const row = await after(db, cursor)
    .select(['f.tx', 'f.seq'])
    .orderBy('f.tx')
    .orderBy('f.seq')
    .offset(offset)
    .limit(1)
    .executeTakeFirst();
  return row === undefined ? null : { tx: Number(row.tx), seq: Number(row.seq) };
}

/** The end of the feed as of now: a new destination starts here (it forwards from its creation on). */
export async function feedEnd(db: Db): Promise<FeedCursor> {
  const row = await db
    .selectFrom('forwarding_feed')
    .select(['tx', 'seq'])
    .orderBy('tx', 'desc')
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row === undefined ? { tx: 0, seq: 0 } : { tx: Number(row.tx), seq: Number(row.seq) };
}

/** The policy and every policy under it. */
export async function policyScope(db: Db, policyId: string | null): Promise<ReadonlySet<string> | null> {
  if (policyId === null) return null;
  const policies = await db.selectFrom('policies').select(['id', 'parent_id']).execute();
  const children = new Map<string, string[]>();
  for (const p of policies) {
    if (p.parent_id === null) continue;
    children.set(p.parent_id, [...(children.get(p.parent_id) ?? []), p.id]);
  }
  const scope = new Set<string>();
  const pending = [policyId];
  for (let id = pending.pop(); id !== undefined; id = pending.pop()) {
    if (scope.has(id)) continue;
    scope.add(id);
    pending.push(...(children.get(id) ?? []));
  }
  return scope;
}

/** Deletes feed rows every enabled destination has passed (all rows when there is none). */
export async function pruneFeed(db: Db): Promise<number> {
  // A disabled destination holds nothing back: it resumes from the end of the feed when enabled again.
  const destinations = await db
    .selectFrom('forwarding_destinations')
    .select(['cursor_tx', 'cursor_seq'])
    .where('enabled', '=', 1)
    .execute();
  let query = db.deleteFrom('forwarding_feed');
  if (destinations.length > 0) {
    const lowest = destinations
      .map((d) => ({ tx: Number(d.cursor_tx), seq: Number(d.cursor_seq) }))
      .reduce((a, b) => (b.tx < a.tx || (b.tx === a.tx && b.seq < a.seq) ? b : a));
    query = query.where((eb) =>
      eb.or([eb('tx', '<', lowest.tx), eb.and([eb('tx', '=', lowest.tx), eb('seq', '<=', lowest.seq)])]),
    );
  }
  const result = await query.executeTakeFirst();
  return Number(result.numDeletedRows);
}
