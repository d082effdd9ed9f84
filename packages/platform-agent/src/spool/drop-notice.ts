import { type AgentEvent, PlatformEventTypes } from '@bulwark/protocol';
import type Database from 'better-sqlite3';

/**
 * The `events-dropped` notices the spool writes when it loses events, as rows of its `events`
 * table marked `notice = 1` (never dropped themselves). Every method runs inside the spool's
 * commit transaction, so a notice goes to disk with the batch whose commit lost the events.
 */
export class DropNotices {
  readonly #insert: Database.Statement;
  readonly #select: Database.Statement;
  readonly #update: Database.Statement;

  constructor(db: Database.Database) {
    this.#insert = db.prepare('INSERT INTO events (seq, body, notice) VALUES (?, ?, 1)');
    this.#select = db.prepare('SELECT body FROM events WHERE seq = ?');
    this.#update = db.prepare('UPDATE events SET body = ? WHERE seq = ?');
  }

  /** `seq` if that notice is still on disk and was never handed to the uploader, else 0. */
  open(seq: number, handedOutThrough: number): number {
    if (seq === 0 || seq <= handedOutThrough) return 0;
    return this.#select.get(seq) ? seq : 0;
  }

  /** Raises the count an open notice carries by `dropped`. */
  raise(seq: number, dropped: number): void {
    const row = this.#select.get(seq) as { body: string };
    const notice = JSON.parse(row.body) as AgentEvent;
    const total = Number((notice.details as { dropped?: number } | undefined)?.dropped ?? 0) + dropped;
    const updated: AgentEvent = { ...notice, summary: `events dropped: ${total}`, details: { dropped: total } };
    this.#update.run(JSON.stringify(updated), seq);
  }

  /** Writes a new notice for `dropped` events at `seq`. */
  append(seq: number, dropped: number, time: string): void {
    const notice: AgentEvent = {
      module: 'agent',
      type: PlatformEventTypes.eventsDropped,
      severity: 'high',
      summary: `events dropped: ${dropped}`,
      details: { dropped },
      seq,
      time,
    };
    this.#insert.run(seq, JSON.stringify(notice));
  }
}
