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

test('wakeAndConfirm: true at once for a poll held here, or when another node answers; false when none does', async () => {
  // Two hubs joined by a relay standing in for PostgreSQL's NOTIFY (the real one: wake-relay-postgres.ts).
  const a = new WakeHub();
  const b = new WakeHub();
  a.relayTo((ids, request) => {
    const woken = b.wakeLocal(ids);
    if (request !== undefined && woken.length > 0) queueMicrotask(() => a.listening(request, woken));
  });
  const onB = b.wait('c1', 60_000);
  assert.equal(await a.wakeAndConfirm('c1', 60_000), true, 'node B holds the poll and says so');
  assert.equal(await onB, true);
  const onA = a.wait('c2', 60_000);
  assert.equal(await a.wakeAndConfirm('c2', 60_000), true);
  assert.equal(await onA, true);
  assert.equal(await a.wakeAndConfirm('c3', 10), false, 'nobody holds it: no answer, false at the deadline');
  // The wake is kept for the agent's next poll or heartbeat on either node.
  assert.equal(await b.wait('c3', 1), true);
  const alone = new WakeHub();
  assert.equal(await alone.wakeAndConfirm('c4', 60_000), false, 'no other node: no wait');
});
