import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { PlatformSettings } from '@bulwark/protocol';
import { Value } from '@sinclair/typebox/value';
import { configuration } from '../engine/test-fixtures.js';
import type { NftRunner } from './command-runner.js';
import { FirewallAgent } from './firewall-agent.js';
import { unitContext } from './test-context.js';

const roots: string[] = [];
after(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

function moduleDir(): string {
  const root = mkdtempSync(join(tmpdir(), 'bwfw-removal-'));
  roots.push(root);
  const dir = join(root, 'modules', 'firewall');
  mkdirSync(dir, { recursive: true });
  return dir;
}

function recordingNft(code = 0) {
  const scripts: string[] = [];
  const nft: NftRunner = async (args, input) => {
    if (args[0] === '-f') scripts.push(input ?? '');
    if (args[0] === 'list') return { code: 1, stdout: '', stderr: 'No such file or directory' };
    return { code, stdout: '', stderr: code === 0 ? '' : 'Error: Operation not permitted' };
  };
  return { nft, scripts };
}

const firewall = (dir: string, nft: NftRunner) =>
  new FirewallAgent(unitContext(dir), {
    nft,
    openPacketLog: () => ({ available: false, reason: 'no log in unit tests' }),
  });

test('a table loaded by one process is removed by a fresh instance, as `bulwark-agent deactivate` makes', async () => {
  const dir = moduleDir();
  const first = recordingNft();
  const running = firewall(dir, first.nft);
  await running.apply({ enabled: true, configuration: configuration([]) }, Value.Create(PlatformSettings));
  assert.deepEqual(running.kernelHooks(), ['nftables tables "inet bulwark" and "arp bulwark"']);
  await running.stop();
  assert.ok(existsSync(join(dir, 'installed-table.json')), 'the table is recorded before it is loaded');

  const later = recordingNft();
  await firewall(dir, later.nft).removeFromHost();
  assert.equal(later.scripts.length, 1);
  assert.match(later.scripts[0] ?? '', /delete table inet bulwark/);
  assert.ok(!existsSync(join(dir, 'installed-table.json')));
});

test('a firewall that never loaded a table removes nothing (a table of that name is not its own)', async () => {
  const { nft, scripts } = recordingNft();
  const never = firewall(moduleDir(), nft);
  await never.removeFromHost();
  assert.deepEqual(scripts, []);
  assert.deepEqual(never.kernelHooks(), []);
});

test('a removal nft refuses is an error, and the record stays for the next try', async () => {
  const dir = moduleDir();
  await firewall(dir, recordingNft().nft).apply(
    { enabled: true, configuration: configuration([]) },
    Value.Create(PlatformSettings),
  );
  await assert.rejects(firewall(dir, recordingNft(1).nft).removeFromHost(), /Operation not permitted/);
  assert.ok(existsSync(join(dir, 'installed-table.json')));
});
