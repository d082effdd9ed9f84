import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LoginThrottle } from './login-throttle.js';

test('an address is held back after too many failures, until its window passes', () => {
  let now = 1_000_000;
  const throttle = new LoginThrottle(3, 60_000, () => now);
  for (let i = 0; i < 3; i++) {
    assert.equal(throttle.retryAfterSeconds('10.0.0.1'), 0);
    throttle.failed('10.0.0.1');
  }
  assert.equal(throttle.retryAfterSeconds('10.0.0.1'), 60);
  assert.equal(throttle.retryAfterSeconds('10.0.0.2'), 0, 'other addresses are not affected');
  now += 30_000;
  assert.equal(throttle.retryAfterSeconds('10.0.0.1'), 30);
  now += 30_001;
  assert.equal(throttle.retryAfterSeconds('10.0.0.1'), 0);
});

test('a successful login clears the address', () => {
  const throttle = new LoginThrottle(2, 60_000, () => 5);
  throttle.failed('a');
  throttle.failed('a');
  assert.ok(throttle.retryAfterSeconds('a') > 0);
  throttle.succeeded('a');
  assert.equal(throttle.retryAfterSeconds('a'), 0);
});
