/**
 * Events from real traffic: the agent module runs inside namespace "a" (so its NFLOG
 * subscriptions see that namespace's packets), and clients in "b" and "c" make connections.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { moduleConfiguration, platform, quiet } from './configurations.js';
import { A_B, type AgentWorker, B, type Lab, nflogSkipReason, startWorkerLab } from './firewall-lab.js';

const skip = nflogSkipReason(['nft', 'nc', 'ip']);

type Event = { action?: string; ruleId?: string; type: string; summary: string; details?: Record<string, unknown> };
const events = (w: AgentWorker) => w.lines.filter((l) => 'event' in l).map((l) => l.event as Event);

describe('firewall events from NFLOG', { skip }, () => {
  let lab: Lab;
  let worker: AgentWorker;
  let close: (() => Promise<void>) | undefined;

  before(async () => {
    ({ lab, worker, close } = await startWorkerLab([80, 8080]));
  });

  after(() => close?.());

  const deny8080 = [
    {
      id: 'deny-8080',
      name: 'Deny 8080',
      action: 'deny' as const,
      protocol: 'tcp' as const,
      destinationPorts: { ports: [8080] },
    },
  ];

  test('inline: a denied connection is dropped and becomes one event with a repeat count', async () => {
    const applied = await worker.apply({
      configuration: moduleConfiguration(deny8080, quiet),
      platform: platform('inline'),
    });
    assert.deepEqual((applied.status as { state: string }).state, 'on', JSON.stringify(applied.status));
    assert.equal((applied.status as { reason?: string }).reason, undefined, 'events are available');
    assert.equal(lab.connects(lab.b, A_B, 8080), false);
    const line = await worker.waitFor((l) => (l.event as Event | undefined)?.ruleId === 'deny-8080');
    const event = line.event as Event;
    assert.equal(event.action, 'Deny');
    assert.equal(event.details?.source, B);
    assert.equal(event.details?.destination, A_B);
    assert.equal(event.details?.destinationPort, 8080);
    assert.equal(event.details?.protocol, 'tcp');
    assert.equal(event.details?.direction, 'incoming');
    assert.equal(event.details?.interface, 'veth-ab');
    assert.ok((event.details?.packetSize as number) >= 40);
    // nc retransmits its SYN while it waits: the retries are folded into the same event.
    assert.ok((event.details?.repeatCount as number) >= 1);
  });

  test('a deny merged with many others into one map still names its own rule', async () => {
    const many = Array.from({ length: 30 }, (_, i) => ({
      id: `deny-${7000 + i}`,
      name: `Deny ${7000 + i}`,
      action: 'deny' as const,
      protocol: 'tcp' as const,
      destinationPorts: { ports: [7000 + i] },
    }));
    many.push({
      id: 'deny-80-merged',
      name: 'Deny 80',
      action: 'deny',
      protocol: 'tcp',
      destinationPorts: { ports: [80] },
    });
    await worker.apply({ configuration: moduleConfiguration(many, quiet), platform: platform('inline') });
    assert.match(
      lab.exec(lab.a, 'nft', ['list', 'chain', 'inet', 'bulwark', 'input']).stdout,
      /meta mark set tcp dport map/,
    );
    assert.equal(lab.connects(lab.b, A_B, 80), false);
    assert.ok(lab.connects(lab.b, A_B, 8080), 'ports in no rule pass');
    const line = await worker.waitFor((l) => (l.event as Event | undefined)?.ruleId === 'deny-80-merged');
    assert.equal((line.event as Event).details?.destinationPort, 80);
    await worker.apply({ configuration: moduleConfiguration(deny8080, quiet), platform: platform('inline') });
  });

  test('a flood of denied packets becomes a handful of events, not one per packet', async () => {
    const before = events(worker).length;
    // 300 SYNs from fixed source port: one flow, many packets.
    const flood = lab.exec(
      lab.b,
      process.execPath,
      [
        '-e',
        `const net=require('node:net');let n=0;for(let i=0;i<300;i++){const s=net.connect({host:'${A_B}',port:8080});s.on('error',()=>{});setTimeout(()=>s.destroy(),300)}`,
      ],
      10_000,
    );
    assert.equal(flood.code, 0, flood.stderr);
    const flood8080 = () =>
      events(worker)
        .slice(before)
        .filter((e) => e.ruleId === 'deny-8080');
    const counted = () => flood8080().reduce((sum, e) => sum + (e.details?.repeatCount as number), 0);
    // The events come as the agent folds and flushes them: wait until they account for every SYN.
    const deadline = Date.now() + 30_000;
    while (counted() < 300 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const packets = counted();
    assert.ok(packets >= 300, `all ${packets} packets are counted (waited up to 30 s)`);
    assert.ok(flood8080().length <= 10, `${flood8080().length} events for ${packets} packets`);
  });

  test('tap: nothing is dropped, and the would-be drop is an event marked Detect Only', async () => {
    await worker.apply({ configuration: moduleConfiguration(deny8080, quiet), platform: platform('tap') });
    assert.ok(lab.connects(lab.b, A_B, 8080), 'the connection goes through in tap mode');
    const line = await worker.waitFor((l) => (l.event as Event | undefined)?.action === 'Detect Only: Deny');
    assert.equal((line.event as Event).ruleId, 'deny-8080');
  });

  test('log-only rules record traffic and let it through', async () => {
    await worker.apply({
      configuration: moduleConfiguration(
        [{ id: 'watch-80', name: 'Watch web', action: 'log-only', protocol: 'tcp', destinationPorts: { ports: [80] } }],
        quiet,
      ),
      platform: platform('inline'),
    });
    assert.ok(lab.connects(lab.b, A_B, 80));
    const line = await worker.waitFor((l) => (l.event as Event | undefined)?.ruleId === 'watch-80');
    assert.equal((line.event as Event).action, 'Log Only');
  });
});
