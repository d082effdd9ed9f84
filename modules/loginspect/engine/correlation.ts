import { fieldValue, type LogEvent } from './event.js';
import { LruMap } from './lru-map.js';
import type { Rule } from './rule.js';

/**
 * Memory of recent events for frequency rules. Each frequency rule keeps its own buckets, keyed
 * by the values of its same_* fields, so a rule reads only the events it could count (an attack
 * from thousands of addresses costs one lookup, not a scan). Bounded three ways: entries older
 * than the rule's timeframe are dropped, a bucket holds at most `maxEntriesPerKey` entries, and a
 * rule holds at most `maxBuckets` buckets (the least recently used go first).
 */
interface Entry {
  readonly time: number;
  /** Which event this is (record() numbers events), so the event itself need not be kept. */
  readonly serial: number;
  /** The event's values of the rule's different_* fields, the only fields read later. */
  readonly values: readonly (string | undefined)[] | undefined;
  /** Set once the rule fired on this event: counted events do not count again. */
  counted: boolean;
}

/**
 * A bucket's entries, oldest first, from `head` on. Entries leave at the front on almost every
 * record once a bucket is full or its oldest entry is out of the timeframe; `splice(0, n)` moved
 * the whole array each time (up to `maxEntriesPerKey` entries per event under a flood, a tenth of
 * the agent's CPU), so the front advances instead and the array is compacted now and then.
 */
interface Bucket {
  entries: Entry[];
  head: number;
}

const SEPARATOR = '\u0000';
/** The dead front is cut off once it is this long and at least half the array. */
const COMPACT_AT = 1024;
const newBucket = (): Bucket => ({ entries: [], head: 0 });

function bucketKey(rule: Rule, event: LogEvent): string | undefined {
  const same = rule.same;
  if (same.length === 0) return '';
  if (same.length === 1) return fieldValue(event, same[0] as string);
  let key = '';
  for (const f of same) {
    const v = fieldValue(event, f);
    if (v === undefined) return undefined;
    key += v + SEPARATOR;
  }
  return key;
}

export class CorrelationMemory {
  readonly #buckets = new Map<Rule, LruMap<Bucket>>();
  readonly #maxEntriesPerKey: number;
  readonly #maxBuckets: number;
  /**
   * The event being processed and its serial. Entries keep a serial and a few values rather than
   * the event: tens of thousands of remembered events, each with its log and field map, made every
   * young-generation collection copy them (a sixth of the engine's time went to the collector).
   */
  #current: LogEvent | undefined;
  #serial = 0;

  constructor(maxEntriesPerKey: number, maxBuckets = 10_000) {
    this.#maxEntriesPerKey = maxEntriesPerKey;
    this.#maxBuckets = maxBuckets;
  }

  /** Remembers `event` for each frequency rule that counts it. */
  record(readers: readonly Rule[], event: LogEvent): void {
    const serial = this.#serialOf(event);
    for (const rule of readers) {
      const key = bucketKey(rule, event);
      if (key === undefined) continue;
      let buckets = this.#buckets.get(rule);
      if (!buckets) {
        buckets = new LruMap(this.#maxBuckets);
        this.#buckets.set(rule, buckets);
      }
      const bucket = buckets.use(key, newBucket);
      const list = bucket.entries;
      const oldest = event.time - rule.timeframe * 1000;
      let head = bucket.head;
      while (head < list.length && (list[head] as Entry).time < oldest) head++;
      if (list.length - head >= this.#maxEntriesPerKey) head = list.length - this.#maxEntriesPerKey + 1;
      if (head === list.length) {
        list.length = 0;
        head = 0;
      } else if (head >= COMPACT_AT && head * 2 >= list.length) {
        list.copyWithin(0, head);
        list.length -= head;
        head = 0;
      }
      bucket.head = head;
      const values = rule.different.length > 0 ? rule.different.map((f) => fieldValue(event, f)) : undefined;
      list.push({ time: event.time, serial, values, counted: false });
    }
  }

  /** Events are processed one at a time: a new event object is the next serial. */
  #serialOf(event: LogEvent): number {
    if (event !== this.#current) {
      this.#current = event;
      this.#serial++;
    }
    return this.#serial;
  }

  /** Total entries held, for tests and status. */
  size(): number {
    let n = 0;
    for (const buckets of this.#buckets.values()) for (const b of buckets.values()) n += b.entries.length - b.head;
    return n;
  }

  /**
   * True when, counting the current event, `rule.frequency` events fall within the rule's
   * timeframe and satisfy its same_/different_ conditions. The events used are marked.
   */
  reached(rule: Rule, event: LogEvent): boolean {
    const key = bucketKey(rule, event);
    if (key === undefined) return false;
    const bucket = this.#buckets.get(rule)?.peek(key);
    if (!bucket) return false;
    const list = bucket.entries;
    const needed = Math.max(rule.frequency - 1, 1);
    const oldest = event.time - rule.timeframe * 1000;
    // An event never recorded has no entries; one that was is the current one.
    const self = event === this.#current ? this.#serial : -1;
    const counted: Entry[] = [];
    for (let i = list.length - 1; i >= bucket.head; i--) {
      const e = list[i] as Entry;
      if (e.time < oldest) break;
      if (e.serial === self) continue;
      if (rule.different.length > 0 && !this.#differs(rule, event, e.values)) continue;
      if (e.counted) return false;
      counted.push(e);
      if (counted.length >= needed) {
        for (const c of counted) c.counted = true;
        return true;
      }
    }
    return false;
  }

  #differs(rule: Rule, current: LogEvent, earlier: Entry['values']): boolean {
    const different = rule.different;
    for (let i = 0; i < different.length; i++) {
      const a = fieldValue(current, different[i] as string);
      const b = earlier?.[i];
      if (a === undefined || b === undefined || a === b) return false;
    }
    return true;
  }
}
