import type { StoredEvent } from '../services/events.js';

/** A string in a listed event's details longer than this is cut (UTF-16 units). */
export const LISTED_STRING_MAX = 1_024;
/** Details still larger than this (JSON characters) after cutting strings are left out of the list. */
export const LISTED_DETAILS_MAX = 16_384;

const CUT_MARK = '…';

export interface ListedEvent extends StoredEvent {
  /** True when `details` was shortened for the list; GET /api/events/{id} and the export have it whole. */
  readonly truncated: boolean;
}

/**
 * An event as a list shows it: a page of 500 events stays a few megabytes however large their
 * details (an agent's log lines, a full log), so one agent's large events cannot make every
 * list slow or huge. Long strings are cut with a trailing "…"; details that stay too large are
 * replaced by a note. `truncated` says so; the event itself is unchanged in the store.
 */
export function listedEvent(event: StoredEvent): ListedEvent {
  if (event.details === null) return { ...event, truncated: false };
  let cut = false;
  const shorten = (value: unknown): unknown => {
    if (typeof value === 'string') {
      if (value.length <= LISTED_STRING_MAX) return value;
      cut = true;
      // Do not split a surrogate pair.
      let end = LISTED_STRING_MAX;
      const last = value.charCodeAt(end - 1);
      if (last >= 0xd800 && last <= 0xdbff) end--;
      return `${value.slice(0, end)}${CUT_MARK}`;
    }
    if (Array.isArray(value)) return value.map(shorten);
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shorten(v)]));
    }
    return value;
  };
  const details = shorten(event.details) as Record<string, unknown>;
  const size = JSON.stringify(details).length;
  if (size > LISTED_DETAILS_MAX) {
    return {
      ...event,
      details: { omitted: `details of ${size} characters; GET /api/events/${event.id} has them` },
      truncated: true,
    };
  }
  return { ...event, details, truncated: cut };
}
