import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { backoffDelay, sleep } from './backoff.js';

describe('backoffDelay', () => {
  it('stays between 0 and min(cap, base * 2^attempt), spread by the jitter', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100 }),
        fc.double({ min: 0, max: 0.999_999, noNaN: true }),
        (attempt, r) => {
          const delay = backoffDelay(attempt, 1000, 60_000, () => r);
          assert.ok(delay >= 0 && delay <= Math.min(60_000, 1000 * 2 ** attempt));
        },
      ),
    );
    assert.equal(
      backoffDelay(3, 1000, 60_000, () => 0.5),
      4000,
    );
    assert.equal(
      backoffDelay(30, 1000, 60_000, () => 0.5),
      30_000,
    );
    assert.notEqual(
      backoffDelay(5, 1000, 60_000, () => 0.1),
      backoffDelay(5, 1000, 60_000, () => 0.9),
    );
  });
});

describe('sleep', () => {
  it('ends early, with false, when its signal aborts', async () => {
    const controller = new AbortController();
    const pending = sleep(60_000, controller.signal);
    controller.abort();
    assert.equal(await pending, false);
    assert.equal(await sleep(1), true);
  });
});
