/**
 * The `<time>` and `<weekday>` conditions of OSSEC rules. The clock is an input: the engine gets
 * the event time and a UTC offset, never reads the system clock.
 */

export interface ClockParts {
  /** Minutes since local midnight, 0–1439. */
  readonly minuteOfDay: number;
  /** 0 = Sunday … 6 = Saturday. */
  readonly weekday: number;
}

export function clockParts(timeMs: number, utcOffsetMinutes: number): ClockParts {
  const local = new Date(timeMs + utcOffsetMinutes * 60_000);
  return { minuteOfDay: local.getUTCHours() * 60 + local.getUTCMinutes(), weekday: local.getUTCDay() };
}

export type TimeRange = { readonly from: number; readonly to: number; readonly negate: boolean };

const CLOCK = /^(\d{1,2})(?::(\d{2}))?\s*(am|pm)?$/i;

function minutes(text: string): number | undefined {
  const m = CLOCK.exec(text.trim());
  if (!m) return undefined;
  let hour = Number(m[1]);
  const minute = m[2] ? Number(m[2]) : 0;
  const half = m[3]?.toLowerCase();
  if (half === 'pm' && hour < 12) hour += 12;
  if (half === 'am' && hour === 12) hour = 0;
  if (hour > 24 || minute > 59) return undefined;
  return hour * 60 + minute;
}

/** Parses "6 pm - 8:30 am", "18:00-08:30" or "!9 am - 5 pm". */
export function parseTimeRange(text: string): TimeRange | undefined {
  let body = text.trim();
  const negate = body.startsWith('!');
  if (negate) body = body.slice(1);
  const parts = body.split('-');
  if (parts.length !== 2) return undefined;
  const from = minutes(parts[0] as string);
  const to = minutes(parts[1] as string);
  if (from === undefined || to === undefined) return undefined;
  return { from, to, negate };
}

export function inTimeRange(range: TimeRange, minuteOfDay: number): boolean {
  const inside =
    range.from <= range.to
      ? minuteOfDay >= range.from && minuteOfDay < range.to
      : minuteOfDay >= range.from || minuteOfDay < range.to;
  return inside !== range.negate;
}

const DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

function dayIndex(text: string): number | undefined {
  const t = text.trim().toLowerCase();
  if (t.length < 3) return undefined;
  const i = DAYS.findIndex((d) => d.startsWith(t) || t.startsWith(d.slice(0, 3)));
  return i === -1 ? undefined : i;
}

/** Parses "monday - friday", "weekdays", "weekends", "sat, sun" into a set of weekday numbers. */
export function parseWeekdays(text: string): ReadonlySet<number> | undefined {
  const days = new Set<number>();
  let body = text.trim().toLowerCase();
  const negate = body.startsWith('!');
  if (negate) body = body.slice(1);
  for (const part of body.split(',')) {
    const p = part.trim();
    if (p === 'weekdays') for (const d of [1, 2, 3, 4, 5]) days.add(d);
    else if (p === 'weekends') for (const d of [0, 6]) days.add(d);
    else if (p.includes('-')) {
      const [a, b] = p.split('-');
      const from = dayIndex(a ?? '');
      const to = dayIndex(b ?? '');
      if (from === undefined || to === undefined) return undefined;
      for (let d = from; ; d = (d + 1) % 7) {
        days.add(d);
        if (d === to) break;
      }
    } else {
      const d = dayIndex(p);
      if (d === undefined) return undefined;
      days.add(d);
    }
  }
  if (!negate) return days;
  const complement = new Set<number>();
  for (let d = 0; d < 7; d++) if (!days.has(d)) complement.add(d);
  return complement;
}
