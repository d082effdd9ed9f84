import { nextCronTime, parseCron } from './cron.js';

export type Schedule =
  | { readonly kind: 'off' }
  | { readonly kind: 'interval'; readonly milliseconds: number }
  | { readonly kind: 'cron'; readonly next: (after: Date) => Date | undefined };

export type ScheduleResult =
  | { readonly ok: true; readonly schedule: Schedule }
  | { readonly ok: false; readonly message: string };

const MIN_INTERVAL_MS = 60_000;

/** Reads the `schedule` setting: "off", "every 30m", "every 6h", "every 1d", or a cron expression. */
export function parseSchedule(text: string): ScheduleResult {
  const trimmed = text.trim().toLowerCase();
  if (trimmed === 'off' || trimmed === '') return { ok: true, schedule: { kind: 'off' } };
  const every = /^every\s+(\d{1,6})\s*([mhd])$/.exec(trimmed);
  if (every) {
    const unit = every[2] === 'm' ? 60_000 : every[2] === 'h' ? 3_600_000 : 86_400_000;
    const milliseconds = Number(every[1]) * unit;
    if (milliseconds < MIN_INTERVAL_MS) return { ok: false, message: 'schedule: the shortest interval is 1 minute' };
    return { ok: true, schedule: { kind: 'interval', milliseconds } };
  }
  if (trimmed.startsWith('every'))
    return {
      ok: false,
      message: 'schedule: write an interval as "every <number>m", "every <number>h" or "every <number>d"',
    };
  const cron = parseCron(trimmed);
  if (!cron.ok) return { ok: false, message: `schedule: ${cron.message}` };
  return { ok: true, schedule: { kind: 'cron', next: (after) => nextCronTime(cron.cron, after) } };
}

/** When the next scheduled scan is due, given when the last one started (or undefined if never). */
export function nextScanAt(schedule: Schedule, lastScanAt: number | undefined, now: number): number | undefined {
  if (schedule.kind === 'off') return undefined;
  if (schedule.kind === 'interval') return Math.max(now, (lastScanAt ?? now) + schedule.milliseconds);
  return schedule.next(new Date(now))?.getTime();
}
