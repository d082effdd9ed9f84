/**
 * Events from real NFLOG traffic tell what happened (issue 10, items 9 and 10). The agent is frozen
 * (SIGSTOP) while a packet is dropped, and resumed together with a new configuration that puts
 * another rule at the dropping rule's position: the event must name the rule that dropped the
 * packet, and carry the time the kernel logged it, not the time the agent read it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { moduleConfiguration, platform, quiet } from './configurations.js';
import { A_B, type AgentWorker, type Lab, nflogSkipReason, startWorkerLab } from './firewall-lab.js';

const skip = nflogSkipReason(['nft', 'nc', 'ip']);

type Event = { action?: string; ruleId?: string; type: string; time: string; details?: Record<string, unknown> };

describe('firewall events name the rule and the time of the drop', { skip }, () => {
  let lab: Lab;
  let worker: AgentWorker;
  let close: (() => Promise<void>) | undefined;

  before(async () => {
    ({ lab, worker, close } = await startWorkerLab([8080]));
  });
  after(() => close?.());

  test('a drop read after a change names the rule of the table that dropped it, at the kernel time', async () => {
    const denyAll = { id: 'deny-all-in', name: 'Deny all incoming', action: 'deny' as const, protocol: 'tcp' as const };
    const first = await worker.apply({ configuration: moduleConfiguration([denyAll], quiet), platform: platform() });
    assert.equal((first.status as { state: string }).state, 'on', JSON.stringify(first.status));
    // The change puts allow-8080 (above the deny) first in the rule list, where deny-all-in was.
    const changed = moduleConfiguration(
      [
        {
          id: 'allow-8080',
          name: 'Allow 8080',
          action: 'allow',
          priority: 1,
          protocol: 'tcp',
          destinationPorts: { ports: [8080] },
        },
        denyAll,
      ],
      quiet,
    );
    worker.signal('SIGSTOP');
    let resumedAt = 0;
    const sentAt = Date.now();
    try {
      // Dropped by deny-all-in while the agent cannot read anything (nc gives up after 1 s).
      assert.equal(lab.connects(lab.b, A_B, 8080), false);
    } finally {
      const applied = worker.apply({ configuration: changed, platform: platform() });
      resumedAt = Date.now();
      worker.signal('SIGCONT');
      await applied;
    }
    assert.ok(resumedAt - sentAt >= 900, 'the agent was frozen while the packet was dropped');
    assert.ok(lab.connects(lab.b, A_B, 8080), 'the new table is in force: 8080 is allowed now');
    const line = await worker.waitFor((l) => (l.event as Event | undefined)?.type === 'packet');
    const event = line.event as Event;
    assert.equal(event.ruleId, 'deny-all-in', JSON.stringify(event));
    assert.equal(event.details?.rule, 'Deny all incoming');
    assert.equal(event.details?.timeSource, 'kernel');
    const time = Date.parse(event.time);
    assert.ok(
      time >= sentAt - 1000 && time < resumedAt - 500,
      `event time ${event.time} is the drop's, not the read's`,
    );
  });

  test('a deny rule in detect mode lets the connection through and reports Detect Only: Deny', async () => {
    const rules = [
      {
        id: 'watch-8080',
        name: 'Watch 8080',
        action: 'deny' as const,
        mode: 'detect' as const,
        protocol: 'tcp' as const,
        destinationPorts: { ports: [8080] },
      },
    ];
    const applied = await worker.apply({ configuration: moduleConfiguration(rules, quiet), platform: platform() });
    assert.equal((applied.status as { state: string }).state, 'on', JSON.stringify(applied.status));
    assert.ok(lab.connects(lab.b, A_B, 8080), 'inline mode, but the rule only detects');
    const line = await worker.waitFor((l) => (l.event as Event | undefined)?.ruleId === 'watch-8080');
    assert.equal((line.event as Event).action, 'Detect Only: Deny');
  });
});
