/**
 * The events table partitioned by day on PostgreSQL, at size: loads N events spread over D days
 * (one INSERT … SELECT per chunk: the load itself is not the agent path), then measures what the
 * manager does on top of that many: ingest through `events.ingest` (batches of 500, the agent
 * path), the console's and API's list queries (first page, filters, a page deep by keyset, one
 * event by id) as p50/p99 over repeated calls, and retention: dropping one day's partition against
 * deleting one day's rows (what retention did before partitioning), in the same run.
 *
 *   node --import tsx bench/manager-storage/event-partitions.ts [--events 2000000] [--days 30]
 */
import { parseArgs } from 'node:util';
import type { AgentEvent } from '@bulwark/protocol';
import { sql } from 'kysely';
import { createServices } from '../../packages/platform-manager/src/services/index.js';
import {
  dropEventPartitionsBefore,
  EVENT_PARTITION_MS,
  ensureEventPartitions,
  listEventPartitions,
  partitionStart,
} from '../../packages/platform-manager/src/storage/event-partitions.js';
import { testStores } from '../../packages/platform-manager/src/storage/test-stores.js';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '2000000' },
    days: { type: 'string', default: '30' },
    samples: { type: 'string', default: '30' },
  },
});
const total = Number(values.events);
const days = Number(values.days);
const samples = Number(values.samples);
const COMPUTERS = 100;
const CHUNK = 250_000;
const log = (line: string) => process.stderr.write(`${line}\n`);

const postgres = (await testStores()).find((s) => s.name === 'postgres');
if (postgres === undefined || postgres.skip) {
  console.log(`event partitions: skipped (${postgres?.skip ?? 'no PostgreSQL store'})`);
  process.exit(0);
}
const store = await postgres.open();
const quantile = (xs: number[], q: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
};
const timed = async <T>(work: () => Promise<T>): Promise<[T, number]> => {
  const started = performance.now();
  const value = await work();
  return [value, performance.now() - started];
};

try {
  const db = store.db;
  const services = createServices({ db });
  const now = Date.now();
  const first = partitionStart(now) - days * EVENT_PARTITION_MS;
  const span = now - 3_600_000 - first;
  await ensureEventPartitions(db, first, now + EVENT_PARTITION_MS);
  for (let c = 0; c < COMPUTERS; c++)
    await db
      .insertInto('computers')
      .values({
        id: `c${c}`,
        hostname: `bench-${c}`,
        name: `bench-${c}`,
        agent_version: 'bench',
        activated_at: now,
      } as never)
      .execute();

  log(`loading ${total.toLocaleString('en')} events over ${days} days…`);
  const [, loadMs] = await timed(async () => {
    for (let from = 1; from <= total; from += CHUNK) {
      const to = Math.min(total, from + CHUNK - 1);
      await sql`insert into events (id, computer_id, seq, time, received_at, module, type, severity, severity_rank,
          rule_id, action, summary, details_json)
        select 'b' || lpad(g::text, 12, '0'), 'c' || (g % ${COMPUTERS}), g, ${first}::bigint + (g::bigint * ${span} / ${total}),
          ${first}::bigint + (g::bigint * ${span} / ${total}), (array['firewall','ips','integrity'])[g % 3 + 1], 'deny',
          (array['info','low','medium','high','critical'])[g % 5 + 1], g % 5, 'rule-' || (g % 97), 'Reset',
          'blocked connection ' || g || ' from 10.0.' || (g % 250), '{"port":' || (g % 50000) || ',"bytes":' || (g % 1500) || '}'
        from generate_series(${from}::bigint, ${to}::bigint) g`.execute(db);
      log(`  ${to.toLocaleString('en')}`);
    }
  });
  await sql`analyze events`.execute(db);
  const size = await sql<{ bytes: number }>`
    select sum(pg_total_relation_size(c.oid))::bigint as bytes from pg_inherits i join pg_class c on c.oid = i.inhrelid
    where i.inhparent = 'events'::regclass`.execute(db);

  // The agent path on top of the loaded table: 10 computers, batches of 500 of current events.
  const batches = 200;
  let seq = total + 1;
  const [, ingestMs] = await timed(async () => {
    for (let b = 0; b < batches; b++) {
      const events: AgentEvent[] = Array.from({ length: 500 }, () => ({
        seq: seq++,
        time: new Date().toISOString(),
        module: 'firewall',
        type: 'deny',
        severity: 'low',
        ruleId: 'rule-1',
        summary: `live event ${seq}`,
        details: { port: seq % 50000 },
      }));
      const result = await services.events.ingest(`c${b % 10}`, events);
      if (!result.ok || result.value.accepted !== 500) throw new Error(`ingest: ${JSON.stringify(result)}`);
    }
  });

  const shapes: [string, () => Promise<unknown>][] = [
    ['first page (50, newest)', () => services.events.query({ limit: 50 })],
    ['one computer', () => services.events.query({ limit: 50, computerId: 'c42' })],
    ['module + minimum severity', () => services.events.query({ limit: 50, module: 'ips', severity: 'high' })],
    [
      'one hour a week ago',
      () =>
        services.events.query({
          limit: 50,
          from: new Date(now - 7 * EVENT_PARTITION_MS).toISOString(),
          to: new Date(now - 7 * EVENT_PARTITION_MS + 3_600_000).toISOString(),
        }),
    ],
    ['one rule', () => services.events.query({ limit: 50, ruleId: 'rule-7' })],
  ];
  const latency: Record<string, { p50: number; p99: number }> = {};
  for (const [name, run] of shapes) {
    const ms: number[] = [];
    for (let i = 0; i < samples; i++) ms.push((await timed(run))[1]);
    latency[name] = { p50: quantile(ms, 0.5), p99: quantile(ms, 0.99) };
  }
  // 20 pages deep by keyset cursor, each page timed.
  const deep: number[] = [];
  let cursor: string | undefined;
  for (let p = 0; p < 20; p++) {
    const [page, ms] = await timed(() => services.events.query({ limit: 50, ...(cursor ? { cursor } : {}) }));
    deep.push(ms);
    cursor = page.ok ? (page.value.nextCursor ?? undefined) : undefined;
  }
  latency['next page by cursor (20 deep)'] = { p50: quantile(deep, 0.5), p99: quantile(deep, 0.99) };
  const byId: number[] = [];
  for (let i = 0; i < samples; i++) {
    const id = `b${String(1 + Math.floor(Math.random() * total)).padStart(12, '0')}`;
    byId.push((await timed(() => services.events.get(id)))[1]);
  }
  latency['one event by id'] = { p50: quantile(byId, 0.5), p99: quantile(byId, 0.99) };

  const plan = await sql<{ 'QUERY PLAN': string }>`explain (analyze, costs off, timing off, summary off)
    select * from events where computer_id = 'c42' order by time desc, id desc limit 51`.execute(db);

  // Retention: the oldest day by DROP, the next day by DELETE (the way before partitions).
  const [oldest, second] = await listEventPartitions(db);
  if (oldest === undefined || second === undefined) throw new Error('fewer than two partitions');
  const [dropped, dropMs] = await timed(() => dropEventPartitionsBefore(db, oldest.to));
  const [deleted, deleteMs] = await timed(() =>
    db.deleteFrom('events').where('time', '>=', second.from).where('time', '<', second.to).executeTakeFirst(),
  );

  const perSecond = (n: number, ms: number) => Math.round((n / ms) * 1000).toLocaleString('en');
  const f = (ms: number) => ms.toFixed(1);
  console.log(
    [
      `event partitions (PostgreSQL, daily): ${total.toLocaleString('en')} events over ${days} days, ${COMPUTERS} computers, ${(Number(size.rows[0]?.bytes ?? 0) / 2 ** 30).toFixed(2)} GiB with indexes`,
      `  bulk load (INSERT … SELECT)  ${perSecond(total, loadMs)} events/s`,
      `  ingest (events.ingest, 500)  ${perSecond(batches * 500, ingestMs)} events/s on top of them`,
      ...Object.entries(latency).map(([name, l]) => `  ${name.padEnd(30)} p50 ${f(l.p50)} ms  p99 ${f(l.p99)} ms`),
      `  retention, one day:  DROP partition ${f(dropMs)} ms (${dropped[0]?.estimatedRows.toLocaleString('en')} rows est.)  vs  DELETE rows ${f(deleteMs)} ms (${Number(deleted.numDeletedRows).toLocaleString('en')} rows): ${(deleteMs / dropMs).toFixed(0)}× faster`,
      "  plan of one computer's first page:",
      ...plan.rows.slice(0, 8).map((r) => `    ${r['QUERY PLAN']}`),
    ].join('\n'),
  );
} finally {
  await store.close();
}
