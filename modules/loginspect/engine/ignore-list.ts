import { BoundedKeys } from './bounded-keys.js';
import { fieldValue, type LogEvent } from './event.js';

/** The fields an ignore key can hold, in the order OSSEC writes them (analysisd/fts.c). */
const KEY_FIELDS = ['name', 'id', 'dstuser', 'srcip', 'dstip', 'extra_data', 'system_name', 'location'] as const;

/** Canonical names of the fields `<ignore>` and `<check_if_ignored>` list; undefined for another. */
export function ignoreField(name: string): string | undefined {
  const n = name.trim().toLowerCase();
  const canonical = n === 'user' ? 'dstuser' : n === 'data' ? 'extra_data' : n === 'systemname' ? 'system_name' : n;
  return (KEY_FIELDS as readonly string[]).includes(canonical) ? canonical : undefined;
}

/**
 * OSSEC's ignore list: a rule with `<ignore>fields</ignore>` that raises an alert adds the event's
 * values of those fields; a rule with `<check_if_ignored>fields</check_if_ignored>` raises no
 * alert for an event whose values of its fields are in the list. Bounded (10,000 entries by
 * default, oldest forgotten first and counted). Like OSSEC's queue file the list outlives a
 * restart: the caller saves `entries()` when `changes` moved and gives them to the next engine.
 */
export class IgnoreList extends BoundedKeys {
  constructor(saved: Iterable<string> = [], max = 10_000) {
    super(saved, max);
  }

  static key(event: LogEvent, fields: readonly string[]): string {
    let key = '';
    for (const f of KEY_FIELDS) {
      const v = !fields.includes(f)
        ? ''
        : f === 'name'
          ? (event.decoder?.reportedName ?? '')
          : (fieldValue(event, f) ?? '');
      key += `${v} `;
    }
    return key;
  }

  ignores(event: LogEvent, fields: readonly string[]): boolean {
    return this.has(IgnoreList.key(event, fields));
  }

  ignore(event: LogEvent, fields: readonly string[]): void {
    this.add(IgnoreList.key(event, fields));
  }
}
