import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WakeHub } from './wake-hub.js';

test('a wake answers an open poll with true', async () => {
  const hub = new WakeHub();
  const poll = hub.wait('c1', 60_000);
  assert.equal(hub.waiting('c1'), 1);
  hub.wake(['c1']);
  assert.equal(await poll, true);
  assert.equal(hub.waiting('c1'), 0);
});

test('a wake for another computer leaves the poll open', async () => {
  const hub = new WakeHub();
  const controller = new AbortController();
  const poll = hub.wait('c1', 60_000, controller.signal);
  hub.wake(['c2']);
  assert.equal(hub.waiting('c1'), 1);
  controller.abort();
  assert.equal(await poll, false);
  assert.equal(hub.waiting('c1'), 0);
});

test('a wake between polls is kept for the next poll, once', async () => {
  const hub = new WakeHub();
  hub.wake(['c1']);
  assert.equal(await hub.wait('c1', 60_000), true);
  const controller = new AbortController();
  const second = hub.wait('c1', 60_000, controller.signal);
  assert.equal(hub.waiting('c1'), 1);
  controller.abort();
  assert.equal(await second, false);
});

test('a heartbeat serves a pending wake', async () => {
  const hub = new WakeHub();
  hub.wake(['c1']);
  hub.served('c1');
  const poll = hub.wait('c1', 1);
  assert.equal(await poll, false);
});

test('the poll times out with false', async () => {
  const hub = new WakeHub();
  assert.equal(await hub.wait('c1', 5), false);
});

test('closing answers every open poll and refuses new ones', async () => {
  const hub = new WakeHub();
  const polls = [hub.wait('a', 60_000), hub.wait('a', 60_000), hub.wait('b', 60_000)];
  hub.close();
  assert.deepEqual(await Promise.all(polls), [false, false, false]);
  assert.equal(await hub.wait('a', 60_000), false);
});
