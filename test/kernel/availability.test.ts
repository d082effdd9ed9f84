/**
 * Where the addon is missing or the process lacks the privilege, every open returns
 * `{ available: false, reason }` that names the cause, and nothing throws or crashes.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { kernelSkipReason, repoRoot } from './netns-lab.js';

type Probe = Record<'addon' | 'fanotify' | 'nfqueue' | 'nflog', { available: boolean; reason?: string }>;

function probe(env: Record<string, string>, prefix: readonly string[] = []): Probe {
  const [cmd, ...args] = [...prefix, process.execPath, '--import', 'tsx', 'test/kernel/availability-probe.ts'];
  const r = spawnSync(cmd as string, args, {
    cwd: repoRoot,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 30_000,
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as Probe;
}

test('without the built addon every feature reports why', () => {
  const result = probe({ BULWARK_KERNEL_ADDON: join(tmpdir(), 'no-such-dir', 'bulwark_kernel.node') });
  for (const key of ['addon', 'fanotify', 'nfqueue', 'nflog'] as const) {
    assert.equal(result[key].available, false);
    assert.match(result[key].reason ?? '', /^addon not built/);
  }
});

test('a broken addon file is reported, not thrown', () => {
  const broken = join(mkdtempSync(join(tmpdir(), 'bulwark-addon-')), 'bulwark_kernel.node');
  writeFileSync(broken, 'not an ELF file');
  const result = probe({ BULWARK_KERNEL_ADDON: broken });
  assert.equal(result.nfqueue.available, false);
  assert.match(result.nfqueue.reason ?? '', /^addon not loadable/);
});

const rootSkip = kernelSkipReason('dropping privileges to test the unprivileged path');
test('without privileges each feature names the capability it needs', { skip: rootSkip }, () => {
  // Still uid 0 (so the repository stays readable) but with every capability dropped.
  const result = probe({}, ['setpriv', '--bounding-set=-all', '--inh-caps=-all']);
  assert.equal(result.addon.available, true);
  assert.deepEqual(result.fanotify, { available: false, reason: result.fanotify.reason });
  assert.match(result.fanotify.reason ?? '', /fanotify: needs CAP_SYS_ADMIN/);
  assert.match(result.nfqueue.reason ?? '', /nfqueue: .*CAP_NET_ADMIN/);
  assert.match(result.nflog.reason ?? '', /nflog: .*CAP_NET_ADMIN/);
});
