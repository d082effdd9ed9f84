import { fieldValue, type LogEvent } from './event.js';
import type { Rule } from './rule.js';

/**
 * Memory of recent events for frequency rules, keyed by what they count: `sid:<id>` (events a
 * rule generated, for if_matched_sid), `group:<name>` (if_matched_group) or `rule:<id>` (events
 * that reached a frequency rule of their own). Bounded twice: entries older than the longest
 * timeframe that reads a key are dropped, and no key holds more than `maxEntriesPerKey`.
 */
interface Entry {
  readonly time: number;
  readonly event: LogEvent;
  /** Level of the frequency rule that already counted this event; counted events do not count again. */
  matchedLevel: number;
}

export class CorrelationMemory {
  readonly #lists = new Map<string, Entry[]>();
  readonly #maxEntriesPerKey: number;

  constructor(maxEntriesPerKey: number) {
    this.#maxEntriesPerKey = maxEntriesPerKey;
  }

  record(key: string, event: LogEvent, keepSeconds: number): void {
    let list = this.#lists.get(key);
    if (!list) {
      list = [];
      this.#lists.set(key, list);
    }
    const oldest = event.time - keepSeconds * 1000;
    let drop = 0;
    while (drop < list.length && (list[drop] as Entry).time < oldest) drop++;
    if (list.length - drop >= this.#maxEntriesPerKey) drop = list.length - this.#maxEntriesPerKey + 1;
    if (drop > 0) list.splice(0, drop);
    list.push({ time: event.time, event, matchedLevel: -1 });
  }

  /** Total entries held, for tests and status. */
  size(): number {
    let n = 0;
    for (const l of this.#lists.values()) n += l.length;
    return n;
  }

  /**
   * True when, counting the current event, `rule.frequency` events under `key` fall within the
   * rule's timeframe and satisfy its same_/different_ conditions. The events used are marked so
   * they do not fire the rule again.
   */
  reached(key: string, rule: Rule, event: LogEvent): boolean {
    const needed = Math.max(rule.frequency - 1, 1);
    const list = this.#lists.get(key);
    if (!list) return false;
    const oldest = event.time - rule.timeframe * 1000;
    const counted: Entry[] = [];
    for (let i = list.length - 1; i >= 0; i--) {
      const e = list[i] as Entry;
      if (e.time < oldest) break;
      if (e.event === event) continue;
      if (!this.#related(rule, event, e.event)) continue;
      if (e.matchedLevel >= rule.level) return false;
      counted.push(e);
      if (counted.length >= needed) {
        for (const c of counted) c.matchedLevel = rule.level;
        return true;
      }
    }
    return false;
  }

  #related(rule: Rule, current: LogEvent, earlier: LogEvent): boolean {
    for (const f of rule.same) {
      const a = fieldValue(current, f);
      const b = fieldValue(earlier, f);
      if (a === undefined || b === undefined || a !== b) return false;
    }
    for (const f of rule.different) {
      const a = fieldValue(current, f);
      const b = fieldValue(earlier, f);
      if (a === undefined || b === undefined || a === b) return false;
    }
    return true;
  }
}
