import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EventAggregator, type PacketRecord } from './event-aggregator.js';
import { packetEvent, reconEvent } from './firewall-events.js';
import { configuration } from './test-fixtures.js';

const record = (sourcePort: number, source = '192.0.2.1'): PacketRecord => ({
  reason: { kind: 'rule', index: 0 },
  verdict: 'dropped',
  direction: 'incoming',
  interface: 'eth0',
  packet: {
    family: 'ipv4',
    protocol: 'tcp',
    source,
    destination: '10.0.0.1',
    sourcePort,
    destinationPort: 22,
    tcpFlags: 2,
    length: 60,
  },
});

test('a flood of one flow becomes one record with the count, once its window closes', () => {
  const a = new EventAggregator(5000);
  for (let i = 0; i < 100_000; i++) a.add(record(1024 + (i % 60000)), 1000 + (i % 4000));
  assert.deepEqual(a.flush(5999), []);
  const out = a.flush(6000);
  assert.equal(out.length, 1);
  assert.equal(out[0]?.count, 100_000);
  assert.equal(out[0]?.bytes, 6_000_000);
  assert.equal(a.pending, 0);
});

test('distinct sources stay distinct; past the key limit they share an overflow record', () => {
  const a = new EventAggregator(1000, 10);
  for (let i = 0; i < 50; i++) a.add(record(1, `192.0.2.${i}`), 0);
  const out = a.flush(0, true);
  assert.equal(out.length, 11);
  assert.equal(
    out.reduce((s, r) => s + r.count, 0),
    50,
  );
});

test('events carry rule, action, direction, addresses, ports, protocol, interface, size and repeat count', () => {
  const config = configuration([{ id: 'no-ssh', name: 'No SSH' }]);
  const a = new EventAggregator(1000);
  a.add(record(5000), 0);
  a.add(record(5001), 10);
  const [aggregated] = a.flush(0, true);
  assert.ok(aggregated);
  const event = packetEvent(aggregated, config);
  assert.equal(event.ruleId, 'no-ssh');
  assert.equal(event.action, 'Deny');
  assert.deepEqual(
    { ...event.details, firstSeen: undefined, lastSeen: undefined },
    {
      rule: 'No SSH',
      reason: 'rule',
      direction: 'incoming',
      interface: 'eth0',
      protocol: 'tcp',
      source: '192.0.2.1',
      destination: '10.0.0.1',
      sourcePort: 5000,
      destinationPort: 22,
      packetSize: 60,
      repeatCount: 2,
      bytes: 120,
      firstSeen: undefined,
      lastSeen: undefined,
    },
  );
  const tap = packetEvent({ ...aggregated, first: { ...aggregated.first, verdict: 'would-drop' } }, config);
  assert.equal(tap.action, 'Detect Only: Deny');
  const scan = {
    kind: 'port-scan' as const,
    source: '192.0.2.1',
    family: 'ipv4' as const,
    block: true,
    count: 20,
    sample: [],
    timeMs: 0,
  };
  assert.equal(reconEvent(scan, 'inline', 60).action, 'Block');
  assert.equal(reconEvent(scan, 'tap', 60).action, 'Detect Only: Block');
  assert.equal(reconEvent({ ...scan, block: false }, 'inline', 60).action, 'Log');
});
