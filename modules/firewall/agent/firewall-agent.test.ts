import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { type NewEvent, PlatformSettings } from '@bulwark/protocol';
import { Value } from '@sinclair/typebox/value';
import { configuration } from '../engine/test-fixtures.js';
import type { CommandResult, NftRunner } from './command-runner.js';
import { FirewallAgent, type FirewallAgentOptions, nftFailure } from './firewall-agent.js';
import { unitContext } from './test-context.js';

const roots: string[] = [];
after(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

/** An agent data dir laid out as the platform agent lays it out. */
function dataDir(): string {
  const root = mkdtempSync(join(tmpdir(), 'bwfw-unit-'));
  roots.push(root);
  const dir = join(root, 'modules', 'firewall');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** A fake nft that records what it was asked and keeps "the table" once a script loaded. */
function fakeNft(answer: (args: readonly string[]) => CommandResult | undefined = () => undefined) {
  const calls: { args: readonly string[]; input?: string }[] = [];
  let loaded = false;
  const nft: NftRunner = async (args, input) => {
    calls.push({ args, ...(input !== undefined ? { input } : {}) });
    const forced = answer(args);
    if (forced) return forced;
    if (args[0] === '-f') loaded = true;
    if (args[0] === 'list')
      return loaded
        ? { code: 0, stdout: '', stderr: '' }
        : { code: 1, stdout: '', stderr: 'No such file or directory' };
    return { code: 0, stdout: '', stderr: '' };
  };
  return { nft, calls, scripts: () => calls.filter((c) => c.args[0] === '-f').map((c) => c.input ?? '') };
}

/** Waits for a condition the agent reaches asynchronously (a block goes to nft after the event), with a deadline. */
async function eventually(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const blockedInNft = (calls: readonly { args: readonly string[] }[], address: string) =>
  calls.some((c) => c.args[0] === 'add' && c.args[1] === 'element' && c.args.join(' ').includes(address));

function agent(dir: string, nft: NftRunner, extra: Partial<FirewallAgentOptions> = {}, managerUrl?: string) {
  const events: NewEvent[] = [];
  const warnings: string[] = [];
  const context = unitContext(dir, {
    ...(managerUrl ? { managerUrl } : {}),
    log: { info() {}, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) },
    emit: (e) => events.push(e),
  });
  const a = new FirewallAgent(context, {
    nft,
    openPacketLog: () => ({ available: false, reason: 'no log in unit tests' }),
    ...extra,
  });
  return { agent: a, events, warnings };
}

const platform = Value.Create(PlatformSettings);
const enabled = (rules: Parameters<typeof configuration>[0], settings: Parameters<typeof configuration>[1] = {}) => ({
  enabled: true,
  configuration: configuration(rules, settings),
});

test('the same configuration applies once; a change compiles and loads one script', async () => {
  const fake = fakeNft();
  const { agent: a } = agent(dataDir(), fake.nft);
  const first = enabled([{ action: 'deny', protocol: 'tcp', destinationPorts: { ports: [23] } }]);
  await a.apply(first, platform);
  await a.apply(structuredClone(first), platform);
  assert.equal(fake.scripts().length, 1, 'the re-apply loaded nothing');
  assert.deepEqual(
    fake.calls.map((c) => c.args[0]),
    ['-f', 'list'],
    'the re-apply only looked that the table is still there',
  );
  await a.apply(enabled([{ action: 'deny', protocol: 'tcp', destinationPorts: { ports: [24] } }]), platform);
  assert.equal(fake.scripts().length, 2);
  assert.match(fake.scripts()[1] ?? '', /tcp dport 24/);
  assert.equal(a.status().state, 'on');
  await a.stop();
});

test('nft failures: no binary and no privilege are "unavailable", a refused ruleset is an "error"', async () => {
  assert.equal(nftFailure('firewall', 127, 'nft: spawn nft ENOENT').state, 'unavailable');
  const eperm = nftFailure('firewall', 1, 'netlink: Error: cache initialization failed: Operation not permitted');
  assert.equal(eperm.state, 'unavailable');
  assert.match(eperm.reason, /needs root/);
  assert.equal(nftFailure('firewall', 1, 'Error: syntax error, unexpected junk').state, 'error');
  const fake = fakeNft(() => ({
    code: 1,
    stdout: '',
    stderr: 'Error: Could not process rule: Operation not permitted',
  }));
  const { agent: a } = agent(dataDir(), fake.nft);
  await a.apply(enabled([]), platform);
  assert.equal(a.status().state, 'unavailable');
  assert.match(a.status().reason ?? '', /CAP_NET_ADMIN/);
  await a.apply({ enabled: false, configuration: null }, platform);
  assert.equal(a.status().state, 'off', 'disabling where nft cannot run is not an error');
});

test('blocks are saved with their end and restored at the next start; expired ones are not', async () => {
  const dir = dataDir();
  const now = 1_800_000_000_000;
  writeFileSync(
    join(dir, 'state.json'),
    JSON.stringify({
      blocks: [
        { address: '192.0.2.7', family: 'ipv4', untilMs: now + 90_000 },
        { address: '2001:db8::7', family: 'ipv6', untilMs: now + 30_000 },
        { address: '192.0.2.8', family: 'ipv4', untilMs: now - 1 },
      ],
      managerEndpoints: [],
    }),
  );
  const fake = fakeNft();
  const { agent: a } = agent(dir, fake.nft, { now: () => now });
  await a.apply(enabled([]), platform);
  const script = fake.scripts()[0] ?? '';
  assert.match(script, /set blocked4 \{[^}]*192\.0\.2\.7 timeout 90s/);
  assert.match(script, /set blocked6 \{[^}]*2001:db8::7 timeout 30s/);
  assert.doesNotMatch(script, /192\.0\.2\.8/);
  assert.deepEqual(
    ((await a.run('list-blocked', {})) as { address: string }[]).map((b) => b.address),
    ['192.0.2.7', '2001:db8::7'],
  );
  await a.run('unblock', { address: '192.0.2.7' });
  const saved = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as { blocks: { address: string }[] };
  assert.deepEqual(
    saved.blocks.map((b) => b.address),
    ['2001:db8::7'],
    'an unblock is saved too',
  );
  await a.stop();
});

/** An IPv4 TCP packet from `source` to port `port` with the given flags, as NFLOG hands it over. */
function tcpPacket(source: string, port: number, flags: number) {
  const b = new Uint8Array(40);
  b.set([0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 6, 0, 0, ...source.split('.').map(Number), 10, 0, 0, 1]);
  b.set([0x9c, 0x40, port >> 8, port & 255], 20);
  b[33] = flags;
  return {
    prefix: 'bw|r',
    hook: 1,
    hwProtocol: 0x0800,
    mark: 0,
    inInterface: 0,
    outInterface: 0,
    payload: b,
    timeMs: 0,
    uid: undefined,
    gid: undefined,
  };
}

test('a scanner blocked by one run of the agent is still blocked by the next', async () => {
  const dir = dataDir();
  let now = 1_800_000_000_000;
  const firstNft = fakeNft();
  const first = agent(dir, firstNft.nft, { now: () => now });
  await first.agent.apply(enabled([], { blockPortScans: true, blockSeconds: 600 }), platform);
  first.agent.handlePackets(Array.from({ length: 40 }, (_, i) => tcpPacket('198.51.100.4', 1000 + i, 0x02)));
  await eventually('the scanner blocked in nft', () => blockedInNft(firstNft.calls, '198.51.100.4'));
  // The event is told once the block's outcome is known (blocked or not, and why).
  await eventually('the scan reported', () => first.events.some((e) => e.type === 'reconnaissance'));
  assert.equal(first.events.filter((e) => e.type === 'reconnaissance').length, 1);
  await first.agent.stop();
  now += 60_000;
  const nft = fakeNft();
  const second = agent(dir, nft.nft, { now: () => now });
  await second.agent.apply(enabled([], { blockPortScans: true, blockSeconds: 600 }), platform);
  assert.match(nft.scripts()[0] ?? '', /198\.51\.100\.4 timeout 540s/);
  await second.agent.stop();
});

test('the manager the agent reports to is kept open, and is never blocked as a scanner', async () => {
  const dir = dataDir();
  const fake = fakeNft();
  const { agent: a, events } = agent(dir, fake.nft, {}, 'https://198.51.100.9:4120');
  await a.apply(enabled([], { blockPortScans: true }), platform);
  const script = fake.scripts()[0] ?? '';
  assert.match(script, /ip daddr 198\.51\.100\.9 tcp dport 4120 accept/);
  assert.match(script, /ip saddr 198\.51\.100\.9 tcp sport 4120 ct state established,related accept/);
  a.handlePackets(Array.from({ length: 40 }, (_, i) => tcpPacket('198.51.100.9', 2000 + i, 0x02)));
  // The event comes after the decision whether to block: once it is there, no block can follow.
  await eventually('the scan reported', () => events.some((e) => e.type === 'reconnaissance'));
  assert.equal(events.filter((e) => e.type === 'reconnaissance').length, 1, 'still reported');
  assert.equal(blockedInNft(fake.calls, '198.51.100.9'), false, 'not blocked in nft');
  assert.deepEqual(await a.run('list-blocked', {}), []);
  await a.stop();
});

test('a damaged state file is reported and the firewall starts without saved blocks', async () => {
  const dir = dataDir();
  writeFileSync(join(dir, 'state.json'), '{"blocks": "nope"');
  const { agent: a, warnings } = agent(dir, fakeNft().nft);
  await a.apply(enabled([]), platform);
  assert.equal(a.status().state, 'on');
  assert.ok(warnings.some((w) => /saved state not restored/.test(w)));
  await a.stop();
});

test('a configuration that fails its schema is refused with the field that is wrong, and nothing is loaded', async () => {
  const fake = fakeNft();
  const { agent: a } = agent(dataDir(), fake.nft);
  const bad = configuration([{ action: 'deny' }]);
  await a.apply({ enabled: true, configuration: { ...bad, rules: [{ ...bad.rules[0], priority: 9 }] } }, platform);
  assert.equal(a.status().state, 'error');
  assert.match(a.status().reason ?? '', /configuration refused: \/rules\/0\/priority/);
  assert.equal(fake.scripts().length, 0);
});

test('a state the disk refuses is a warning: the scanner is blocked all the same', async () => {
  const warnings: string[] = [];
  const fake = fakeNft();
  const a = new FirewallAgent(
    unitContext(dataDir(), {
      log: { info() {}, warn: (m, f) => warnings.push(`${m} ${JSON.stringify(f)}`), error() {} },
      writeStateFile: () => {
        throw new Error('ENOSPC: no space left on device, write');
      },
    }),
    { nft: fake.nft, openPacketLog: () => ({ available: false, reason: 'no log in unit tests' }) },
  );
  await a.apply(enabled([], { blockPortScans: true }), platform);
  a.handlePackets(Array.from({ length: 40 }, (_, i) => tcpPacket('198.51.100.4', 1000 + i, 0x02)));
  await eventually('the scanner blocked in nft', () => blockedInNft(fake.calls, '198.51.100.4'));
  assert.deepEqual(
    ((await a.run('list-blocked', {})) as { address: string }[]).map((b) => b.address),
    ['198.51.100.4'],
  );
  assert.ok(warnings.some((w) => /state not saved .*state\.json: ENOSPC/.test(w)));
  assert.equal(a.status().state, 'on');
  await a.stop();
});
