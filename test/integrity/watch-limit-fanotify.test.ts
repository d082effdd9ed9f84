import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { kernelAddonStatus } from '@bulwark/kernel';
import { cleanup, fileRule, type Harness, harness, temporaryDirectory } from './harness.js';

const pathOf = (e: { details?: Record<string, unknown> }) => (e.details!.entity as { path: string }).path;
const DIRECTORIES = 10;

const isRoot = process.getuid?.() === 0;
const addon = kernelAddonStatus();
const skip = !isRoot
  ? 'needs root (tmpfs mount, fanotify)'
  : !addon.available
    ? `kernel addon: ${addon.reason}`
    : false;

/** A tmpfs of its own, so the fanotify mount mark covers nothing of the host. */
function tmpfsTree(): string {
  const mountPoint = temporaryDirectory('tmpfs');
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m,mode=0755', 'bulwark-integrity-test', mountPoint]);
  for (let d = 0; d < DIRECTORIES; d++) {
    mkdirSync(join(mountPoint, `d${d}`));
    writeFileSync(join(mountPoint, `d${d}`, 'file'), 'v0');
  }
  return mountPoint;
}

function unmount(mountPoint: string): void {
  spawnSync('umount', [mountPoint]);
  cleanup(mountPoint);
}

/** Another process writes (the kernel wrapper drops this process's own fanotify events). */
function writeFromChild(root: string, content: string): void {
  const script = Array.from({ length: DIRECTORIES }, (_, d) => `printf '${content}' > '${root}/d${d}/file'`).join('; ');
  execFileSync('sh', ['-c', script]);
}

/**
 * Writes a marker in the base directory (inotify-watched) from this process (so fanotify, which
 * drops this process's events, cannot report it) and waits for its event. Changes noted earlier
 * are checked earlier, in order, so once the marker is reported every earlier change that will be
 * reported in real time has been: what is missing by then is left to a scan.
 */
async function afterEarlierChanges(h: Harness, root: string, name: string): Promise<void> {
  writeFileSync(join(root, name), name);
  await h.waitFor((e) => e.type === 'created' && pathOf(e) === join(root, name), 10_000);
}

const updatedFiles = (h: Harness) =>
  new Set(
    h
      .changes()
      .filter((e) => e.type === 'updated')
      .map(pathOf),
  );

test('beyond the watch limit: counted, named in status, writes reported through fanotify close-write', {
  skip,
}, async () => {
  const root = tmpfsTree();
  const h = harness();
  try {
    // Three watches for eleven directories: eight are left to fanotify and the scans.
    await h.apply([fileRule('limited', root)], {
      realTime: true,
      fanotify: true,
      maxWatchedDirectories: 3,
      debounceMilliseconds: 20,
      schedule: 'every 60m',
    });
    const status = h.module.status();
    assert.equal(status.counters?.watchedDirectories, 3);
    assert.equal(status.counters?.unwatchedDirectories, DIRECTORIES + 1 - 3);
    assert.equal(status.counters?.fanotifyMounts, 1);
    assert.match(status.reason ?? '', /8 directories beyond the inotify watch limit/);
    assert.match(status.reason ?? '', /fanotify close-write on 1 mount/);
    assert.match(status.reason ?? '', /next scheduled scan/);

    writeFromChild(root, 'v1');
    for (let d = 0; d < DIRECTORIES; d++)
      await h.waitFor((e) => e.type === 'updated' && pathOf(e) === join(root, `d${d}`, 'file'), 5000);
    assert.equal(updatedFiles(h).size, DIRECTORIES, 'every write reported, watched directory or not');
    assert.ok(h.changes().every((e) => e.details?.source === 'real-time'));

    // What fanotify without FID cannot see: a deletion in an unwatched directory waits for a scan.
    execFileSync('sh', ['-c', `rm ${root}/d*/file`]);
    await afterEarlierChanges(h, root, 'm1');
    const deletedLive = h.changes().filter((e) => e.type === 'deleted').length;
    assert.ok(deletedLive < DIRECTORIES, `deletions seen in real time: ${deletedLive}`);
    const scan = (await h.module.run('scan', {})) as { rules: { changes: number }[] };
    assert.equal(scan.rules[0]!.changes, DIRECTORIES - deletedLive, 'the scan reports the rest');
  } finally {
    await h.module.stop();
    unmount(root);
  }
});

test('beyond the watch limit without fanotify: status says changes there wait for a scan', { skip }, async () => {
  const root = tmpfsTree();
  const h = harness();
  try {
    await h.apply([fileRule('limited', root)], {
      realTime: true,
      fanotify: false,
      maxWatchedDirectories: 3,
      debounceMilliseconds: 20,
      schedule: 'off',
    });
    const status = h.module.status();
    assert.equal(status.counters?.unwatchedDirectories, 8);
    assert.equal(status.counters?.fanotifyMounts, 0);
    assert.match(status.reason ?? '', /not seen in real time; scans are off/);
    assert.ok((status.counters?.['skipped.watch-limit'] ?? 0) >= 8);

    writeFromChild(root, 'v1');
    await afterEarlierChanges(h, root, 'm2');
    const live = updatedFiles(h).size;
    assert.ok(live < DIRECTORIES, `without fanotify only watched directories report in real time (${live})`);
    const scan = (await h.module.run('scan', {})) as { rules: { changes: number }[] };
    assert.equal(scan.rules[0]!.changes, DIRECTORIES - live);
  } finally {
    await h.module.stop();
    unmount(root);
  }
});
