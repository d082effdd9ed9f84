import type { LogEvent } from './event.js';

/** OSSEC's accumulator constants (analysisd/accumulator.c). */
const EXPIRE_MS = 120_000;
const MAX_VALUE = 80;
const FIELDS = ['dstuser', 'srcuser', 'dstip', 'srcip', 'dstport', 'srcport', 'extra_data'] as const;

interface Stored {
  time: number;
  readonly values: Map<string, string>;
}

/**
 * `<accumulate/>` decoders: events of one host, decoder and `id` (an LDAP connection, a mail
 * queue id) share their user, address, port and extra_data fields, as OSSEC's accumulator does:
 * a field the event lacks is taken from the earlier events of the same id seen in the last two
 * minutes (event time), and what the event has is remembered for the later ones. Bounded: the
 * oldest ids are forgotten first, and counted.
 */
export class Accumulator {
  readonly #store = new Map<string, Stored>();
  readonly #max: number;
  forgotten = 0;

  constructor(max = 10_000) {
    this.#max = max;
  }

  size(): number {
    return this.#store.size;
  }

  apply(event: LogEvent): void {
    const id = event.fields.get('id');
    const decoder = event.decoder;
    if (id === undefined || decoder === undefined) return;
    const key = `${event.hostname ?? ''} ${decoder.reportedName} ${id}`;
    let stored = this.#store.get(key);
    if (stored !== undefined && event.time - stored.time > EXPIRE_MS) {
      this.#store.delete(key);
      stored = undefined;
    }
    if (stored !== undefined) {
      for (const f of FIELDS) {
        const known = stored.values.get(f);
        if (known !== undefined && !event.fields.get(f)) event.fields.set(f, known);
      }
      // Refreshed: a Map keeps insertion order, so the least recently seen ids come first.
      this.#store.delete(key);
    } else {
      stored = { time: 0, values: new Map() };
    }
    stored.time = event.time;
    for (const f of FIELDS) {
      const v = event.fields.get(f);
      if (v && v.length <= MAX_VALUE && !stored.values.get(f)) stored.values.set(f, v);
    }
    this.#store.set(key, stored);
    if (this.#store.size > this.#max) {
      const oldest = this.#store.keys().next().value as string;
      this.#store.delete(oldest);
      this.forgotten++;
    }
  }
}
