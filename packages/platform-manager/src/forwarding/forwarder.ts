import { type Kysely, PostgresAdapter, sql } from 'kysely';
import { asClusterDuty } from '../cluster-duty.js';
import type { Database } from '../storage/schema.js';
import type { Destination } from './destination-schema.js';
import { destinationFilter, presentDestination } from './destinations.js';
import { eventMessage } from './event-message.js';
import type { ProductIdentity } from './forwarded-event.js';
import {
  countMatching,
  countQueued,
  cursorAt,
  type FeedCursor,
  matches,
  pruneFeed,
  readFeed,
} from './forwarding-feed.js';
import { type ForwardingDatabase, forwardingDb } from './forwarding-tables.js';
import { noSiemFields, type SiemFieldSource } from './siem-field-source.js';
import { openSyslogConnection, type SyslogConnection } from './syslog-connection.js';

/** Pino-compatible (the manager passes its Fastify logger). */
export interface ForwardingLogger {
  warn(details: object, message: string): void;
  info(details: object, message: string): void;
}

export interface ForwardingOptions {
  readonly db: Kysely<Database>;
  readonly identity: ProductIdentity;
  /** Each module's own CEF/LEEF fields (siemFieldSource over the module registry); default none. */
  readonly siemFields?: SiemFieldSource;
  readonly logger?: ForwardingLogger;
  /** How often the queue is looked at; default 1000 ms. */
  readonly pollIntervalMs?: number;
  /** Feed rows read per step; default 500. */
  readonly batchSize?: number;
  /** Retry delay after a failure doubles from this up to `maxRetryMs`; defaults 1 s and 60 s. */
  readonly minRetryMs?: number;
  readonly maxRetryMs?: number;
  /** How often a destination's queue is measured against its maxBacklog; default 5000 ms. */
  readonly boundCheckIntervalMs?: number;
  readonly now?: () => number;
}

export interface RunningForwarder {
  /** Look at the queue now rather than at the next poll (e.g. right after an ingest). */
  poke(): void;
  /**
   * Turns ended so far. Two more than now means that a whole turn began after now: the way to
   * know that a change (a destination disabled, say) has been seen, when the right outcome is
   * that nothing is sent.
   */
  readonly turnsEnded: number;
  stop(): Promise<void>;
}

interface Worker {
  endpointKey: string;
  connection: SyslogConnection | null;
  failures: number;
  retryAt: number;
  boundCheckedAt: number;
}

type Db = Kysely<ForwardingDatabase>;

const BATCHES_PER_TURN = 20;
/** Advisory-lock key space of the forwarder (the second key is the destination). */
const LOCK_SPACE = 0x42574b46;
const PRUNE_MS = 60_000;
const silent: ForwardingLogger = { warn() {}, info() {} };

function endpointKey(d: Destination): string {
  return JSON.stringify([d.transport, d.host, d.port, d.caCertificate]);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Forwards stored events to every enabled destination, in ingestion order, in its own loop: it
 * only reads events and the feed, so ingestion never waits for a collector. A destination's cursor
 * moves only after its batch was handed to the connection; a collector that is down makes the
 * queue grow (up to its maxBacklog, past which the oldest are skipped and counted), and sending
 * resumes where it stopped, with a doubling retry delay.
 */
export function startForwarding(options: ForwardingOptions): RunningForwarder {
  const db = forwardingDb(options.db);
  const logger = options.logger ?? silent;
  const now = options.now ?? Date.now;
  const siemFields = options.siemFields ?? noSiemFields;
  const pollMs = options.pollIntervalMs ?? 1000;
  const batchSize = options.batchSize ?? 500;
  const minRetryMs = options.minRetryMs ?? 1000;
  const maxRetryMs = options.maxRetryMs ?? 60_000;
  const boundCheckMs = options.boundCheckIntervalMs ?? 5000;
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  const workers = new Map<string, Worker>();
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  let again = false;
  let turnsEnded = 0;
  let prunedAt = 0;

  async function saveCursor(q: Db, id: string, cursor: FeedCursor, sent: number): Promise<void> {
    await q
      .updateTable('forwarding_destinations')
      .set((eb) => ({
        cursor_tx: cursor.tx,
        cursor_seq: cursor.seq,
        sent_count: eb('sent_count', '+', sent),
        ...(sent > 0 ? { last_sent_at: now() } : {}),
      }))
      .where('id', '=', id)
      .execute();
  }

  /** Past the bound, the oldest queued events are given up (and counted) so the queue stays bounded. */
  async function enforceBound(q: Db, destination: Destination, cursor: FeedCursor): Promise<FeedCursor> {
    const queued = await countQueued(q, cursor);
    if (queued <= destination.maxBacklog) return cursor;
    const last = await cursorAt(q, cursor, queued - destination.maxBacklog - 1);
    if (last === null) return cursor;
    const skipped = await countMatching(q, await destinationFilter(q, destination), cursor, last);
    await q
      .updateTable('forwarding_destinations')
      .set((eb) => ({ cursor_tx: last.tx, cursor_seq: last.seq, skipped_count: eb('skipped_count', '+', skipped) }))
      .where('id', '=', destination.id)
      .execute();
    logger.warn(
      { destinationId: destination.id, skipped, maxBacklog: destination.maxBacklog },
      `forwarding destination ${destination.name}: backlog over its bound, oldest events skipped`,
    );
    return last;
  }

  async function forward(q: Db, destination: Destination, start: FeedCursor, worker: Worker): Promise<void> {
    const filter = await destinationFilter(q, destination);
    let cursor = start;
    for (let batch = 0; batch < BATCHES_PER_TURN && !stopped; batch++) {
      const rows = await readFeed(q, cursor, batchSize);
      const last = rows.at(-1);
      if (last === undefined) return;
      const messages: string[] = [];
      for (const row of rows)
        if (row.event !== null && matches(filter, row.event))
          messages.push(eventMessage(row.event, destination.format, options.identity, siemFields));
      if (messages.length > 0) {
        if (worker.connection === null || !worker.connection.usable) {
          worker.connection?.close();
          worker.connection = null;
          worker.connection = await openSyslogConnection(destination);
        }
        await worker.connection.send(messages);
      }
      await saveCursor(q, destination.id, last.cursor, messages.length);
      if (worker.failures > 0) {
        worker.failures = 0;
        await q
          .updateTable('forwarding_destinations')
          .set({ last_error: null })
          .where('id', '=', destination.id)
          .execute();
        logger.info({ destinationId: destination.id }, `forwarding destination ${destination.name}: sending again`);
      }
      cursor = last.cursor;
      if (rows.length < batchSize) return;
    }
    again = true;
  }

  /** One destination's turn, reading its cursor through `q` (inside the node lock on PostgreSQL). */
  async function serve(q: Db, id: string): Promise<void> {
    const row = await q.selectFrom('forwarding_destinations').selectAll().where('id', '=', id).executeTakeFirst();
    if (row === undefined || Number(row.enabled) !== 1) return;
    const destination = presentDestination(row as Parameters<typeof presentDestination>[0]);
    let worker = workers.get(id);
    if (worker !== undefined && worker.endpointKey !== endpointKey(destination)) {
      worker.connection?.close();
      workers.delete(id);
      worker = undefined;
    }
    if (worker === undefined) {
      worker = { endpointKey: endpointKey(destination), connection: null, failures: 0, retryAt: 0, boundCheckedAt: 0 };
      workers.set(id, worker);
    }
    let cursor = { tx: Number(row.cursor_tx), seq: Number(row.cursor_seq) };
    // Measured even while retries wait, so a long outage keeps the queue within its bound.
    if (now() - worker.boundCheckedAt >= boundCheckMs) {
      worker.boundCheckedAt = now();
      cursor = await enforceBound(q, destination, cursor);
    }
    if (now() < worker.retryAt) return;
    try {
      await forward(q, destination, cursor, worker);
    } catch (error) {
      worker.connection?.close();
      worker.connection = null;
      worker.failures++;
      worker.retryAt = now() + Math.min(maxRetryMs, minRetryMs * 2 ** (worker.failures - 1));
      const message = messageOf(error);
      await q
        .updateTable('forwarding_destinations')
        .set({ last_error: message, last_error_at: now() })
        .where('id', '=', id)
        .execute();
      if (worker.failures === 1)
        logger.warn(
          { destinationId: id, error: message },
          `forwarding destination ${destination.name}: send failed, events stay queued`,
        );
    }
  }

  async function turn(): Promise<void> {
    const ids = await db.selectFrom('forwarding_destinations').select('id').where('enabled', '=', 1).execute();
    const seen = new Set<string>();
    for (const { id } of ids) {
      if (stopped) return;
      seen.add(id);
      if (!postgres) {
        // One manager per SQLite file; and a transaction here would hold off ingestion's writes.
        await serve(db, id);
        continue;
      }
      // Manager nodes sharing PostgreSQL: one node at a time serves a destination, under a lock
      // that ends with the transaction (so with the node, if it dies).
      await db.transaction().execute(async (trx) => {
        const { rows } = await sql<{
          got: boolean;
        }>`SELECT pg_try_advisory_xact_lock(${LOCK_SPACE}, hashtext(${id})) AS got`.execute(trx);
        if (rows[0]?.got === true) await serve(trx, id);
      });
    }
    for (const [id, worker] of workers) {
      if (seen.has(id)) continue;
      worker.connection?.close();
      workers.delete(id);
    }
    if (now() - prunedAt >= PRUNE_MS) {
      prunedAt = now();
      // One node of a cluster at a time: the others would only repeat the same delete.
      await asClusterDuty(options.db, 'forwarding feed clean-up', async () => {
        await pruneFeed(db);
      });
    }
  }

  function schedule(delay: number): void {
    if (stopped) return;
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(run, delay);
    timer.unref();
  }

  function run(): void {
    timer = null;
    if (running !== null || stopped) return;
    again = false;
    running = turn()
      .catch((error: unknown) => logger.warn({ error: messageOf(error) }, 'forwarding: turn failed'))
      .finally(() => {
        running = null;
        turnsEnded++;
        schedule(again ? 0 : pollMs);
      });
  }

  schedule(0);
  return {
    get turnsEnded() {
      return turnsEnded;
    },
    poke() {
      if (running === null) schedule(0);
      else again = true;
    },
    async stop() {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
      await running;
      for (const worker of workers.values()) worker.connection?.close();
      workers.clear();
    },
  };
}
