/**
 * Rules against real traffic: namespaces joined by veth, the table applied inside namespace "a"
 * by the agent module (nft run through `ip netns exec`), connections made with nc.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { FirewallAgent, type NftRunner, namespaceNft, runCommand } from '@bulwark/module-firewall/agent';
import { moduleStateFileWriter } from '@bulwark/platform-agent';
import { moduleConfiguration, platform, quiet } from './configurations.js';
import { A_B, A_C, B, C, createLab, type Lab, listen, rootSkipReason, waitReady } from './firewall-lab.js';

const skip = rootSkipReason(['nft', 'nc', 'ip']);

describe('firewall rules in a network namespace', { skip }, () => {
  let lab: Lab;
  let listener: ChildProcess;
  let agent: FirewallAgent;
  let nftCalls: string[][] = [];
  let hostTablesBefore = '';

  before(async () => {
    hostTablesBefore = (await runCommand('nft', ['list', 'tables'])).stdout;
    lab = createLab();
    listener = listen(lab.a, [22, 80, 8080, 9000]);
    await waitReady(listener);
    const inner = namespaceNft(lab.a);
    const nft: NftRunner = (args, input) => {
      nftCalls.push([...args]);
      return inner(args, input);
    };
    const context = {
      dataDir: '/nonexistent',
      log: { info() {}, warn() {}, error() {} },
      emit() {},
      reportInventory() {},
      writeStateFile: moduleStateFileWriter('/nonexistent'),
    };
    // No packet log here: these tests look at verdicts; the event tests run the agent inside the namespace.
    agent = new FirewallAgent(context, { nft, openPacketLog: () => ({ available: false, reason: 'not needed here' }) });
  });

  after(async () => {
    await agent?.stop();
    listener?.kill();
    lab?.destroy();
  });

  const apply = async (...args: Parameters<typeof moduleConfiguration>) => {
    await agent.apply(moduleConfiguration(...args), platform());
    assert.equal(agent.status().state, 'on', JSON.stringify(agent.status()));
  };

  test('with no rules everything connects', async () => {
    await apply([], quiet);
    assert.ok(lab.connects(lab.b, A_B, 80));
    assert.ok(lab.connects(lab.c, A_C, 8080));
  });

  test('a deny rule drops its port and nothing else', async () => {
    await apply([{ id: 'deny-8080', action: 'deny', protocol: 'tcp', destinationPorts: { ports: [8080] } }], quiet);
    assert.equal(lab.connects(lab.b, A_B, 8080), false);
    assert.ok(lab.connects(lab.b, A_B, 80));
  });

  test('a deny by source address (CIDR) drops that source only', async () => {
    await apply([{ id: 'deny-c', action: 'deny', source: { addresses: ['10.77.2.0/24'] } }], quiet);
    assert.equal(lab.connects(lab.c, A_C, 80), false);
    assert.ok(lab.connects(lab.b, A_B, 80));
  });

  test('an allow rule turns on implicit deny for its direction', async () => {
    await apply([{ id: 'allow-22', action: 'allow', protocol: 'tcp', destinationPorts: { ports: [22] } }], quiet);
    assert.ok(lab.connects(lab.b, A_B, 22));
    assert.equal(lab.connects(lab.b, A_B, 80), false);
  });

  test('an allow rule with a reusable IP list lets listed sources in and no other', async () => {
    await apply(
      [
        {
          id: 'ssh',
          action: 'allow',
          protocol: 'tcp',
          source: { ipLists: ['admins'] },
          destinationPorts: { portLists: ['ssh-ports'] },
        },
      ],
      {
        ...quiet,
        lists: {
          ipLists: [{ id: 'admins', name: 'Administrators', addresses: [B, '192.0.2.0/24'] }],
          macLists: [],
          portLists: [{ id: 'ssh-ports', name: 'SSH', ports: [22, '9000-9001'] }],
        },
      },
    );
    assert.ok(lab.connects(lab.b, A_B, 22));
    assert.ok(lab.connects(lab.b, A_B, 9000));
    assert.equal(lab.connects(lab.c, A_C, 22), false);
  });

  test('higher priority wins: allow at 3 beats deny at 2', async () => {
    await apply(
      [
        { id: 'deny-80', action: 'deny', priority: 2, protocol: 'tcp', destinationPorts: { ports: [80] } },
        {
          id: 'allow-80-b',
          action: 'allow',
          priority: 3,
          protocol: 'tcp',
          source: { addresses: [B] },
          destinationPorts: { ports: [80] },
        },
        { id: 'allow-rest', action: 'allow', priority: 0, protocol: 'tcp' },
      ],
      quiet,
    );
    assert.ok(lab.connects(lab.b, A_B, 80));
    assert.equal(lab.connects(lab.c, A_C, 80), false);
  });

  test('at equal priority deny beats allow', async () => {
    await apply(
      [
        { id: 'allow-80', action: 'allow', priority: 2, protocol: 'tcp', destinationPorts: { ports: [80] } },
        { id: 'deny-80', action: 'deny', priority: 2, protocol: 'tcp', destinationPorts: { ports: [80] } },
      ],
      quiet,
    );
    assert.equal(lab.connects(lab.b, A_B, 80), false);
  });

  test('at equal priority force-allow beats deny; a higher-priority deny beats force-allow', async () => {
    await apply(
      [
        { id: 'deny-all-tcp', action: 'deny', priority: 2, protocol: 'tcp' },
        { id: 'force-80', action: 'force-allow', priority: 2, protocol: 'tcp', destinationPorts: { ports: [80] } },
        { id: 'deny-c', action: 'deny', priority: 3, source: { addresses: [C] } },
      ],
      quiet,
    );
    assert.ok(lab.connects(lab.b, A_B, 80), 'force-allow at the same priority as the deny');
    assert.equal(lab.connects(lab.b, A_B, 8080), false, 'the deny still covers other ports');
    assert.equal(lab.connects(lab.c, A_C, 80), false, 'deny at priority 3 beats force-allow at 2');
  });

  test('merged runs keep priorities: many allows at 3 over a deny at 2 over many allows at 1', async () => {
    const allows = (priority: number, from: number) =>
      Array.from({ length: 12 }, (_, i) => ({
        id: `allow-${priority}-${i}`,
        action: 'allow' as const,
        priority,
        protocol: 'tcp' as const,
        source: { addresses: [B] },
        destinationPorts: { ports: [from + i] },
      }));
    await apply(
      [
        ...allows(3, 75),
        { id: 'deny-b', action: 'deny', priority: 2, source: { addresses: [B] } },
        ...allows(1, 8075),
        { id: 'allow-c', action: 'allow', priority: 0, source: { addresses: [C] } },
      ],
      quiet,
    );
    assert.match(
      lab.exec(lab.a, 'nft', ['list', 'chain', 'inet', 'bulwark', 'input']).stdout,
      /ip saddr \. tcp dport @f\d+ accept/,
    );
    assert.ok(lab.connects(lab.b, A_B, 80), 'allowed at 3, above the deny');
    assert.equal(lab.connects(lab.b, A_B, 8080), false, 'allowed only at 1, below the deny');
    assert.ok(lab.connects(lab.c, A_C, 8080));
  });

  test('outgoing rules filter what the host opens', async () => {
    await apply(
      [
        {
          id: 'no-out-9000',
          action: 'deny',
          direction: 'outgoing',
          protocol: 'tcp',
          destinationPorts: { ports: [9000] },
        },
      ],
      quiet,
    );
    const server = listen(lab.b, [9000]);
    try {
      await waitReady(server);
      assert.equal(lab.connects(lab.a, B, 9000), false);
      assert.ok(lab.connects(lab.c, A_C, 9000), 'incoming 9000 is unaffected');
    } finally {
      server.kill();
    }
  });

  test('re-applying the same configuration changes nothing', async () => {
    const rules = [
      { id: 'deny-8080', action: 'deny' as const, protocol: 'tcp' as const, destinationPorts: { ports: [8080] } },
    ];
    await apply(rules, quiet);
    const before = lab.exec(lab.a, 'nft', ['list', 'ruleset']).stdout;
    nftCalls = [];
    await apply(rules, quiet);
    assert.deepEqual(
      nftCalls.filter((c) => c[0] === '-f'),
      [],
      'no ruleset was loaded the second time',
    );
    assert.equal(lab.exec(lab.a, 'nft', ['list', 'ruleset']).stdout, before);
  });

  test('a configuration that fails its schema is refused and the table in force stays', async () => {
    await apply([{ id: 'deny-8080', action: 'deny', protocol: 'tcp', destinationPorts: { ports: [8080] } }], quiet);
    const before = lab.exec(lab.a, 'nft', ['list', 'ruleset']).stdout;
    await agent.apply({ enabled: true, configuration: { rules: 'nonsense' } }, platform());
    assert.equal(agent.status().state, 'error');
    assert.match(agent.status().reason ?? '', /configuration refused/);
    assert.equal(lab.exec(lab.a, 'nft', ['list', 'ruleset']).stdout, before);
    assert.equal(lab.connects(lab.b, A_B, 8080), false);
  });

  test('other tables are left alone and disabling removes only ours', async () => {
    lab.exec(lab.a, 'nft', ['add', 'table', 'inet', 'someone_else']);
    lab.exec(lab.a, 'nft', ['add', 'chain', 'inet', 'someone_else', 'c']);
    await apply([{ id: 'deny-8080', action: 'deny', protocol: 'tcp', destinationPorts: { ports: [8080] } }], quiet);
    assert.match(lab.exec(lab.a, 'nft', ['list', 'tables']).stdout, /table inet someone_else/);
    await agent.apply({ enabled: false, configuration: null }, platform());
    assert.equal(agent.status().state, 'off');
    const tables = lab.exec(lab.a, 'nft', ['list', 'tables']).stdout;
    assert.doesNotMatch(tables, /bulwark/);
    assert.match(tables, /table inet someone_else/);
    assert.ok(lab.connects(lab.b, A_B, 8080));
    assert.equal(
      (await runCommand('nft', ['list', 'tables'])).stdout,
      hostTablesBefore,
      'the host ruleset is untouched',
    );
  });
});
