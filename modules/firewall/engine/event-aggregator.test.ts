import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EventAggregator, type PacketRecord } from './event-aggregator.js';
import { packetEvent, reconEvent } from './firewall-events.js';

const record = (sourcePort: number, source = '192.0.2.1'): PacketRecord => ({
  reason: { kind: 'rule', index: 0 },
  rule: { id: 'no-ssh', name: 'No SSH' },
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
  const a = new EventAggregator(1000);
  a.add(record(5000), 0);
  a.add(record(5001), 10);
  const [aggregated] = a.flush(0, true);
  assert.ok(aggregated);
  const event = packetEvent(aggregated);
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
      timeSource: 'agent',
    },
  );
  const tap = packetEvent({ ...aggregated, first: { ...aggregated.first, verdict: 'would-drop' } });
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
  assert.equal(reconEvent(scan, { kind: 'blocked', seconds: 60 }).action, 'Block');
  assert.equal(reconEvent(scan, { kind: 'detect-only' }).action, 'Detect Only: Block');
  assert.equal(reconEvent({ ...scan, block: false }, { kind: 'logged' }).action, 'Log');
});

test('a recon event says blocked only when the source was blocked, and why not otherwise', () => {
  const scan = {
    kind: 'port-scan' as const,
    source: '10.0.0.9',
    family: 'ipv4' as const,
    block: true,
    count: 20,
    sample: [],
    timeMs: 0,
  };
  const blocked = reconEvent(scan, { kind: 'blocked', seconds: 90 });
  assert.match(blocked.summary, /; blocked for 90 s$/);
  assert.equal(blocked.details?.blockSeconds, 90);
  const spared = reconEvent(scan, { kind: 'not-blocked', reason: "it is this agent's manager" });
  assert.equal(spared.action, 'Log');
  assert.doesNotMatch(spared.summary, /blocked for/);
  assert.match(spared.summary, /not blocked: it is this agent's manager$/);
  assert.equal(spared.details?.blockSeconds, 0);
  assert.equal(spared.details?.notBlockedReason, "it is this agent's manager");
});

test('packets carry the kernel time: a late read does not move the event time; the window still closes on the agent clock', () => {
  const a = new EventAggregator(1000);
  // Read 30 s after the kernel logged them (an agent stalled by SIGSTOP, say).
  a.add({ ...record(1), kernelTimeMs: 1_000_000 }, 1_030_000);
  a.add({ ...record(2), kernelTimeMs: 1_000_400 }, 1_030_001);
  assert.deepEqual(a.flush(1_030_500), [], 'the window opened when the agent read the first packet');
  const [out] = a.flush(1_031_000);
  assert.ok(out);
  assert.deepEqual([out.firstMs, out.lastMs, out.timeSource, out.count], [1_000_000, 1_000_400, 'kernel', 2]);
  const event = packetEvent(out);
  assert.equal(event.time, new Date(1_000_000).toISOString());
  assert.equal(event.details?.lastSeen, new Date(1_000_400).toISOString());
  assert.equal(event.details?.timeSource, 'kernel');
});

test('the same index in two tables is two rules: they are never folded together, and each keeps its name', () => {
  const a = new EventAggregator(1000);
  a.add({ ...record(1), rule: { id: 'deny-all-in', name: 'Deny all incoming' } }, 0);
  a.add({ ...record(2), rule: { id: 'allow-8080', name: 'Allow 8080' } }, 1);
  a.add({ ...record(3), rule: { name: 'rule #0 of table abc, no longer known to the agent' } }, 2);
  const events = a.flush(0, true).map(packetEvent);
  assert.deepEqual(
    events.map((e) => [e.ruleId, e.details?.rule]),
    [
      ['deny-all-in', 'Deny all incoming'],
      ['allow-8080', 'Allow 8080'],
      [undefined, 'rule #0 of table abc, no longer known to the agent'],
    ],
  );
});
