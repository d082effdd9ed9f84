import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { nextCronTime, parseCron } from './cron.js';
import { nextScanAt, parseSchedule } from './schedule.js';

function next(expression: string, after: string): string | undefined {
  const r = parseCron(expression);
  assert.ok(r.ok, r.ok ? '' : r.message);
  return nextCronTime(r.cron, new Date(after))?.toISOString();
}

test('steps, ranges and lists', () => {
  assert.equal(next('*/15 * * * *', '2026-01-01T10:07:30Z'), '2026-01-01T10:15:00.000Z');
  assert.equal(next('0 2 * * *', '2026-01-01T02:00:00Z'), '2026-01-02T02:00:00.000Z');
  assert.equal(next('30 9-17/4 * * *', '2026-01-01T10:00:00Z'), '2026-01-01T13:30:00.000Z');
  assert.equal(next('0 0 1,15 * *', '2026-01-02T00:00:00Z'), '2026-01-15T00:00:00.000Z');
});

test('names, Sunday as 7, and macros', () => {
  assert.equal(next('0 3 * * sun', '2026-11-23T00:00:00Z'), '2026-11-29T03:00:00.000Z');
  assert.equal(next('0 3 * * 7', '2026-11-23T00:00:00Z'), '2026-11-29T03:00:00.000Z');
  assert.equal(next('0 0 1 feb *', '2026-03-01T00:00:00Z'), '2027-02-01T00:00:00.000Z');
  assert.equal(next('@hourly', '2026-01-01T10:59:59Z'), '2026-01-01T11:00:00.000Z');
});

test('day of month and day of week together match either (Vixie cron)', () => {
  // 2026-11-23 is a Monday; the 25th is a Wednesday.
  assert.equal(next('0 0 25 * mon', '2026-11-23T01:00:00Z'), '2026-11-25T00:00:00.000Z');
});

test('a schedule that never fires has no next time', () => {
  assert.equal(next('0 0 31 2 *', '2026-01-01T00:00:00Z'), undefined);
});

test('bad expressions are errors naming the field', () => {
  for (const [expression, fragment] of [
    ['* * * *', '5 fields'],
    ['60 * * * *', 'minute'],
    ['* 24 * * *', 'hour'],
    ['* * 0 * *', 'day of month'],
    ['* * * 13 *', 'month'],
    ['* * * * 8', 'day of week'],
    ['*/0 * * * *', 'step'],
    ['5-1 * * * *', 'reversed'],
    ['@sometimes', 'macro'],
  ] as const) {
    const r = parseCron(expression);
    assert.equal(r.ok, false, expression);
    if (!r.ok) assert.ok(r.message.includes(fragment), `${expression}: ${r.message}`);
  }
});

test('the next time always matches the expression and is after the start', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 59 }),
      fc.integer({ min: 0, max: 23 }),
      fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }),
      (minute, hour, after) => {
        const r = parseCron(`${minute} ${hour} * * *`);
        assert.ok(r.ok);
        const t = nextCronTime(r.cron, after)!;
        assert.ok(t.getTime() > after.getTime());
        assert.ok(t.getTime() - after.getTime() <= 24 * 3600 * 1000);
        assert.equal(t.getUTCMinutes(), minute);
        assert.equal(t.getUTCHours(), hour);
      },
    ),
  );
});

test('garbage never throws', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 40 }), (s) => {
      const r = parseCron(s);
      if (r.ok) nextCronTime(r.cron, new Date(0));
      else assert.ok(r.message.length > 0);
    }),
    { numRuns: 2000 },
  );
});

test('schedule setting: intervals, cron and off', () => {
  const interval = parseSchedule('every 30m');
  assert.ok(interval.ok && interval.schedule.kind === 'interval');
  assert.equal(nextScanAt(interval.schedule, 1_000, 5_000), 1_000 + 30 * 60_000);
  assert.equal(nextScanAt(interval.schedule, undefined, 5_000), 5_000 + 30 * 60_000);
  const off = parseSchedule('off');
  assert.ok(off.ok);
  assert.equal(nextScanAt(off.schedule, undefined, 0), undefined);
  const cron = parseSchedule('0 * * * *');
  assert.ok(cron.ok);
  assert.equal(
    nextScanAt(cron.schedule, undefined, Date.parse('2026-01-01T10:20:00Z')),
    Date.parse('2026-01-01T11:00:00Z'),
  );
  const bad = parseSchedule('every 10s');
  assert.equal(bad.ok, false);
  const tooShort = parseSchedule('every 0m');
  assert.equal(tooShort.ok, false);
});
