import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { PlatformSettings } from '@bulwark/protocol';
import { Value } from '@sinclair/typebox/value';
import { configuration } from '../engine/test-fixtures.js';
import type { NftRunner } from './command-runner.js';
import { FirewallAgent } from './firewall-agent.js';
import { unitContext } from './test-context.js';

const dir = mkdtempSync(join(tmpdir(), 'bwfw-rejected-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('rules the compiler rejected show in the status reason and counters, and clear when gone', async () => {
  let loaded = false;
  const nft: NftRunner = async (args) => {
    if (args[0] === '-f') loaded = true;
    return { code: 0, stdout: args[0] === 'list' && loaded ? 'table inet bulwark\n' : '', stderr: '' };
  };
  const agent = new FirewallAgent(unitContext(dir), {
    nft,
    openPacketLog: () => ({ available: false, reason: 'no log in unit tests' }),
  });
  const platform = Value.Create(PlatformSettings);
  const withRejected = {
    ...configuration([{ action: 'deny', protocol: 'tcp', destinationPorts: { ports: [23] } }]),
    rejected: [{ ruleId: 'allow-ssh', reason: '/source/ipLists/0: IP list "admins" does not exist' }],
  };
  await agent.apply({ enabled: true, configuration: withRejected }, platform);
  const status = agent.status();
  assert.equal(status.state, 'on');
  assert.match(status.reason ?? '', /1 rule not enforced: allow-ssh \(\/source\/ipLists\/0: IP list "admins"/);
  assert.equal(status.counters?.rejectedRules, 1);

  await agent.apply({ enabled: true, configuration: { ...withRejected, rejected: [] } }, platform);
  assert.doesNotMatch(agent.status().reason ?? '', /not enforced/);
  assert.equal(agent.status().counters?.rejectedRules, 0);
  await agent.stop();
});
