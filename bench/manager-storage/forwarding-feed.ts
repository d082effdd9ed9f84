/**
 * SIEM forwarding's feed page on the events table partitioned by day (PostgreSQL): loads N events
 * over D days with a destination present (so the feed trigger fills the feed as ingest would), then
 * walks the feed 500 rows a page with `readFeed` (the page cut first, joined on (id, time)) and, as
 * the peer in the same run, the query it replaced (joined on the event id alone, cut after the
 * join). Reports each one's per-page p50/p99, their ratio, and from EXPLAIN (ANALYZE) of one page
 * how many day partitions each one read.
 *
 *   node --import tsx bench/manager-storage/forwarding-feed.ts [--events 300000] [--days 60] [--pages 60]
 */
import { parseArgs } from 'node:util';
import { CompiledQuery, type KyselyPlugin, type RootOperationNode, sql } from 'kysely';
import { type FeedCursor, readFeed } from '../../packages/platform-manager/src/forwarding/forwarding-feed.js';
import { forwardingDb } from '../../packages/platform-manager/src/forwarding/forwarding-tables.js';
import {
  EVENT_PARTITION_MS,
  ensureEventPartitions,
  partitionStart,
} from '../../packages/platform-manager/src/storage/event-partitions.js';
import { testStores } from '../../packages/platform-manager/src/storage/test-stores.js';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '300000' },
    days: { type: 'string', default: '60' },
    pages: { type: 'string', default: '60' },
  },
});
const total = Number(values.events);
const days = Number(values.days);
const pages = Number(values.pages);
const PAGE = 500;
const log = (line: string) => process.stderr.write(`${line}\n`);

const postgres = (await testStores()).find((s) => s.name === 'postgres');
if (postgres === undefined || postgres.skip) {
  console.log(`forwarding feed: skipped (${postgres?.skip ?? 'no PostgreSQL store'})`);
  process.exit(0);
}
const store = await postgres.open();
const quantile = (xs: number[], q: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
};

/** The query the forwarder ran before migration 0011: the event id alone, the page cut after the join. */
const byIdOnly = (cursor: FeedCursor) => sql`
  select f.tx, f.seq as feed_seq, c.hostname, c.name as computer_name, c.policy_id, e.*
  from forwarding_feed f
  left join events e on e.id = f.event_id
  left join computers c on c.id = e.computer_id
  where (f.tx > ${cursor.tx} or (f.tx = ${cursor.tx} and f.seq > ${cursor.seq}))
    and f.tx < pg_snapshot_xmin(pg_current_snapshot())::text::bigint
  order by f.tx, f.seq limit ${PAGE}`;

try {
  const db = forwardingDb(store.db);
  const now = Date.now();
  const first = partitionStart(now) - days * EVENT_PARTITION_MS;
  const span = now - 3_600_000 - first;
  await ensureEventPartitions(store.db, first, now + EVENT_PARTITION_MS);
  await db
    .insertInto('computers')
    .values({ id: 'c0', hostname: 'bench', name: 'bench', agent_version: 'bench', activated_at: now } as never)
    .execute();
  await db
    .insertInto('forwarding_destinations')
    .values({
      id: 'd1',
      name: 'bench',
      transport: 'tcp',
      host: '127.0.0.1',
      port: 1,
      format: 'cef',
      minimum_severity: 'info',
      max_backlog: total,
      created_at: now,
      updated_at: now,
      modules_json: null,
      ca_certificate: null,
      policy_id: null,
      enabled: 1,
      last_sent_at: null,
      last_error: null,
      last_error_at: null,
    })
    .execute();
  log(`loading ${total.toLocaleString('en')} events over ${days} days (the feed trigger fills the feed)…`);
  for (let from = 1; from <= total; from += 100_000) {
    const to = Math.min(total, from + 99_999);
    await sql`insert into events (id, computer_id, seq, time, received_at, module, type, severity, severity_rank, summary)
      select 'b' || lpad(g::text, 12, '0'), 'c0', g, ${first}::bigint + (g::bigint * ${span} / ${total}),
        ${first}::bigint + (g::bigint * ${span} / ${total}), 'firewall', 'deny', 'low', 1, 'blocked ' || g
      from generate_series(${from}::bigint, ${to}::bigint) g`.execute(db);
  }
  await sql`analyze`.execute(db);
  const partitions = await sql<{ n: number }>`
    select count(*)::int as n from pg_inherits where inhparent = 'events'::regclass`.execute(db);

  // Walk the feed from its start; at each position time both queries (alternating which goes first).
  const ours: number[] = [];
  const peer: number[] = [];
  let cursor: FeedCursor = { tx: 0, seq: 0 };
  const middle: FeedCursor[] = [];
  for (let p = 0; p < pages; p++) {
    const runOurs = async () => {
      const started = performance.now();
      const rows = await readFeed(db, cursor, PAGE);
      ours.push(performance.now() - started);
      return rows;
    };
    const runPeer = async () => {
      const started = performance.now();
      const result = await byIdOnly(cursor).execute(db);
      peer.push(performance.now() - started);
      return result.rows.length;
    };
    if (p % 2 === 1) await runPeer();
    const rows = await runOurs();
    if (p % 2 === 0) await runPeer();
    const events = rows.filter((r) => r.event !== null).length;
    if (rows.length !== PAGE || events !== PAGE) throw new Error(`page ${p}: ${rows.length} rows, ${events} events`);
    if (p === Math.floor(pages / 2)) middle.push(cursor);
    cursor = (rows.at(-1) as (typeof rows)[0]).cursor;
  }

  // Which day partitions one page reads: scans of an events_p… relation that ran at least once.
  const daysRead = (plan: unknown): Set<string> => {
    const read = new Set<string>();
    const walk = (node: Record<string, unknown>) => {
      const relation = node['Relation Name'];
      if (typeof relation === 'string' && relation.startsWith('events_p') && Number(node['Actual Loops']) > 0)
        read.add(relation);
      for (const child of (node.Plans as Record<string, unknown>[] | undefined) ?? []) walk(child);
    };
    walk((plan as { Plan: Record<string, unknown> }[])[0]?.Plan ?? {});
    return read;
  };
  const explain = async (query: CompiledQuery) => {
    const result = await db.executeQuery<{ 'QUERY PLAN': unknown }>(
      CompiledQuery.raw(`explain (analyze, format json) ${query.sql}`, [...query.parameters]),
    );
    return daysRead(result.rows[0]?.['QUERY PLAN']);
  };
  const at = middle[0] as FeedCursor;
  let captured: RootOperationNode | undefined;
  const capture: KyselyPlugin = {
    transformQuery: ({ node }) => {
      captured = node;
      return node;
    },
    transformResult: async ({ result }) => result,
  };
  await readFeed(db.withPlugin(capture), at, PAGE);
  const oursRead = await explain(
    db.getExecutor().compileQuery(captured as RootOperationNode, { queryId: 'ours' } as never),
  );
  const peerRead = await explain(byIdOnly(at).compile(db));

  const p50 = { ours: quantile(ours, 0.5), peer: quantile(peer, 0.5) };
  console.log(
    JSON.stringify(
      {
        events: total,
        days,
        partitions: partitions.rows[0]?.n,
        pageRows: PAGE,
        pagesTimed: pages,
        readFeed: { p50Ms: p50.ours, p99Ms: quantile(ours, 0.99), partitionsRead: oursRead.size },
        joinOnIdOnly: { p50Ms: p50.peer, p99Ms: quantile(peer, 0.99), partitionsRead: peerRead.size },
        ratioP50: p50.peer / p50.ours,
      },
      null,
      2,
    ),
  );
} finally {
  await store.close();
}
