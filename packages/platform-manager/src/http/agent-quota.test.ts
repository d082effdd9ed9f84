import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AgentQuota } from './agent-quota.js';

const rates = { eventsPerSecond: 100, eventBurst: 1_000, bytesPerSecond: 10_000, byteBurst: 100_000 };

test('a computer uploads freely within its burst, then waits until the buckets refill', () => {
  let now = 0;
  const quota = new AgentQuota(rates, () => now);
  assert.equal(quota.retryAfterSeconds('a'), 0);
  quota.charge('a', 600, 1_000);
  assert.equal(quota.retryAfterSeconds('a'), 0, 'still within the burst');
  quota.charge('a', 900, 1_000);
  // 1,000 - 1,500 = -500 events: 501 events at 100/s is 5.01 s.
  assert.equal(quota.retryAfterSeconds('a'), 6);
  assert.equal(quota.retryAfterSeconds('b'), 0, 'another computer is not affected');
  now += 5_000;
  assert.equal(quota.retryAfterSeconds('a'), 1);
  now += 1_000;
  assert.equal(quota.retryAfterSeconds('a'), 0);
  assert.equal(quota.refused, 2);
});

test('bytes are a quota of their own', () => {
  let now = 0;
  const quota = new AgentQuota(rates, () => now);
  quota.charge('a', 1, 130_000);
  assert.equal(quota.retryAfterSeconds('a'), 4, '30,001 bytes at 10,000/s');
  now += 3_100;
  assert.equal(quota.retryAfterSeconds('a'), 0);
});

test('a bucket never holds more than its burst, however long the computer was quiet', () => {
  let now = 0;
  const quota = new AgentQuota(rates, () => now);
  quota.charge('a', 10, 10);
  now += 86_400_000;
  quota.charge('a', 1_000, 0);
  assert.ok(quota.retryAfterSeconds('a') >= 1, 'a day of quiet does not bank more than the burst');
});
