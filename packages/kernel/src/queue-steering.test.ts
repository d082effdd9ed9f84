import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openPacketLog } from './packet-log.js';
import { openPacketQueue } from './packet-queue.js';
import { installQueueSteering, removeQueueSteering } from './queue-steering.js';

test('steering refuses bad options with a reason, before running anything', async () => {
  const cases = [
    [{ queue: 70000 }, /queue 70000 is not in 0\.\.65535/],
    [{ queue: 1, name: 'Bad Name;' }, /steering name/],
    [{ queue: 1, netns: 'x; rm -rf /' }, /netns/],
    [{ queue: 1, destinationPorts: [80] }, /need a protocol/],
    [{ queue: 1, protocol: 'tcp' as const, destinationPorts: [0] }, /1\.\.65535/],
  ] as const;
  for (const [options, reason] of cases) {
    const installed = await installQueueSteering(options);
    assert.equal(installed.ok, false);
    assert.match(installed.ok ? '' : installed.reason, reason);
    const removed = await removeQueueSteering(options);
    assert.equal(removed.ok, false);
  }
});

test('queue and group numbers out of range are reported, not thrown', () => {
  for (const queue of [-1, 65536, 1.5, Number.NaN]) {
    const q = openPacketQueue({ queue, onPackets() {} });
    assert.equal(q.available, false);
    assert.match(q.available ? '' : q.reason, /nfqueue: queue number|addon not/);
    const l = openPacketLog({ group: queue, onPackets() {} });
    assert.equal(l.available, false);
    assert.match(l.available ? '' : l.reason, /nflog: group|addon not/);
  }
});
