/**
 * The namespace probes behind the skip reasons of the kernel and firewall suites: they answer
 * undefined where the feature works and name what failed where it does not (here: a PATH without
 * nft), so a suite skips with that reason instead of failing its set-up.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { kernelSkipReason } from '../kernel/netns-lab.js';
import { type NamespaceProbe, namespaceProbeFailure } from './namespace-feature.js';

const skip = kernelSkipReason('network namespace probes', { tools: ['ip', 'nft'] });
if (skip) console.log(`# skipping the namespace probe tests: ${skip}`);

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('namespace feature probes', { skip }, () => {
  const withoutNft = () => {
    const dir = mkdtempSync(join(tmpdir(), 'bulwark-path-'));
    dirs.push(dir);
    const ip = spawnSync('/bin/sh', ['-c', 'command -v ip'], { encoding: 'utf8' }).stdout.trim();
    symlinkSync(ip, join(dir, 'ip'));
    return { ...process.env, PATH: dir };
  };

  for (const probe of ['nft', 'nflog'] as NamespaceProbe[]) {
    test(`${probe}: works with this machine's tools, names nft when it is missing`, () => {
      assert.equal(namespaceProbeFailure(probe), undefined);
      assert.match(namespaceProbeFailure(probe, withoutNft()) ?? '', /^nft: .*ENOENT|^nft: .*No such file/);
    });
  }

  test('a probe that cannot make its namespace says so', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bulwark-path-'));
    dirs.push(dir);
    assert.match(namespaceProbeFailure('nft', { ...process.env, PATH: dir }) ?? '', /cannot make a network namespace/);
  });
});
