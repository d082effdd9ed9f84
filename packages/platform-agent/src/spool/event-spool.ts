import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { ensurePrivateFile } from '@bulwark/host-files';
import type { AgentEvent, EmitOutcome, NewEvent, SourceCheckpoint } from '@bulwark/protocol';
import Database from 'better-sqlite3';
import { BatchInsert } from './batch-insert.js';
import { DropNotices } from './drop-notice.js';
import { eventBody, eventProblem, severityRankOf } from './event-body.js';
import { SpoolCheckpoints } from './spool-checkpoints.js';

import {
  DEFAULT_COMMIT,
  DEFAULT_LIMITS,
  type EmitCheckpoints,
  type SpoolCommitOptions,
  type SpoolCounters,
  type SpoolLimits,
} from './spool-options.js';

export { readSpoolCounters } from './spool-counters-reader.js';
export type { EmitCheckpoints, SpoolCommitOptions, SpoolCounters, SpoolLimits } from './spool-options.js';
export type { EmitOutcome };

type Counter = 'lastSeq' | 'droppedTotal' | 'clippedTotal' | 'invalidTotal' | 'openNoticeSeq';
const COUNTERS: readonly Counter[] = ['lastSeq', 'droppedTotal', 'clippedTotal', 'invalidTotal', 'openNoticeSeq'];

/** Page size of a new spool file; see open(). */
const PAGE_SIZE = 16_384;
/** SQLite's default write-ahead log size before a checkpoint (1000 pages of 4 KiB). */
const WAL_CHECKPOINT_BYTES = 4_096_000;
/** After a failed timed flush: retrying at once would spin on a full disk. */
const FLUSH_RETRY_MS = 1000;
/** Held by this file alone: only `EventSpool.open` can construct a spool (ECMAScript has no private constructor). */
const OPENING: unique symbol = Symbol('EventSpool.open');

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
  readonly #notices: DropNotices;
  readonly #insertBatch: BatchInsert;
  readonly #upsertCounter: Database.Statement;
  /** Highest seq ever handed to the uploader: a notice at or below it may already be on the manager. */
  #handedOutThrough = 0;
  /**
   * The manager has every event up to here. Events at or below it are deleted by the
   * acknowledgement, or, when that commit failed (a full disk), by the next write that succeeds;
   * until then they stay on disk but are neither counted as pending nor handed out again.
   */
  #acknowledgedThrough = 0;
  /** Rows at or below `#acknowledgedThrough` still on disk (counted in `#pending`). */
  #acknowledgedOnDisk = 0;
  /** Events of the batch being uploaded; overflow spares them, they are about to leave anyway. */
  #inFlight: { from: number; to: number } | null = null;
  readonly #now: () => Date;
  readonly #checkpoints: SpoolCheckpoints;
  /** Events lost to a spool that could not write, not yet told in a notice (written by the next commit). */
  #unnoticedLoss = 0;
  /** The last commit failed: when (ms) and why; cleared by the next commit that succeeds. */
  #writeFailure: { readonly at: number; readonly since: string; readonly reason: string } | null = null;

  constructor(
    token: typeof OPENING,
    db: Database.Database,
    limits: SpoolLimits,
    now: () => Date,
    commit: SpoolCommitOptions,
  ) {
    if (token !== OPENING) throw new TypeError('an EventSpool is made by EventSpool.open');
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
    this.#notices = new DropNotices(db);
    this.#insertBatch = new BatchInsert(db);
    this.#upsertCounter = db.prepare(
      'INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value',
    );
    this.#checkpoints = new SpoolCheckpoints(db);
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
    return new EventSpool(OPENING, db, { ...DEFAULT_LIMITS, ...limits }, now, { ...DEFAULT_COMMIT, ...commit });
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
   * `flushDelayMs` (at once in `per-event` mode), in the same transaction as `source`'s
   * checkpoints. Throws only when the spool is closed. When the queue is full and cannot be
   * committed (a full disk), the event is not taken: `full`. An event without checkpoints is
   * then lost, and counted as dropped; with checkpoints, its source reads it again later.
   */
  emit(event: NewEvent, source?: EmitCheckpoints): EmitOutcome {
    if (this.#closed) throw new Error('the event spool is closed');
    if (this.#waiting.length >= this.#commit.maxBatchEvents) {
      const failure = this.#tryFlush();
      if (failure !== undefined) {
        if (!source) this.#lose(1);
        return { kind: 'full', reason: failure };
      }
    }
    const outcome = this.#take(event);
    if (source) this.#checkpoints.queue(source.module, source.checkpoints);
    if (this.#commit.commit === 'per-event') this.#tryFlush();
    else if (this.#waiting.length >= this.#commit.maxBatchEvents) this.#flushSoon(0);
    else this.#flushSoon(this.#commit.flushDelayMs);
    return outcome;
  }

  /** Queues a source's checkpoints alone: committed with the next batch, after the events queued before. */
  advance(module: string, checkpoints: readonly SourceCheckpoint[]): void {
    if (this.#closed || checkpoints.length === 0) return;
    this.#checkpoints.queue(module, checkpoints);
    this.#flushSoon(this.#commit.flushDelayMs);
  }

  /** The module's checkpoints as last handed over (committed or queued). */
  checkpoints(module: string): ReadonlyMap<string, string> {
    return this.#checkpoints.view(module);
  }

  /** Why the spool cannot write now (since when), or undefined when its last commit succeeded. */
  get writeProblem(): string | undefined {
    const failure = this.#writeFailure;
    return failure ? `cannot write the event spool since ${failure.since}: ${failure.reason}` : undefined;
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
    const dirty =
      this.#waiting.length > 0 ||
      this.#countersChanged ||
      this.#checkpoints.dirty ||
      this.#unnoticedLoss > 0 ||
      this.#acknowledgedOnDisk > 0 ||
      this.#get('lastSeq') !== this.#nextSeq - 1;
    if (!dirty && !evenIfEmpty) return;
    const before = { pending: this.#pending, nextSeq: this.#nextSeq, counters: new Map(this.#counters) };
    const waiting = this.#waiting;
    try {
      this.#db.transaction(() => {
        this.#pending -= this.#deleteAcknowledged();
        this.#insertBatch.run(this.#nextSeq - waiting.length, waiting);
        this.#pending += waiting.length;
        this.#enforceBound();
        if (this.#unnoticedLoss > 0) this.#noticeDropped(this.#unnoticedLoss);
        this.#checkpoints.write();
        this.#counters.set('lastSeq', this.#nextSeq - 1);
        for (const [name, value] of this.#counters) this.#upsertCounter.run(name, value);
      })();
    } catch (error) {
      this.#writeFailure = {
        at: Date.now(),
        since: this.#writeFailure?.since ?? new Date().toISOString(),
        reason: (error as Error).message,
      };
      // Nothing was committed: put memory back as it was so the next flush starts from the same place.
      this.#pending = before.pending;
      this.#nextSeq = before.nextSeq;
      this.#counters.clear();
      for (const [name, value] of before.counters) this.#counters.set(name, value);
      if (!this.#closing) this.#flushSoon(Math.max(this.#commit.flushDelayMs, FLUSH_RETRY_MS));
      throw error;
    }
    this.#waiting = [];
    this.#acknowledgedOnDisk = 0;
    this.#countersChanged = false;
    this.#checkpoints.committed();
    this.#unnoticedLoss = 0;
    this.#writeFailure = null;
  }

  /** The oldest events, in seq order, at most `limit` of them and about `maxBytes` of JSON. */
  nextBatch(limit: number, maxBytes = 512 * 1024): AgentEvent[] {
    // The uploader must see every event emitted so far, and only ones that are on disk. When
    // the disk is full, what is already on disk still goes: sending it frees the room.
    this.#tryFlush();
    const rows = this.#db
      .prepare('SELECT seq, body FROM events WHERE seq > ? ORDER BY seq LIMIT ?')
      .all(this.#acknowledgedThrough, limit) as {
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

  /**
   * The manager stored (or already had) every event up to `throughSeq`: they are never handed
   * out again. They are deleted now, or, when the disk refuses even that (the DELETE runs, its
   * COMMIT finds no room in the write-ahead log), by the next commit that succeeds.
   */
  acknowledge(throughSeq: number): void {
    this.#inFlight = null;
    if (throughSeq <= this.#acknowledgedThrough) return;
    const newlyAcknowledged = (
      this.#db
        .prepare('SELECT COUNT(*) AS n FROM events WHERE seq > ? AND seq <= ?')
        .get(this.#acknowledgedThrough, throughSeq) as { n: number }
    ).n;
    this.#acknowledgedThrough = throughSeq;
    this.#acknowledgedOnDisk += newlyAcknowledged;
    try {
      // Counted only once the commit succeeded; a count taken inside would drift when it fails.
      this.#pending -= this.#db.transaction(() => this.#deleteAcknowledged())();
      this.#acknowledgedOnDisk = 0;
    } catch {
      // Left to the next commit, which deletes them first and reports the disk's state if it fails too.
      this.#flushSoon(FLUSH_RETRY_MS);
    }
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
      pendingEvents: this.#pending - this.#acknowledgedOnDisk + this.#waiting.length,
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

  /** flush(), but a failure is returned (and retried by the timer) rather than thrown; retried at most once a FLUSH_RETRY_MS. */
  #tryFlush(): string | undefined {
    const failure = this.#writeFailure;
    if (failure && Date.now() - failure.at < FLUSH_RETRY_MS && this.#waiting.length >= this.#commit.maxBatchEvents)
      return failure.reason;
    try {
      this.flush();
      return undefined;
    } catch (error) {
      return (error as Error).message;
    }
  }

  /** Only inside a write transaction: deletes the acknowledged events and returns how many. */
  #deleteAcknowledged(): number {
    if (this.#acknowledgedOnDisk === 0) return 0;
    return this.#db.prepare('DELETE FROM events WHERE seq <= ?').run(this.#acknowledgedThrough).changes;
  }

  /** Events that could not be stored and that no source will offer again. */
  #lose(count: number): void {
    this.#add('droppedTotal', count);
    this.#unnoticedLoss += count;
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
    this.#noticeDropped(dropped);
  }

  /** Only inside the flush transaction: raises the open notice's count by `dropped`, or appends a notice after the batch. */
  #noticeDropped(dropped: number): void {
    const open = this.#openNotice();
    if (open !== 0) {
      this.#notices.raise(open, dropped);
      return;
    }
    const seq = this.#nextSeq++;
    this.#notices.append(seq, dropped, this.#now().toISOString());
    this.#pending += 1;
    this.#set('openNoticeSeq', seq);
  }

  #openNotice(): number {
    return this.#notices.open(this.#get('openNoticeSeq'), this.#handedOutThrough);
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
