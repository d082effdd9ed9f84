import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LoginThrottle } from './login-throttle.js';

const limits = { address: { maxFailures: 3, windowMs: 60_000 }, account: { maxFailures: 5, windowMs: 120_000 } };

function fail(throttle: LoginThrottle, address: string, user: string): void {
  const admission = throttle.admit(address, user);
  assert.ok(admission.admitted, `${address} ${user} should be admitted`);
  admission.attempt.failed();
}

test('an address is held back after too many failures, until its window passes', () => {
  let now = 1_000_000;
  const throttle = new LoginThrottle({ ...limits, now: () => now });
  for (let i = 0; i < 3; i++) fail(throttle, '10.0.0.1', `user${i}`);
  const held = throttle.admit('10.0.0.1', 'other');
  assert.deepEqual(held, { admitted: false, retryAfterSeconds: 60 });
  assert.ok(throttle.admit('10.0.0.2', 'other').admitted, 'other addresses are not affected');
  now += 30_000;
  assert.deepEqual(throttle.admit('10.0.0.1', 'x'), { admitted: false, retryAfterSeconds: 30 });
  now += 30_001;
  assert.ok(throttle.admit('10.0.0.1', 'x').admitted);
});

test('an account is held back after too many failures from any addresses', () => {
  const throttle = new LoginThrottle({ ...limits, now: () => 5 });
  for (let i = 0; i < 5; i++) fail(throttle, `10.0.0.${i}`, 'Admin');
  const held = throttle.admit('10.9.9.9', 'admin');
  assert.equal(held.admitted, false, 'the account key ignores case');
  assert.ok(throttle.admit('10.9.9.9', 'bob').admitted, 'other accounts are not affected');
});

test('attempts in flight count at once: of many started together, only the limit are admitted', () => {
  const throttle = new LoginThrottle({ ...limits, now: () => 5 });
  const admitted = Array.from({ length: 100 }, () => throttle.admit('10.0.0.1', 'admin')).filter((a) => a.admitted);
  assert.equal(admitted.length, 3);
});

test('a successful sign-in takes its attempt back and clears the address and the account', () => {
  const throttle = new LoginThrottle({ ...limits, now: () => 5 });
  fail(throttle, 'a', 'u');
  fail(throttle, 'a', 'u');
  const third = throttle.admit('a', 'u');
  assert.ok(third.admitted);
  assert.equal(throttle.admit('a', 'u').admitted, false, 'the attempt in flight counts');
  third.attempt.succeeded();
  for (let i = 0; i < 3; i++) fail(throttle, 'a', 'u');
  assert.equal(throttle.admit('a', 'u').admitted, false);
});
