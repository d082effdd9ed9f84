/**
 * Five-field cron expressions (minute hour day-of-month month day-of-week), evaluated in UTC so a
 * schedule means the same on every host. Supports '*', lists, ranges, steps ('*\/15', '1-30/5'),
 * month and day names, 7 as Sunday, and @hourly @daily @midnight @weekly @monthly @yearly @annually.
 * As in Vixie cron, when both day fields are restricted a day matches if either matches.
 */
export interface CronSchedule {
  readonly source: string;
  readonly minutes: ReadonlySet<number>;
  readonly hours: ReadonlySet<number>;
  readonly daysOfMonth: ReadonlySet<number>;
  readonly months: ReadonlySet<number>;
  readonly daysOfWeek: ReadonlySet<number>;
  readonly dayOfMonthRestricted: boolean;
  readonly dayOfWeekRestricted: boolean;
}

export type CronResult =
  | { readonly ok: true; readonly cron: CronSchedule }
  | { readonly ok: false; readonly message: string };

const MACROS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

interface FieldSpec {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
  readonly namesStartAt?: number;
}
const FIELDS: readonly FieldSpec[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS, namesStartAt: 1 },
  { name: 'day of week', min: 0, max: 7, names: DAYS, namesStartAt: 0 },
];

export function parseCron(expression: string): CronResult {
  if (typeof expression !== 'string' || expression.length > 256)
    return { ok: false, message: 'a cron expression is a string of at most 256 characters' };
  const trimmed = expression.trim().toLowerCase();
  const expanded = Object.hasOwn(MACROS, trimmed) ? MACROS[trimmed]! : trimmed;
  if (expanded.startsWith('@')) return { ok: false, message: `unknown cron macro ${trimmed}` };
  const parts = expanded.split(/\s+/);
  if (parts.length !== 5)
    return {
      ok: false,
      message: `a cron expression has 5 fields (minute hour day-of-month month day-of-week), got ${parts.length}`,
    };
  const sets: Set<number>[] = [];
  for (let f = 0; f < 5; f++) {
    const parsed = parseField(parts[f]!, FIELDS[f]!);
    if (typeof parsed === 'string') return { ok: false, message: parsed };
    sets.push(parsed);
  }
  const dow = sets[4]!;
  if (dow.has(7)) {
    dow.delete(7);
    dow.add(0);
  }
  return {
    ok: true,
    cron: {
      source: expression,
      minutes: sets[0]!,
      hours: sets[1]!,
      daysOfMonth: sets[2]!,
      months: sets[3]!,
      daysOfWeek: dow,
      dayOfMonthRestricted: !parts[2]!.startsWith('*'),
      dayOfWeekRestricted: !parts[4]!.startsWith('*'),
    },
  };
}

function parseValue(text: string, spec: FieldSpec): number | undefined {
  if (/^\d{1,2}$/.test(text)) return Number(text);
  const index = spec.names?.indexOf(text) ?? -1;
  return index >= 0 ? index + (spec.namesStartAt ?? 0) : undefined;
}

function parseField(field: string, spec: FieldSpec): Set<number> | string {
  const out = new Set<number>();
  for (const item of field.split(',')) {
    const [rangePart, stepPart, extra] = item.split('/');
    if (extra !== undefined || rangePart === undefined || rangePart === '')
      return `${spec.name}: cannot read "${item}"`;
    let step = 1;
    if (stepPart !== undefined) {
      if (!/^\d{1,2}$/.test(stepPart) || Number(stepPart) === 0)
        return `${spec.name}: step "${stepPart}" must be a number from 1 to 99`;
      step = Number(stepPart);
    }
    let low: number;
    let high: number;
    if (rangePart === '*') {
      low = spec.min;
      high = spec.max;
    } else {
      const bounds = rangePart.split('-');
      if (bounds.length > 2) return `${spec.name}: cannot read range "${rangePart}"`;
      const a = parseValue(bounds[0]!, spec);
      const b = bounds.length === 2 ? parseValue(bounds[1]!, spec) : a;
      if (a === undefined || b === undefined) return `${spec.name}: "${rangePart}" is not a value`;
      if (a < spec.min || b > spec.max || a > spec.max || b < spec.min)
        return `${spec.name}: ${rangePart} is outside ${spec.min}-${spec.max}`;
      if (a > b) return `${spec.name}: range ${rangePart} is reversed`;
      low = a;
      high = stepPart !== undefined && bounds.length === 1 ? spec.max : b;
    }
    for (let v = low; v <= high; v += step) out.add(v);
  }
  return out;
}

function dayMatches(cron: CronSchedule, date: Date): boolean {
  const dom = cron.daysOfMonth.has(date.getUTCDate());
  const dow = cron.daysOfWeek.has(date.getUTCDay());
  if (cron.dayOfMonthRestricted && cron.dayOfWeekRestricted) return dom || dow;
  if (cron.dayOfMonthRestricted) return dom;
  if (cron.dayOfWeekRestricted) return dow;
  return true;
}

/**
 * The first minute strictly after `after` that the schedule selects, or undefined when there is
 * none within five years (e.g. "0 0 31 2 *", which never happens).
 */
export function nextCronTime(cron: CronSchedule, after: Date): Date | undefined {
  const t = new Date(after.getTime());
  t.setUTCSeconds(0, 0);
  t.setUTCMinutes(t.getUTCMinutes() + 1);
  const limit = after.getTime() + 5 * 366 * 24 * 3600 * 1000;
  while (t.getTime() <= limit) {
    if (!cron.months.has(t.getUTCMonth() + 1)) {
      t.setUTCMonth(t.getUTCMonth() + 1, 1);
      t.setUTCHours(0, 0, 0, 0);
      continue;
    }
    if (!dayMatches(cron, t)) {
      t.setUTCDate(t.getUTCDate() + 1);
      t.setUTCHours(0, 0, 0, 0);
      continue;
    }
    if (!cron.hours.has(t.getUTCHours())) {
      t.setUTCHours(t.getUTCHours() + 1, 0, 0, 0);
      continue;
    }
    if (!cron.minutes.has(t.getUTCMinutes())) {
      t.setUTCMinutes(t.getUTCMinutes() + 1, 0, 0);
      continue;
    }
    return t;
  }
  return undefined;
}
