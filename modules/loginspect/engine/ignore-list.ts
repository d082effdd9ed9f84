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
 * alert for an event whose values of its fields are in the list. Kept in memory, bounded (oldest
 * forgotten first, counted); unlike OSSEC's queue file it does not outlive the engine, so after
 * a restart the ignored alerts come back (none is lost).
 */
export class IgnoreList {
  readonly #keys = new Set<string>();
  readonly #max: number;
  forgotten = 0;

  constructor(max = 10_000) {
    this.#max = max;
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

  has(event: LogEvent, fields: readonly string[]): boolean {
    return this.#keys.has(IgnoreList.key(event, fields));
  }

  add(event: LogEvent, fields: readonly string[]): void {
    this.#keys.add(IgnoreList.key(event, fields));
    if (this.#keys.size > this.#max) {
      this.#keys.delete(this.#keys.values().next().value as string);
      this.forgotten++;
    }
  }
}
