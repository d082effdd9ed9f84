import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { type AgentEvent, type NewEvent, PlatformEventTypes, type Severity } from '@bulwark/protocol';
import Database from 'better-sqlite3';
import { ensurePrivateFile } from '../atomic-file.js';
import { BatchInsert } from './batch-insert.js';
import { eventBody, eventProblem, severityRankOf } from './event-body.js';

export interface SpoolLimits {
  /** platform.eventSpoolMaxEvents: the most events kept on disk, the drop notice included. */
  readonly maxEvents: number;
  /** platform.minimumEventSeverity: less severe events are counted, not spooled. */
  readonly minimumSeverity: Severity;
}

export interface SpoolCounters {
  readonly pendingEvents: number;
  readonly droppedEvents: number;
  readonly clippedEvents: number;
  readonly invalidEvents: number;
  readonly lastSeq: number;
}

export type EmitOutcome =
  | { readonly kind: 'spooled'; readonly seq: number }
  | { readonly kind: 'clipped' }
  | { readonly kind: 'invalid'; readonly reason: string };

/**
 * How events reach the disk. `batched` (the default) commits emitted events together, in one
 * transaction and one fsync, once `maxBatchEvents` are waiting or `flushDelayMs` after the first
 * of them, and before anything reads the spool; `per-event` commits each emit() on its own (one
 * fsync each: slow, kept for comparison and for callers that want it).
 */
export interface SpoolCommitOptions {
  readonly commit: 'batched' | 'per-event';
  readonly maxBatchEvents: number;
  readonly flushDelayMs: number;
  /** A timed flush failed (e.g. disk full); the events stay waiting and the flush is retried. */
  readonly onFlushError: (error: Error) => void;
}

type Counter = 'lastSeq' | 'droppedTotal' | 'clippedTotal' | 'invalidTotal' | 'openNoticeSeq';
const COUNTERS: readonly Counter[] = ['lastSeq', 'droppedTotal', 'clippedTotal', 'invalidTotal', 'openNoticeSeq'];

const DEFAULT_LIMITS: SpoolLimits = { maxEvents: 100_000, minimumSeverity: 'info' };
const DEFAULT_COMMIT: SpoolCommitOptions = {
  commit: 'batched',
  maxBatchEvents: 500,
  flushDelayMs: 20,
  onFlushError: (error) => process.emitWarning(`event spool flush failed, will retry: ${error.message}`),
};
/** Page size of a new spool file; see open(). */
const PAGE_SIZE = 16_384;
/** SQLite's default write-ahead log size before a checkpoint (1000 pages of 4 KiB). */
const WAL_CHECKPOINT_BYTES = 4_096_000;
/** After a failed timed flush: retrying at once would spin on a full disk. */
const FLUSH_RETRY_MS = 1000;

/**
 * The agent's durable event spool. emit() numbers an event and queues it in memory; the queue is
 * committed (and fsynced: WAL with synchronous=FULL) as one transaction, together with the seq
 * counter, within `flushDelayMs`, when it holds `maxBatchEvents`, before every read and on
 * close(). A committed seq is never handed out again, across restarts, even after its event was
 * deleted. A crash can lose only events not yet committed; their seqs were never on disk nor sent,
 * so the next process numbers its events from the last committed one. Events leave the spool only
 * when the manager acknowledged them.
 */
export class EventSpool {
  readonly #db: Database.Database;
  #limits: SpoolLimits;
  /** Rank of `#limits.minimumSeverity`, looked up once per change rather than per event. */
  #minimumRank: number;
  readonly #commit: SpoolCommitOptions;
  /** Events on disk. */
  #pending: number;
  /**
   * JSON bodies of the events emitted but not yet committed, in seq order. Their seqs are
   * consecutive and end at `#nextSeq - 1`: nothing else takes a seq between two emits (a drop
   * notice is numbered inside the commit, after the batch, and a failed commit gives its seq back).
   */
  #waiting: string[] = [];
  #flushTimer: NodeJS.Timeout | null = null;
  #nextSeq: number;
  /** The counters table as of the last commit plus what changed since; written at each commit. */
  readonly #counters = new Map<Counter, number>();
  /** A counter changed in memory since the last commit. */
  #countersChanged = false;
  #closed = false;
  #closing = false;
  readonly #insert: Database.Statement;
  readonly #insertBatch: BatchInsert;
  readonly #upsertCounter: Database.Statement;
  /** Highest seq ever handed to the uploader: a notice at or below it may already be on the manager. */
  #handedOutThrough = 0;
  /** Events of the batch being uploaded; overflow spares them, they are about to leave anyway. */
  #inFlight: { from: number; to: number } | null = null;
  readonly #now: () => Date;

  private constructor(db: Database.Database, limits: SpoolLimits, now: () => Date, commit: SpoolCommitOptions) {
    this.#db = db;
    this.#limits = limits;
    this.#minimumRank = severityRankOf(limits.minimumSeverity);
    this.#now = now;
    this.#commit = commit;
    this.#pending = (db.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n;
    const rows = db.prepare('SELECT name, value FROM counters').all() as { name: string; value: number }[];
    for (const row of rows)
      if ((COUNTERS as string[]).includes(row.name)) this.#counters.set(row.name as Counter, row.value);
    this.#nextSeq = this.#get('lastSeq') + 1;
    this.#insert = db.prepare('INSERT INTO events (seq, body, notice) VALUES (?, ?, ?)');
    this.#insertBatch = new BatchInsert(db);
    this.#upsertCounter = db.prepare(
      'INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value',
    );
  }

  static open(
    path: string,
    limits: Partial<SpoolLimits> = {},
    now: () => Date = () => new Date(),
    commit: Partial<SpoolCommitOptions> = {},
  ): EventSpool {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    ensurePrivateFile(path, [`${path}-wal`, `${path}-shm`]);
    const db = new Database(path);
    // Takes effect only while the file is still empty (a spool made with 4 KiB pages keeps them).
    // An event body is about 0.5 KiB; with 16 KiB pages SQLite writes and checkpoints a quarter of
    // the pages and frames for the same events, which took a third off its CPU time per event.
    db.pragma(`page_size = ${PAGE_SIZE}`);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    // The write-ahead log is copied into the database once it holds about WAL_CHECKPOINT_BYTES,
    // whatever the page size: SQLite's default counts pages (1000), which would be 16 MiB here.
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    db.pragma(`wal_autocheckpoint = ${Math.max(1, Math.round(WAL_CHECKPOINT_BYTES / pageSize))}`);
    db.exec(`
      CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, body TEXT NOT NULL, notice INTEGER NOT NULL DEFAULT 0);
      CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
    `);
    return new EventSpool(db, { ...DEFAULT_LIMITS, ...limits }, now, { ...DEFAULT_COMMIT, ...commit });
  }

  setLimits(limits: Partial<SpoolLimits>): void {
    this.#limits = { ...this.#limits, ...limits };
    this.#minimumRank = severityRankOf(this.#limits.minimumSeverity);
    this.flush(true);
  }

  get limits(): SpoolLimits {
    return this.#limits;
  }

  /**
   * Validates, clips by severity, numbers and queues one event; it is on disk within
   * `flushDelayMs` (at once in `per-event` mode). Throws only when the spool is closed or a
   * commit it had to make first (the queue being full) failed; the event is then not taken.
   */
  emit(event: NewEvent): EmitOutcome {
    if (this.#closed) throw new Error('the event spool is closed');
    if (this.#waiting.length >= this.#commit.maxBatchEvents) this.flush();
    const outcome = this.#take(event);
    if (this.#commit.commit === 'per-event') this.flush();
    else if (this.#waiting.length >= this.#commit.maxBatchEvents) this.#flushSoon(0);
    else this.#flushSoon(this.#commit.flushDelayMs);
    return outcome;
  }

  /** emit() and commit at once: for an event that must survive a crash right after. */
  emitDurable(event: NewEvent): EmitOutcome {
    const outcome = this.emit(event);
    this.flush();
    return outcome;
  }

  /**
   * Commits every queued event (and the counters) in one transaction: one fsync. On failure
   * the events stay queued and the error is thrown. `evenIfEmpty` still applies the bound, for
   * limits that just changed.
   */
  flush(evenIfEmpty = false): void {
    if (this.#closed) return;
    if (this.#flushTimer) {
      clearTimeout(this.#flushTimer);
      this.#flushTimer = null;
    }
    const dirty = this.#waiting.length > 0 || this.#countersChanged || this.#get('lastSeq') !== this.#nextSeq - 1;
    if (!dirty && !evenIfEmpty) return;
    const before = { pending: this.#pending, nextSeq: this.#nextSeq, counters: new Map(this.#counters) };
    const waiting = this.#waiting;
    try {
      this.#db.transaction(() => {
        this.#insertBatch.run(this.#nextSeq - waiting.length, waiting);
        this.#pending += waiting.length;
        this.#enforceBound();
        this.#counters.set('lastSeq', this.#nextSeq - 1);
        for (const [name, value] of this.#counters) this.#upsertCounter.run(name, value);
      })();
    } catch (error) {
      // Nothing was committed: put memory back as it was so the next flush starts from the same place.
      this.#pending = before.pending;
      this.#nextSeq = before.nextSeq;
      this.#counters.clear();
      for (const [name, value] of before.counters) this.#counters.set(name, value);
      if (!this.#closing) this.#flushSoon(Math.max(this.#commit.flushDelayMs, FLUSH_RETRY_MS));
      throw error;
    }
    this.#waiting = [];
    this.#countersChanged = false;
  }

  /** The oldest events, in seq order, at most `limit` of them and about `maxBytes` of JSON. */
  nextBatch(limit: number, maxBytes = 512 * 1024): AgentEvent[] {
    // The uploader must see every event emitted so far, and only ones that are on disk.
    this.flush();
    const rows = this.#db.prepare('SELECT seq, body FROM events ORDER BY seq LIMIT ?').all(limit) as {
      seq: number;
      body: string;
    }[];
    const batch: AgentEvent[] = [];
    let bytes = 0;
    for (const row of rows) {
      bytes += row.body.length;
      if (batch.length > 0 && bytes > maxBytes) break;
      batch.push(JSON.parse(row.body) as AgentEvent);
    }
    const last = batch.at(-1);
    const first = batch[0];
    if (first && last) {
      this.#handedOutThrough = Math.max(this.#handedOutThrough, last.seq);
      this.#inFlight = { from: first.seq, to: last.seq };
    }
    return batch;
  }

  /** The manager stored (or already had) every event up to `throughSeq`. */
  acknowledge(throughSeq: number): void {
    this.#db.transaction(() => {
      const result = this.#db.prepare('DELETE FROM events WHERE seq <= ?').run(throughSeq);
      this.#pending -= result.changes;
    })();
    this.#inFlight = null;
  }

  /** The upload failed: the batch stays for the next try. */
  release(): void {
    this.#inFlight = null;
  }

  /** Drops one event the manager refuses for good (it would otherwise block every later one). */
  discard(seq: number): void {
    const invalid = this.#get('invalidTotal');
    const removed = this.#db.transaction(() => {
      const { changes } = this.#db.prepare('DELETE FROM events WHERE seq = ?').run(seq);
      this.#upsertCounter.run('invalidTotal', invalid + changes);
      return changes;
    })();
    this.#pending -= removed;
    this.#counters.set('invalidTotal', invalid + removed);
  }

  counters(): SpoolCounters {
    return {
      pendingEvents: this.#pending + this.#waiting.length,
      droppedEvents: this.#get('droppedTotal'),
      clippedEvents: this.#get('clippedTotal'),
      invalidEvents: this.#get('invalidTotal'),
      lastSeq: this.#nextSeq - 1,
    };
  }

  /**
   * Commits what is queued, then closes. A failing final commit goes to `onFlushError` (the
   * events it held are lost) rather than being thrown: stopping the agent must not fail on it.
   */
  close(): void {
    if (this.#closed) return;
    this.#closing = true;
    try {
      this.flush();
    } catch (error) {
      const queued = this.#waiting.length;
      this.#commit.onFlushError(new Error(`${(error as Error).message}; ${queued} queued events lost at close`));
    } finally {
      this.#closed = true;
      if (this.#flushTimer) clearTimeout(this.#flushTimer);
      this.#flushTimer = null;
      if (this.#db.open) this.#db.close();
    }
  }

  #take(event: NewEvent): EmitOutcome {
    const problem = eventProblem(event);
    if (problem !== undefined) {
      this.#add('invalidTotal', 1);
      return { kind: 'invalid', reason: problem };
    }
    if (severityRankOf(event.severity) < this.#minimumRank) {
      this.#add('clippedTotal', 1);
      return { kind: 'clipped' };
    }
    const seq = this.#nextSeq;
    const body = eventBody(event, seq, this.#now);
    if (body instanceof Error) {
      this.#add('invalidTotal', 1);
      return { kind: 'invalid', reason: body.message };
    }
    this.#nextSeq = seq + 1;
    this.#waiting.push(body);
    return { kind: 'spooled', seq };
  }

  #numbered(event: NewEvent, seq: number): AgentEvent {
    const { time, ...rest } = event;
    return { ...rest, seq, time: time ?? this.#now().toISOString() };
  }

  #flushSoon(delayMs: number): void {
    if (this.#flushTimer && delayMs > 0) return;
    if (this.#flushTimer) clearTimeout(this.#flushTimer);
    this.#flushTimer = setTimeout(() => {
      this.#flushTimer = null;
      try {
        this.flush();
      } catch (error) {
        this.#commit.onFlushError(error as Error);
      }
    }, delayMs);
  }

  /** Only inside the flush transaction: the notice goes straight to disk, after the batch. */
  #appendNotice(event: NewEvent): number {
    const seq = this.#nextSeq++;
    this.#insert.run(seq, JSON.stringify(this.#numbered(event, seq)), 1);
    this.#pending += 1;
    return seq;
  }

  /**
   * Deletes the oldest events beyond the bound and says so in one notice per overflow: while the
   * notice has not been handed to the uploader, later drops raise its count instead of adding
   * notices. Notices themselves are never dropped, so the counts they carry add up to every
   * event lost; there is at most one per upload attempt, so they cannot fill the spool.
   */
  #enforceBound(): void {
    let excess = this.#pending - this.#limits.maxEvents;
    if (excess <= 0) return;
    const noticeSeq = this.#openNotice();
    if (noticeSeq === 0) excess += 1;
    const inFlight = this.#inFlight ?? { from: 0, to: 0 };
    const result = this.#db
      .prepare(
        `DELETE FROM events WHERE seq IN (
           SELECT seq FROM events WHERE notice = 0 AND NOT (seq BETWEEN ? AND ?) ORDER BY seq LIMIT ?)`,
      )
      .run(inFlight.from, inFlight.to, excess);
    const dropped = result.changes;
    if (dropped === 0) return;
    this.#pending -= dropped;
    this.#add('droppedTotal', dropped);
    if (noticeSeq !== 0) {
      const row = this.#db.prepare('SELECT body FROM events WHERE seq = ?').get(noticeSeq) as { body: string };
      const notice = JSON.parse(row.body) as AgentEvent;
      const total = Number((notice.details as { dropped?: number } | undefined)?.dropped ?? 0) + dropped;
      const updated: AgentEvent = { ...notice, summary: `events dropped: ${total}`, details: { dropped: total } };
      this.#db.prepare('UPDATE events SET body = ? WHERE seq = ?').run(JSON.stringify(updated), noticeSeq);
      return;
    }
    const seq = this.#appendNotice({
      module: 'agent',
      type: PlatformEventTypes.eventsDropped,
      severity: 'high',
      summary: `events dropped: ${dropped}`,
      details: { dropped },
    });
    this.#set('openNoticeSeq', seq);
  }

  #openNotice(): number {
    const seq = this.#get('openNoticeSeq');
    if (seq === 0 || seq <= this.#handedOutThrough) return 0;
    const exists = this.#db.prepare('SELECT 1 FROM events WHERE seq = ?').get(seq);
    return exists ? seq : 0;
  }

  #get(name: Counter): number {
    return this.#counters.get(name) ?? 0;
  }

  #set(name: Counter, value: number): void {
    this.#counters.set(name, value);
    this.#countersChanged = true;
  }

  #add(name: Counter, delta: number): void {
    if (delta !== 0) this.#set(name, this.#get(name) + delta);
  }
}

/** Reads the counters of a spool another process (the daemon) owns, for `bulwark-agent status`. */
export function readSpoolCounters(path: string): { pendingEvents: number; droppedEvents: number } | null {
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    const pending = (db.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n;
    const dropped = db.prepare("SELECT value FROM counters WHERE name = 'droppedTotal'").get() as
      | { value: number }
      | undefined;
    return { pendingEvents: pending, droppedEvents: dropped?.value ?? 0 };
  } catch {
    return null;
  } finally {
    db?.close();
  }
}
