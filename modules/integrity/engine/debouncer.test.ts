import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Debouncer } from './debouncer.js';

test('a burst of writes to one file gives one check after it goes quiet', () => {
  const d = new Debouncer({ quietMs: 50, maxDelayMs: 1000, maxPending: 10 });
  for (let t = 0; t < 40; t += 1) d.note('/f', t);
  assert.deepEqual(d.takeDue(60), []);
  assert.equal(d.nextDueAt(), 89);
  assert.deepEqual(d.takeDue(89), ['/f']);
  assert.equal(d.pending, 0);
  assert.equal(d.nextDueAt(), undefined);
});

test('a file written in an endless loop is still checked every maxDelay', () => {
  const d = new Debouncer({ quietMs: 50, maxDelayMs: 200, maxPending: 10 });
  const checks: number[] = [];
  for (let t = 0; t < 1000; t += 10) {
    d.note('/loop', t);
    if (d.takeDue(t).length > 0) checks.push(t);
  }
  assert.deepEqual(checks, [200, 410, 620, 830]);
});

test('too many pending keys are dropped and counted', () => {
  const d = new Debouncer({ quietMs: 10, maxDelayMs: 100, maxPending: 2 });
  assert.equal(d.note('/a', 0), true);
  assert.equal(d.note('/b', 0), true);
  assert.equal(d.note('/c', 0), false);
  assert.equal(d.note('/a', 1), true);
  assert.equal(d.takeOverflow(), 1);
  assert.equal(d.takeOverflow(), 0);
  assert.deepEqual(d.takeDue(20).sort(), ['/a', '/b']);
});
