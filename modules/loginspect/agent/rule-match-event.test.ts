import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IsoTimes } from './rule-match-event.js';

test('IsoTimes gives toISOString for every time, repeated or not', () => {
  const times = new IsoTimes();
  for (const ms of [0, 0, 1_764_000_000_123, 1_764_000_000_123, 1_764_000_000_124, 0])
    assert.equal(times.of(ms), new Date(ms).toISOString());
  assert.throws(() => times.of(Number.NaN), RangeError, 'an invalid time still fails as toISOString does');
});
