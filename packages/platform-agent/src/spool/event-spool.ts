import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  type AgentEvent,
  atLeast,
  describeIssues,
  NewEvent,
  PlatformEventTypes,
  parseWith,
  type Severity,
} from '@bulwark/protocol';
import Database from 'better-sqlite3';

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

type Counter = 'lastSeq' | 'droppedTotal' | 'clippedTotal' | 'invalidTotal' | 'openNoticeSeq';

const DEFAULT_LIMITS: SpoolLimits = { maxEvents: 100_000, minimumSeverity: 'info' };

/**
 * The agent's durable event spool. Every event is committed (and fsynced: WAL with
 * synchronous=FULL) before emit() returns, numbered from a counter kept in the same transaction,
 * so sequence numbers are monotonic across restarts and never reused even after the events
 * are deleted. Events leave the spool only when the manager acknowledged them.
 */
export class EventSpool {
  readonly #db: Database.Database;
  #limits: SpoolLimits;
  #pending: number;
  /** Highest seq ever handed to the uploader: a notice at or below it may already be on the manager. */
  #handedOutThrough = 0;
  /** Events of the batch being uploaded; overflow spares them, they are about to leave anyway. */
  #inFlight: { from: number; to: number } | null = null;
  readonly #now: () => Date;

  private constructor(db: Database.Database, limits: SpoolLimits, now: () => Date) {
    this.#db = db;
    this.#limits = limits;
    this.#now = now;
    this.#pending = (db.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n;
  }

  static open(path: string, limits: Partial<SpoolLimits> = {}, now: () => Date = () => new Date()): EventSpool {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec(`
      CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, body TEXT NOT NULL, notice INTEGER NOT NULL DEFAULT 0);
      CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
    `);
    return new EventSpool(db, { ...DEFAULT_LIMITS, ...limits }, now);
  }

  setLimits(limits: Partial<SpoolLimits>): void {
    this.#limits = { ...this.#limits, ...limits };
    this.#db.transaction(() => this.#enforceBound())();
  }

  get limits(): SpoolLimits {
    return this.#limits;
  }

  /** Validates, clips by severity, numbers and commits one event. */
  emit(event: NewEvent): EmitOutcome {
    const parsed = parseWith(NewEvent, event);
    if (!parsed.ok) {
      const reason = describeIssues(parsed.issues);
      this.#db.transaction(() => this.#add('invalidTotal', 1))();
      return { kind: 'invalid', reason };
    }
    if (!atLeast(parsed.value.severity, this.#limits.minimumSeverity)) {
      this.#db.transaction(() => this.#add('clippedTotal', 1))();
      return { kind: 'clipped' };
    }
    const seq = this.#db.transaction(() => {
      const seq = this.#append(parsed.value);
      this.#enforceBound();
      return seq;
    })();
    return { kind: 'spooled', seq };
  }

  /** The oldest events, in seq order, at most `limit` of them and about `maxBytes` of JSON. */
  nextBatch(limit: number, maxBytes = 512 * 1024): AgentEvent[] {
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
    this.#db.transaction(() => {
      const result = this.#db.prepare('DELETE FROM events WHERE seq = ?').run(seq);
      this.#pending -= result.changes;
      this.#add('invalidTotal', result.changes);
    })();
  }

  counters(): SpoolCounters {
    return {
      pendingEvents: this.#pending,
      droppedEvents: this.#get('droppedTotal'),
      clippedEvents: this.#get('clippedTotal'),
      invalidEvents: this.#get('invalidTotal'),
      lastSeq: this.#get('lastSeq'),
    };
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }

  #append(event: NewEvent, notice = false): number {
    const seq = this.#get('lastSeq') + 1;
    this.#set('lastSeq', seq);
    const { time, ...rest } = event;
    const numbered: AgentEvent = { ...rest, seq, time: time ?? this.#now().toISOString() };
    this.#db
      .prepare('INSERT INTO events (seq, body, notice) VALUES (?, ?, ?)')
      .run(seq, JSON.stringify(numbered), notice ? 1 : 0);
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
    const seq = this.#append(
      {
        module: 'agent',
        type: PlatformEventTypes.eventsDropped,
        severity: 'high',
        summary: `events dropped: ${dropped}`,
        details: { dropped },
      },
      true,
    );
    this.#set('openNoticeSeq', seq);
  }

  #openNotice(): number {
    const seq = this.#get('openNoticeSeq');
    if (seq === 0 || seq <= this.#handedOutThrough) return 0;
    const exists = this.#db.prepare('SELECT 1 FROM events WHERE seq = ?').get(seq);
    return exists ? seq : 0;
  }

  #get(name: Counter): number {
    const row = this.#db.prepare('SELECT value FROM counters WHERE name = ?').get(name) as
      | { value: number }
      | undefined;
    return row?.value ?? 0;
  }

  #set(name: Counter, value: number): void {
    this.#db
      .prepare(
        'INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value',
      )
      .run(name, value);
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
