/**
 * Events say what happened (issue 10, items 9 and 10): a logged packet is named after the rule of
 * the table that logged it, even when the configuration changed before the agent read it; it is
 * dated by the kernel's time, not the agent's reading time; a scan the agent did not block never
 * says it was blocked.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { type NewEvent, PlatformSettings } from '@bulwark/protocol';
import { Value } from '@sinclair/typebox/value';
import { configuration } from '../engine/test-fixtures.js';
import type { CommandResult, NftRunner } from './command-runner.js';
import { FirewallAgent } from './firewall-agent.js';
import type { LoggedPacket } from './packet-source.js';
import { unitContext } from './test-context.js';

const roots: string[] = [];
after(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

const platform = Value.Create(PlatformSettings);

/** A fake nft that keeps the scripts it loaded; `refuse` makes element additions fail. */
function fakeNft(refuse = false) {
  const scripts: string[] = [];
  let loaded = false;
  const nft: NftRunner = async (args, input): Promise<CommandResult> => {
    if (args[0] === '-f') {
      scripts.push(input ?? '');
      loaded = true;
    }
    if (args[0] === 'list') return { code: loaded ? 0 : 1, stdout: '', stderr: loaded ? '' : 'No such file' };
    if (args[0] === 'add' && refuse)
      return { code: 1, stdout: '', stderr: 'Error: Could not process rule: No such file or directory' };
    return { code: 0, stdout: '', stderr: '' };
  };
  return { nft, scripts };
}

function agentWith(nft: NftRunner, now: () => number, managerUrl?: string) {
  const events: NewEvent[] = [];
  const dataDir = mkdtempSync(join(tmpdir(), 'bwfw-truth-'));
  roots.push(dataDir);
  const agent = new FirewallAgent(
    unitContext(dataDir, { emit: (e) => events.push(e), ...(managerUrl ? { managerUrl } : {}) }),
    { nft, now, openPacketLog: () => ({ available: false, reason: 'no log in unit tests' }) },
  );
  return { agent, events };
}

/** Waits (with a deadline) until `check` holds: the agent emits a recon event once nft answered. */
async function until(check: () => boolean, what: string, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`${what} did not happen`);
    await new Promise((r) => setImmediate(r));
  }
}

/** An IPv4 TCP SYN from `source` to `port`, as NFLOG hands it over. */
function syn(prefix: string, source: string, port: number, timeMs = 0, hook = 1): LoggedPacket {
  const b = new Uint8Array(40);
  b.set([0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 6, 0, 0, ...source.split('.').map(Number), 10, 0, 0, 1]);
  b.set([0x9c, 0x40, port >> 8, port & 255], 20);
  b[33] = 0x02;
  return {
    prefix,
    hook,
    hwProtocol: 0x0800,
    mark: 0,
    inInterface: 0,
    outInterface: 0,
    payload: b,
    timeMs,
    uid: undefined,
    gid: undefined,
  };
}

/** The log prefix the loaded script gives the rule with this id (from its nft text). */
function prefixOf(script: string, what: RegExp): string {
  const m = new RegExp(`${what.source}[^\\n]*prefix "(bw\\|[^"]+)"`).exec(script);
  assert.ok(m?.[1], `no log prefix for ${what} in:\n${script}`);
  return m[1];
}

test('a packet dropped by deny-all-in and read after a change that put allow-8080 at its index is reported as deny-all-in', async () => {
  const fake = fakeNft();
  const { agent, events } = agentWith(fake.nft, () => 1_800_000_000_000);
  const before = configuration([{ id: 'deny-all-in', name: 'Deny all incoming', action: 'deny', protocol: 'tcp' }]);
  await agent.apply({ enabled: true, configuration: before }, platform);
  const dropped = prefixOf(fake.scripts[0] ?? '', /meta l4proto tcp log/);
  assert.match(dropped, /^bw\|[0-9a-f]{12}\|0\|d$/, 'the prefix carries the table version');
  // The next configuration has a different rule at index 0.
  const changed = configuration([
    { id: 'allow-8080', name: 'Allow 8080', action: 'allow', protocol: 'tcp', destinationPorts: { ports: [8080] } },
    { id: 'deny-all-in', name: 'Deny all incoming', action: 'deny', protocol: 'tcp' },
  ]);
  await agent.apply({ enabled: true, configuration: changed }, platform);
  assert.equal(fake.scripts.length, 2);
  agent.handlePackets([syn(dropped, '192.0.2.5', 8080)]);
  await agent.stop();
  const packet = events.filter((e) => e.type === 'packet');
  assert.equal(packet.length, 1);
  assert.equal(packet[0]?.ruleId, 'deny-all-in');
  assert.match(packet[0]?.summary ?? '', /by Deny all incoming$/);
});

test('a packet from a table the agent no longer knows names no rule rather than a wrong one', async () => {
  const fake = fakeNft();
  const { agent, events } = agentWith(fake.nft, () => 1_800_000_000_000);
  await agent.apply({ enabled: true, configuration: configuration([{ id: 'x', name: 'X' }]) }, platform);
  agent.handlePackets([syn('bw|0badc0ffee00|0|d', '192.0.2.5', 80)]);
  await agent.stop();
  const [event] = events;
  assert.equal(event?.ruleId, undefined);
  assert.match(String(event?.details?.rule), /table 0badc0ffee00, no longer known/);
});

test('events carry the kernel time of the packet, not the time the agent read it', async () => {
  const fake = fakeNft();
  const kernelTime = 1_800_000_000_000;
  // The agent reads the packet 30 s later, as after a SIGSTOP.
  const { agent, events } = agentWith(fake.nft, () => kernelTime + 30_000);
  await agent.apply(
    { enabled: true, configuration: configuration([{ id: 'd', name: 'D', protocol: 'tcp' }]) },
    platform,
  );
  const prefix = prefixOf(fake.scripts[0] ?? '', /meta l4proto tcp log/);
  agent.handlePackets([syn(prefix, '192.0.2.5', 80, kernelTime), syn(prefix, '192.0.2.6', 80, 0, 3)]);
  await agent.stop();
  const incoming = events.find((e) => e.details?.direction === 'incoming');
  assert.equal(incoming?.time, new Date(kernelTime).toISOString());
  assert.equal(incoming?.details?.timeSource, 'kernel');
  // The output hook gets no kernel time: the reading time stands in, and the event says so.
  const outgoing = events.find((e) => e.details?.direction === 'outgoing');
  assert.equal(outgoing?.time, new Date(kernelTime + 30_000).toISOString());
  assert.equal(outgoing?.details?.timeSource, 'agent');
});

const scanFrom = (source: string, kernelTime = 0) =>
  Array.from({ length: 40 }, (_, i) => syn('bw|r', source, 1000 + i, kernelTime));

test("a scan from the manager's address is reported as not blocked, with the reason", async () => {
  const fake = fakeNft();
  const { agent, events } = agentWith(fake.nft, () => 1_800_000_000_000, 'https://198.51.100.9:4120');
  await agent.apply(
    { enabled: true, configuration: configuration([], { blockPortScans: true, blockSeconds: 90 }) },
    platform,
  );
  agent.handlePackets(scanFrom('198.51.100.9'));
  await until(() => events.some((e) => e.type === 'reconnaissance'), 'the recon event');
  const [event] = events.filter((e) => e.type === 'reconnaissance');
  assert.equal(event?.action, 'Log');
  assert.doesNotMatch(event?.summary ?? '', /blocked for/);
  assert.match(event?.summary ?? '', /not blocked: it is this agent's manager/);
  assert.equal(event?.details?.blockSeconds, 0);
  assert.deepEqual(await agent.run('list-blocked', {}), []);
  await agent.stop();
});

test('a scanner nft refused to block is reported as not blocked; one it blocked, as blocked, at the kernel time', async () => {
  const refused = fakeNft(true);
  const one = agentWith(refused.nft, () => 1_800_000_000_000);
  await one.agent.apply(
    { enabled: true, configuration: configuration([], { blockPortScans: true, blockSeconds: 90 }) },
    platform,
  );
  one.agent.handlePackets(scanFrom('192.0.2.44'));
  await until(() => one.events.some((e) => e.type === 'reconnaissance'), 'the recon event');
  assert.match(one.events[0]?.summary ?? '', /not blocked: blocking failed: .*No such file/);
  assert.deepEqual(await one.agent.run('list-blocked', {}), []);
  await one.agent.stop();

  const kernelTime = 1_799_999_990_000;
  const two = agentWith(fakeNft().nft, () => 1_800_000_000_000);
  await two.agent.apply(
    { enabled: true, configuration: configuration([], { blockPortScans: true, blockSeconds: 90 }) },
    platform,
  );
  two.agent.handlePackets(scanFrom('192.0.2.45', kernelTime));
  await until(() => two.events.some((e) => e.type === 'reconnaissance'), 'the recon event');
  assert.equal(two.events[0]?.action, 'Block');
  assert.match(two.events[0]?.summary ?? '', /; blocked for 90 s$/);
  assert.equal(two.events[0]?.time, new Date(kernelTime).toISOString());
  await two.agent.stop();
});
