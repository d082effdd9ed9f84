import { BoundedKeys } from './bounded-keys.js';
import { fieldValue, type LogEvent } from './event.js';

/**
 * OSSEC's first-time-seen list (analysisd/fts.c): a rule with `<if_fts/>` matches only the first
 * time its event's decoder name and the values of the decoder's `<fts>` fields occur together.
 * The caller passes the saved entries in and saves `entries()` when `changes` moved, so the list
 * outlives a restart. Bounded (100,000 entries by default): the oldest are forgotten and counted,
 * after which their values would be seen as new again.
 */
export class FirstTimeSeen extends BoundedKeys {
  /** Whether this is the first time; remembers it. An event whose decoder has no `<fts>` is never first. */
  firstTime(event: LogEvent): boolean {
    const decoder = event.decoder;
    if (decoder?.fts === undefined) return false;
    let key = decoder.reportedName;
    for (const f of decoder.fts) key += ` ${fieldValue(event, f) ?? ''}`;
    return this.add(key);
  }
}
