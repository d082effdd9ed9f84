/**
 * A scan from the manager's own address (issue 10, item 10): the firewall never blocks the manager
 * the agent reports to, and its event must say so instead of "blocked for N s".
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { moduleConfiguration, platform } from './configurations.js';
import { A_C, type AgentWorker, C, createLab, type Lab, nflogSkipReason, startAgentWorker } from './firewall-lab.js';

const skip = nflogSkipReason(['nft', 'nc', 'ip', 'nmap']);

type Event = { type: string; action?: string; summary: string; details?: Record<string, unknown> };

describe("a port scan from the manager's address", { skip }, () => {
  let lab: Lab;
  let worker: AgentWorker;

  before(() => {
    lab = createLab();
    // "c" is where the agent's manager lives.
    worker = startAgentWorker(lab.a, undefined, `https://${C}:4120`);
  });
  after(async () => {
    await worker?.stop();
    lab?.destroy();
  });

  test('is reported as not blocked, with the reason, and the manager keeps its access', async () => {
    const applied = await worker.apply({
      configuration: moduleConfiguration([], { blockPortScans: true, blockSeconds: 90 }),
      platform: platform(),
    });
    assert.equal((applied.status as { state: string }).state, 'on', JSON.stringify(applied.status));
    const scan = lab.exec(lab.c, 'nmap', ['-n', '-T4', '--max-retries', '1', '-sS', '-Pn', '-p', '1-200', A_C], 60_000);
    assert.equal(scan.code, 0, scan.stderr);
    const line = await worker.waitFor((l) => {
      const e = l.event as Event | undefined;
      return e?.type === 'reconnaissance' && e.details?.source === C;
    });
    const event = line.event as Event;
    assert.equal(event.action, 'Log');
    assert.doesNotMatch(event.summary, /blocked for/);
    assert.match(event.summary, /not blocked: it is this agent's manager/);
    assert.equal(event.details?.blockSeconds, 0);
    assert.equal(lab.exec(lab.a, 'nft', ['list', 'set', 'inet', 'bulwark', 'blocked4']).stdout.includes(C), false);
  });
});
